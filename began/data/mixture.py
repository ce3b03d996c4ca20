"""Mixtures of 2-D Gaussians (the post's ring of 8, or a square grid): their
centres, a sampler, and a Chainer iterator of fresh samples."""
import math

import numpy
from chainer.dataset import Iterator

from began.rng import derive_seed


def grid_side(num_mixture):
    """The side of a square grid of ``num_mixture`` centres (None: not a square)."""
    side = math.isqrt(num_mixture)
    return side if side * side == num_mixture else None


def mode_centers(num_mixture=8, radius=2.0, shape='ring'):
    """ring: centres on a circle of ``radius``, the first at angle -pi/2, all
    ``num_mixture`` angles distinct. grid: a square grid whose outermost
    centres are at +-``radius`` on each axis (25 and 4: {-4,-2,0,2,4}^2)."""
    if shape == 'grid':
        side = grid_side(num_mixture)
        if side is None:
            raise ValueError(f'a grid needs a square number of modes, got {num_mixture}')
        axis = numpy.linspace(-radius, radius, side) if side > 1 else numpy.zeros(1)
        ys, xs = numpy.meshgrid(axis, axis, indexing='ij')
        return numpy.stack([xs.ravel(), ys.ravel()], 1).astype(numpy.float32)
    if shape != 'ring':
        raise ValueError(f'unknown mixture shape {shape!r}')
    angles = -math.pi / 2 + 2 * math.pi * numpy.arange(num_mixture) / num_mixture
    return (radius * numpy.stack([numpy.cos(angles), numpy.sin(angles)], 1)).astype(numpy.float32)


def sample_mixture(rs, n, num_mixture=8, radius=2.0, std=0.04, shape='ring'):
    """n points from the mixture (equal weights), drawn with RandomState ``rs``."""
    centers = mode_centers(num_mixture, radius, shape)
    modes = rs.randint(0, num_mixture, n)
    return (centers[modes] + rs.normal(0, std, (n, 2))).astype(numpy.float32)


class MixtureIterator(Iterator):
    """Endless batches of fresh mixture samples; an 'epoch' is a fixed
    number of updates. Batch t is a function of (seed, t), so its only state
    is the iteration count."""

    def __init__(self, batch_size, updates_per_epoch, seed=0, num_mixture=8,
                 radius=2.0, std=0.04, shape='ring'):
        self.batch_size = batch_size
        self.updates_per_epoch = updates_per_epoch
        self.seed = seed
        self.params = dict(num_mixture=num_mixture, radius=radius, std=std, shape=shape)
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
