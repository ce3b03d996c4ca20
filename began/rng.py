"""Random numbers that are a function of (seed, purpose, step).

Every random draw of a run (z, D's input noise, mixture samples, the order
of the data) comes from a generator seeded by the run's seed, a stream name
and the iteration or epoch. Nothing random is carried from step to step, so a
resumed run draws exactly what the uninterrupted run would have drawn.

On a GPU the draws come from cuRAND's Philox4x32-10, one generator per
(device, stream) kept for the whole run and reseeded at every call: creating a
cuRAND generator per step costs a set-up and, when it is freed, a wait for
the device, while reseeding a counter-based Philox generator only sets two
numbers. Its draws are other numbers than NumPy's, but as much a function of
(seed, stream, step).
"""
import atexit
import zlib

import chainer
import numpy

STREAMS = ('init', 'step', 'mixture', 'order', 'plot', 'projection')

# (array module, device id, stream) -> that device's generator of the stream.
_device_generators = {}


def derive_seed(seed, stream, *keys):
    """A 32-bit seed from the run seed, a stream name and integer keys."""
    entropy = [int(seed), zlib.crc32(stream.encode())] + [int(k) for k in keys]
    return int(numpy.random.SeedSequence(entropy).generate_state(1)[0])


def random_state(xp, seed, stream, *keys):
    """A NumPy or CuPy RandomState for one purpose at one step.

    With NumPy, a new RandomState. With CuPy, the current device's generator
    of ``stream``, reseeded: the previous call's generator of the same
    stream is the same object, so draw from it before the next call.
    """
    derived = derive_seed(seed, stream, *keys)
    if xp is numpy:
        return numpy.random.RandomState(derived)
    key = (xp, xp.cuda.Device().id, stream)
    generator = _device_generators.get(key)
    if generator is None:
        generator = _device_generators[key] = device_generator(xp, derived)
    else:
        generator.seed(derived)  # also resets its position to the start
    return generator


def device_generator(xp, seed):
    """A new CuPy RandomState on the current device, drawing with Philox."""
    return xp.random.RandomState(seed, method=xp.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)


@atexit.register
def _free_device_generators():
    # Free them while CUDA is still up, as CuPy does with its own generators.
    _device_generators.clear()


def sample_z(rs, batch_size, n_z, categories=0, dtype=numpy.float32, weights=None):
    """z ~ U(-1, 1)^n_z, drawn from ``rs`` on its own device. With
    ``categories`` K > 0, z's first K coordinates are instead a one-hot of a
    uniform category, scaled by ``category_scale``: G can then map each
    category to its own mode with no z in between (a continuous z must
    cross the gaps between modes, and leaves points there). ``weights``
    (K shares, a self-conditioned G's prior: category_weights): the
    categories drawn in those proportions instead."""
    z = rs.uniform(-1, 1, (batch_size, n_z)).astype(dtype, copy=False)
    if categories:
        if weights is None:
            picked = rs.randint(0, categories, batch_size)
        else:
            p = chainer.backend.CpuDevice().send(weights).astype(numpy.float64)
            xp = chainer.backend.get_array_module(z)   # rs's device: CuPy's wants p there
            picked = rs.choice(categories, batch_size, p=xp.asarray(p / p.sum()))
        set_categories(z, picked, categories)
    return z


def set_categories(z, picked, categories):
    """z's first ``categories`` coordinates set, in place, to the one-hot of
    ``picked`` (an index per row), at ``category_scale``'s height."""
    xp = chainer.backend.get_array_module(z)
    z[:, :categories] = 0
    z[xp.arange(len(z)), picked] = category_scale(z.shape[1], categories)


def category_scale(n_z, categories):
    """The one-hot's height: the norm of z's uniform part, sqrt((N_z - K) / 3),
    so that the category weighs in G's input as much as the rest of z."""
    return max(((n_z - categories) / 3) ** 0.5, 1.0)
