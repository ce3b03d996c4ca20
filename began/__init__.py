"""BEGAN (Boundary Equilibrium GAN) in Chainer: networks, the training step,
data, extensions and pictures shared by both experiments."""
# Under mpiexec, each process's share of the cores: before NumPy loads OpenBLAS.
from began.training.launch import limit_cpu_threads
limit_cpu_threads()
# Chainer 7.8.1 imports NumPy names and checks that NumPy 2 / new setuptools removed.
from began import compat  # noqa: F401,E402  (must run before chainer is imported)
