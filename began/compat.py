"""Chainer 7.8.1 on today's NumPy and setuptools, without editing either.

Import this before the first ``import chainer`` (``began/__init__.py`` does).
It only adds what is missing, only when it is missing, so on the pinned CPU
stack (NumPy 1.26, setuptools < 74) it leaves NumPy and Chainer as they are
except for the aliases NumPy 1.24 removed (``numpy.float`` and kin). What it
did is listed in ``PATCHED``.

1. NumPy names Chainer uses that NumPy removed:
   ``numpy.sctypes`` (read when ``chainer.functions`` is imported; removed in
   NumPy 2.0) and ``numpy.float`` (``F.resize_images``; removed with
   ``numpy.int``, ``numpy.bool``, ``numpy.object``, ``numpy.complex`` and
   ``numpy.str`` in NumPy 1.24). Defined with their old values.
2. ``chainer._environment_check``, run by ``import chainer``, imports
   ``numpy.distutils.system_info`` (broken by setuptools >= 74, gone on
   Python >= 3.12) and ``pkg_resources`` (gone in setuptools >= 82), only
   for a macOS BLAS warning and a CuPy version warning that does not know
   today's CuPy wheel names. When either import fails, a stub module whose
   ``check()`` does nothing is registered under that name, so Chainer's
   ``from chainer import _environment_check`` finds it. Nothing is stubbed
   where the real check can run.
3. ``CHAINER_WARN_VERSION_MISMATCH`` defaults to 0: the real check would
   otherwise warn that any CuPy newer than 7 (installed as the ``cupy``
   source package) "may not be compatible"; it works (see docs/gpu.md).
"""
import os
import sys
import types
import warnings

import numpy

PATCHED = []

os.environ.setdefault('CHAINER_WARN_VERSION_MISMATCH', '0')


def _sctypes():
    """numpy.sctypes as NumPy 1.x built it (sized types, one per size)."""
    def unique(candidates):
        out = []
        for t in candidates:
            if all(numpy.dtype(t) != numpy.dtype(u) for u in out):
                out.append(t)
        return out
    return {
        'int': [numpy.int8, numpy.int16, numpy.int32, numpy.int64],
        'uint': [numpy.uint8, numpy.uint16, numpy.uint32, numpy.uint64],
        'float': unique([numpy.float16, numpy.float32, numpy.float64, numpy.longdouble]),
        'complex': unique([numpy.complex64, numpy.complex128, numpy.clongdouble]),
        'others': [bool, object, bytes, str, numpy.void],
    }


def _define_numpy_names():
    removed = {'float': float, 'int': int, 'bool': bool, 'object': object,
               'complex': complex, 'sctypes': None}
    for name, value in removed.items():
        with warnings.catch_warnings():  # NumPy warns on some probes
            warnings.simplefilter('ignore')
            present = hasattr(numpy, name)
        if not present:
            setattr(numpy, name, _sctypes() if name == 'sctypes' else value)
            PATCHED.append(f'numpy.{name}')


def _environment_check_fails():
    """The first exception the real check's imports raise, or None.

    When they succeed they stay imported, so Chainer pays nothing twice; the
    deprecation warnings they raise are about Chainer's code, not the user's.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            import numpy.distutils.system_info  # noqa: F401
            import pkg_resources  # noqa: F401
    except Exception as e:  # ImportError, or a distutils that half-loads
        return e
    return None


def _stub_environment_check():
    name = 'chainer._environment_check'
    if 'chainer' in sys.modules or name in sys.modules:
        return  # too late, or already done: Chainer imported fine without us
    error = _environment_check_fails()
    if error is None:
        return
    stub = types.ModuleType(name, f'Stand-in installed by {__name__}: the real module '
                                  f'cannot be imported here ({type(error).__name__}).')
    stub.__package__ = 'chainer'
    stub.check = lambda: None
    sys.modules[name] = stub
    PATCHED.append(f'{name} ({type(error).__name__}: {error})'.splitlines()[0])


_define_numpy_names()
_stub_environment_check()
