"""BEGAN (Boundary Equilibrium GAN) in Chainer: networks, the training step,
data, extensions and pictures shared by both experiments."""
# Chainer 7.8.1 imports NumPy names and checks that NumPy 2 / new setuptools removed.
from began import compat  # noqa: F401  (must run before chainer is imported)
