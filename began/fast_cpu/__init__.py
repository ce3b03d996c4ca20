"""Faster CPU kernels for the networks' heaviest Chainer functions.

Each module here replaces one Chainer kernel for NumPy arrays only (CuPy
arrays keep Chainer's and cuDNN's kernels) and computes the same maths to
float32 rounding (tests/fast_cpu compare them with Chainer's, forward and
gradients). They are on by default; ``--no-fast-cpu`` (train.py),
``BEGAN_FAST_CPU=0`` in the environment, or
``chainer.using_config('began_fast_cpu', False)`` switch them all off.

conv.py     2-D convolution: channel-major im2col + contiguous matrix products
"""
import os

import chainer

chainer.global_config.began_fast_cpu = os.environ.get('BEGAN_FAST_CPU', '1') != '0'


def enabled():
    """Whether the fast CPU kernels are switched on (in this thread)."""
    return bool(getattr(chainer.config, 'began_fast_cpu', False))


def use_for(array):
    """Whether to use a fast CPU kernel for ``array``: switched on, and a
    NumPy array (not CuPy, not ChainerX)."""
    import numpy
    data = array.array if isinstance(array, chainer.Variable) else array
    return enabled() and isinstance(data, numpy.ndarray)
