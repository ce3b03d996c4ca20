"""Image data sets for training: a folder of images or the built-in toy
faces, served in a seeded order that survives a resume."""
import zlib

import numpy
from chainer import iterators

from began.rng import derive_seed


class SeededOrder:
    """Each epoch's permutation is a function of the seed and the previous
    epoch's order. SerialIterator saves the order in its snapshot, so a
    resumed run shuffles the next epochs exactly as the first run would."""

    def __init__(self, seed):
        self.seed = seed

    def __call__(self, current_order, current_position):
        previous = zlib.crc32(numpy.ascontiguousarray(current_order, numpy.int64).tobytes())
        rs = numpy.random.RandomState(derive_seed(self.seed, 'order', previous))
        return rs.permutation(len(current_order))


def image_dataset(config, progress=True):
    """The training images a Config names, as uint8 (3, H, W) examples."""
    if config.dataset == 'toyfaces':
        from began.data.toyfaces import ToyFaceDataset
        return ToyFaceDataset(config.num_images, config.image_size, config.seed)
    from began.data.image_folder import ImageFolderDataset
    return ImageFolderDataset(config.image_dir, config.image_size)


def image_iterator(dataset, config):
    return iterators.SerialIterator(dataset, config.batch_size, repeat=True,
                                    order_sampler=SeededOrder(config.seed))


def pick(dataset, n, seed):
    """n examples chosen once per seed (the same real images every epoch)."""
    rs = numpy.random.RandomState(derive_seed(seed, 'plot', 3))
    index = rs.choice(len(dataset), min(n, len(dataset)), replace=False)
    return numpy.stack([dataset[int(i)] for i in sorted(index)])
