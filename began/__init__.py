"""BEGAN (Boundary Equilibrium GAN) in Chainer: networks, the training step,
data, extensions and pictures shared by both experiments."""
# Before NumPy loads OpenBLAS: under mpiexec, each process's share of the
# cores; and OpenBLAS's AVX-512 kernels where it would not pick them itself.
# Under mpiexec, too, a Ctrl-C from the first moment ends every process.
from began.training.launch import interrupt_ends_at_once, limit_cpu_threads
from began.fast_cpu import openblas

interrupt_ends_at_once()
limit_cpu_threads()
openblas.choose_kernels()
# Chainer 7.8.1 imports NumPy names and checks that NumPy 2 / new setuptools removed.
from began import compat  # noqa: F401,E402  (must run before chainer is imported)
