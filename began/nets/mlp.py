"""The 8-Gaussian experiment's networks: small MLPs with ELU.

Encoder 2 -> 64 -> 64 -> N_h, decoder N_h -> 64 -> 64 -> 2 and generator
N_z -> 128 -> 128 -> 2 (with ``hidden`` = 64: G gets twice D's width).
"""
import chainer
import chainer.links as L

from began.fast_cpu.layers import elu
from began.nets.common import initializer


class MLP(chainer.ChainList):
    """Linear layers with ELU between them and none after the last."""

    def __init__(self, sizes, initialW=None):
        super().__init__(*[L.Linear(a, b, initialW=initialW)
                           for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        for i, layer in enumerate(self):
            x = layer(x)
            if i < len(self) - 1:
                x = elu(x)
        return x


class MLPGenerator(chainer.Chain):
    def __init__(self, n_z, hidden=64, n_x=2, weight_std=0.0):
        super().__init__()
        with self.init_scope():
            self.net = MLP([n_z, 2 * hidden, 2 * hidden, n_x], initializer(weight_std))

    def forward(self, z):
        return self.net(z)


class MLPAutoEncoder(chainer.Chain):
    def __init__(self, n_h, hidden=64, n_x=2, weight_std=0.0):
        super().__init__()
        with self.init_scope():
            self.encoder = MLP([n_x, hidden, hidden, n_h], initializer(weight_std))
            self.decoder = MLP([n_h, hidden, hidden, n_x], initializer(weight_std))

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        return self.decode(self.encode(x))
