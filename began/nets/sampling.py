"""Running trained networks for pictures and metrics: test mode, no graph,
in batches, results back on the CPU."""
import chainer
import numpy

from began.nets import category_weights
from began.rng import random_state, sample_z


def fixed_z(config, n, xp=numpy, key=0, generator=None):
    """The same n z vectors every time for a given seed and key, so pictures
    compare across epochs; a self-conditioned ``generator``'s categories in
    its prior's shares."""
    return sample_z(random_state(numpy, config.seed, 'plot', key), n, config.n_z,
                    config.z_categories, weights=category_weights(generator))


def _batched(fn, x, batch_size, device):
    out = []
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for i in range(0, len(x), batch_size):
            y = fn(device.send(numpy.asarray(x[i:i + batch_size])))
            out.append(chainer.backend.CpuDevice().send(y.array))
    return numpy.concatenate(out) if out else numpy.zeros((0,), numpy.float32)


def generate(generator, z, batch_size=500):
    """G(z) for a (n, n_z) array of z, on the generator's device."""
    return _batched(generator, z, batch_size, generator.device)


def reconstruct(discriminator, x, batch_size=500):
    """D(x): the auto-encoder's reconstruction."""
    return _batched(discriminator, x, batch_size, discriminator.device)


def encode(discriminator, x, batch_size=500):
    return _batched(discriminator.encode, x, batch_size, discriminator.device)


def decode(discriminator, h, batch_size=500):
    return _batched(discriminator.decode, h, batch_size, discriminator.device)


def lerp(a, b, steps):
    """(steps, ...) points on the straight line from a to b, ends included."""
    t = numpy.linspace(0, 1, steps, dtype=numpy.float32).reshape((steps,) + (1,) * a.ndim)
    return (1 - t) * a[None] + t * b[None]
