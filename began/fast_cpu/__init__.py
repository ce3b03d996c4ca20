"""Faster CPU kernels for the networks' heaviest Chainer functions.

Each module here replaces one Chainer kernel for NumPy arrays only (CuPy
arrays keep Chainer's and cuDNN's kernels) and computes the same maths to
float32 rounding (tests/fast_cpu compare them with Chainer's, forward and
gradients). They are on by default; ``--no-fast-cpu`` (train.py) or
``chainer.using_config('began_fast_cpu', False)`` switch them off;
``BEGAN_FAST_CPU=0`` in the environment also leaves OpenBLAS's choice of
kernels alone (openblas.py, which acts when NumPy loads).

conv.py         2-D convolution: channel-major im2col + contiguous matrix products
winograd.py     3x3 convolutions on larger images by Winograd's F(2x2, 3x3)
depth2space.py  the pixel shuffler's rearrangement, channel-major in and out
batchnorm.py    batch normalisation of channel-major images, x_hat kept for backward
elu.py          ELU without boolean masks
adam.py         Adam's update in cache-sized slices
memory.py       big arrays freed by one step reused by the next (glibc)
openblas.py     OpenBLAS's AVX-512 kernels on AMD CPUs it does not recognise
layers.py       the links and functions the networks call (fast kernel or Chainer's)

This file imports neither NumPy nor Chainer: openblas.py runs before them.
"""
import os

#: The default of ``chainer.config.began_fast_cpu``.
DEFAULT = os.environ.get('BEGAN_FAST_CPU', '1') != '0'


def enabled():
    """Whether the fast CPU kernels are switched on (in this thread)."""
    import chainer
    return bool(getattr(chainer.config, 'began_fast_cpu', DEFAULT))


def use_for(array):
    """Whether to use a fast CPU kernel for ``array``: switched on, and a
    NumPy array (not CuPy, not ChainerX)."""
    import chainer
    import numpy
    data = array.array if isinstance(array, chainer.Variable) else array
    return enabled() and isinstance(data, numpy.ndarray)


def keep_freed_memory():
    from began.fast_cpu.memory import keep_freed_memory
    return keep_freed_memory()
