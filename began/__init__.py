"""BEGAN (Boundary Equilibrium GAN) in Chainer: networks, the training step,
data, extensions and pictures shared by both experiments."""
