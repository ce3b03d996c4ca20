"""The BEGAN paper's own networks (``--arch paper``).

3x3 convolutions with ELU, two per scale; stride-2 convolutions subsample
down, nearest-neighbour upsampling goes up; filters grow linearly
(n, 2n, 3n, ...) in the encoder; an 8x8 bottleneck; fully connected layers
with no nonlinearity to and from h; no batch normalisation. The generator
has the decoder's architecture with its own weights.

With ``skip`` (the paper's optional skip connections), every scale of the
decoder and generator after the first also sees h0, the n x 8 x 8 tensor
the FC layer makes, upsampled (nearest neighbour) to that scale and
concatenated along channels before the scale's convolutions; the paper
says this helps gradients reach h0 and sharpens the outputs.
"""
import math

import chainer
import chainer.functions as F
import chainer.links as L

from began.fast_cpu.layers import Convolution2D, elu
from began.nets.common import initializer


def conv3(a, b, w, stride=1):
    return Convolution2D(a, b, ksize=3, stride=stride, pad=1, initialW=w)


def upsample(y):
    """Nearest-neighbour upsampling by 2."""
    return F.repeat(F.repeat(y, 2, axis=2), 2, axis=3)


class PaperDecoder(chainer.Chain):
    """v (n_in) -> FC -> h0 (n x 8 x 8) -> [conv, conv, upsample] ... -> conv to 3;
    with ``skip``, each upsampled y is joined by h0 upsampled alike (2n channels)."""

    def __init__(self, n_in, size, n, w, skip=False):
        super().__init__()
        self.n, self.scales, self.skip = n, int(math.log2(size // 8)) + 1, skip
        # Each scale's first convolution: n channels in, or 2n with h0 beside y.
        firsts = [n] + [2 * n if skip else n] * (self.scales - 1)
        with self.init_scope():
            self.fc = L.Linear(n_in, n * 8 * 8, initialW=w)
            self.convs = chainer.ChainList(*[conv3(a, n, w) for first in firsts
                                             for a in (first, n)])
            self.out = conv3(n, 3, w)

    def forward(self, v):
        y = h0 = F.reshape(self.fc(v), (len(v), self.n, 8, 8))
        for scale in range(self.scales):
            if scale > 0:
                y = upsample(y)
                if self.skip:
                    h0 = upsample(h0)
                    y = F.concat((y, h0), axis=1)
            y = elu(self.convs[2 * scale](y))
            y = elu(self.convs[2 * scale + 1](y))
        return self.out(y)


class PaperGenerator(chainer.Chain):
    def __init__(self, n_z=64, size=64, n=64, weight_std=0.0, skip=False):
        super().__init__()
        with self.init_scope():
            self.decoder = PaperDecoder(n_z, size, n, initializer(weight_std), skip)

    def forward(self, z):
        return self.decoder(z)


class PaperAutoEncoder(chainer.Chain):
    def __init__(self, n_h=64, size=64, n=64, weight_std=0.0, skip=False):
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
            self.decoder = PaperDecoder(n_h, size, n, w, skip)

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
