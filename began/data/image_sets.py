"""Image data sets for training: a folder of images or the built-in toy
faces, served in a seeded order that survives a resume."""
import zlib

import numpy
from chainer import iterators

from began.errors import DataError
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
    return ImageFolderDataset(config.image_dir, config.image_size, progress=progress)


def image_iterator(dataset, config):
    if len(dataset) < config.batch_size:
        # A batch would hold each image several times and count as that many
        # epochs: a 1-epoch run would end at epoch 16, say.
        where = (f'the image folder {config.image_dir}' if config.dataset == 'folder'
                 else f'--num-images {config.num_images}')
        raise DataError(f'{where} gives {len(dataset)} image(s), fewer than --batch-size '
                        f'{config.batch_size}; give at least {config.batch_size} images or '
                        f'a smaller --batch-size')
    return iterators.SerialIterator(dataset, config.batch_size, repeat=True,
                                    order_sampler=SeededOrder(config.seed))


def pick(dataset, n, seed):
    """n examples chosen once per seed (the same real images every epoch)."""
    rs = numpy.random.RandomState(derive_seed(seed, 'plot', 3))
    index = rs.choice(len(dataset), min(n, len(dataset)), replace=False)
    return numpy.stack([dataset[int(i)] for i in sorted(index)])
