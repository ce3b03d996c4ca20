"""BEGAN (Boundary Equilibrium GAN) in Chainer: networks, the training step,
data, extensions and pictures shared by both experiments."""
# Before NumPy loads OpenBLAS: its AVX-512 kernels where it would not pick them.
from began.fast_cpu import openblas

openblas.choose_kernels()
# Chainer 7.8.1 imports NumPy names and checks that NumPy 2 / new setuptools removed.
from began import compat  # noqa: E402,F401  (must run before chainer is imported)
