"""The BEGAN paper's own networks (``--arch paper``).

3x3 convolutions with ELU, two per scale; stride-2 convolutions subsample
down, nearest-neighbour upsampling goes up; filters grow linearly
(n, 2n, 3n, ...) in the encoder; an 8x8 bottleneck; fully connected layers
with no nonlinearity to and from h; no batch normalisation. The generator
has the decoder's architecture with its own weights.
"""
import math

import chainer
import chainer.functions as F
import chainer.links as L

from began.fast_cpu.layers import Convolution2D, elu
from began.nets.common import initializer


def conv3(a, b, w, stride=1):
    return Convolution2D(a, b, ksize=3, stride=stride, pad=1, initialW=w)


class PaperDecoder(chainer.Chain):
    """v (n_in) -> FC -> n x 8 x 8 -> [conv, conv, upsample] ... -> conv to 3."""

    def __init__(self, n_in, size, n, w):
        super().__init__()
        self.n, self.scales = n, int(math.log2(size // 8)) + 1
        with self.init_scope():
            self.fc = L.Linear(n_in, n * 8 * 8, initialW=w)
            self.convs = chainer.ChainList(*[conv3(n, n, w) for _ in range(2 * self.scales)])
            self.out = conv3(n, 3, w)

    def forward(self, v):
        y = F.reshape(self.fc(v), (len(v), self.n, 8, 8))
        for scale in range(self.scales):
            y = elu(self.convs[2 * scale](y))
            y = elu(self.convs[2 * scale + 1](y))
            if scale < self.scales - 1:  # nearest-neighbour upsampling
                y = F.repeat(F.repeat(y, 2, axis=2), 2, axis=3)
        return self.out(y)


class PaperGenerator(chainer.Chain):
    def __init__(self, n_z=64, size=64, n=64, weight_std=0.0):
        super().__init__()
        with self.init_scope():
            self.decoder = PaperDecoder(n_z, size, n, initializer(weight_std))

    def forward(self, z):
        return self.decoder(z)


class PaperAutoEncoder(chainer.Chain):
    def __init__(self, n_h=64, size=64, n=64, weight_std=0.0):
        super().__init__()
        w = initializer(weight_std)
        self.scales = int(math.log2(size // 8)) + 1
        widths = [n * (i + 1) for i in range(self.scales)]
        with self.init_scope():
            self.conv_in = conv3(3, n, w)
            self.convs = chainer.ChainList(*[conv3(a, a, w) for a in widths for _ in range(2)])
            self.downs = chainer.ChainList(*[conv3(a, b, w, stride=2)
                                             for a, b in zip(widths[:-1], widths[1:])])
            self.to_h = L.Linear(widths[-1] * 8 * 8, n_h, initialW=w)
            self.decoder = PaperDecoder(n_h, size, n, w)

    def encode(self, x):
        y = elu(self.conv_in(x))
        for scale in range(self.scales):
            y = elu(self.convs[2 * scale](y))
            y = elu(self.convs[2 * scale + 1](y))
            if scale < self.scales - 1:
                y = elu(self.downs[scale](y))
        return self.to_h(y)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        return self.decode(self.encode(x))
