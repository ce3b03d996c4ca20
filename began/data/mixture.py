"""The 8-Gaussian ring: its centres, a sampler, and a Chainer iterator of
fresh samples."""
import math

import numpy
from chainer.dataset import Iterator

from began.rng import derive_seed


def mode_centers(num_mixture=8, radius=2.0):
    """Centres on a circle, the first at angle -pi/2."""
    angles = -math.pi / 2 + 2 * math.pi * numpy.arange(num_mixture) / num_mixture
    return (radius * numpy.stack([numpy.cos(angles), numpy.sin(angles)], 1)).astype(numpy.float32)


def sample_mixture(rs, n, num_mixture=8, radius=2.0, std=0.04):
    """n points from the ring of Gaussians, drawn with RandomState ``rs``."""
    centers = mode_centers(num_mixture, radius)
    modes = rs.randint(0, num_mixture, n)
    return (centers[modes] + rs.normal(0, std, (n, 2))).astype(numpy.float32)


class MixtureIterator(Iterator):
    """Endless batches of fresh mixture samples; an 'epoch' is a fixed
    number of updates. Batch t is a function of (seed, t), so its only state
    is the iteration count."""

    def __init__(self, batch_size, updates_per_epoch, seed=0, num_mixture=8,
                 radius=2.0, std=0.04):
        self.batch_size = batch_size
        self.updates_per_epoch = updates_per_epoch
        self.seed = seed
        self.params = dict(num_mixture=num_mixture, radius=radius, std=std)
        self.iteration = 0
        self.is_new_epoch = False

    def __next__(self):
        rs = numpy.random.RandomState(derive_seed(self.seed, 'mixture', self.iteration))
        batch = sample_mixture(rs, self.batch_size, **self.params)
        self.iteration += 1
        self.is_new_epoch = self.iteration % self.updates_per_epoch == 0
        return batch

    next = __next__

    @property
    def epoch(self):
        return self.iteration // self.updates_per_epoch

    @property
    def epoch_detail(self):
        return self.iteration / self.updates_per_epoch

    @property
    def previous_epoch_detail(self):
        return None if self.iteration == 0 else (self.iteration - 1) / self.updates_per_epoch

    def reset(self):
        self.iteration = 0
        self.is_new_epoch = False

    def serialize(self, serializer):
        self.iteration = int(serializer('iteration', self.iteration))
        self.is_new_epoch = bool(serializer('is_new_epoch', self.is_new_epoch))
