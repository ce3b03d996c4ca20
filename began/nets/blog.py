"""The post's 96x96 networks (an EBGAN-like design, not the paper's).

Any image side that is a multiple of 16 works: four stride-2 steps down and
four pixel-shuffler steps up meet at a (size / 16)^2 bottleneck.

encoder:   4 x [conv 4x4 stride 2 -> BN -> ELU] (32, 64, 128, 256) -> Linear N_h
decoder:   BN(N_h) -> Linear 256 s s -> ELU -> BN -> pixel shufflers
           256 -> 128 -> 64 -> 32 -> 3 with BN + ELU between
generator: Linear N_z -> 512 s s -> ELU -> BN -> pixel shufflers
           512 -> 256 -> 128 -> 64 -> 3 with BN + ELU between
"""
import chainer
import chainer.functions as F
import chainer.links as L

from began.fast_cpu.layers import BatchNormalization, Convolution2D, elu
from began.nets.common import PixelShuffler, initializer

ENCODER_CHANNELS = (32, 64, 128, 256)


class UpsamplingStack(chainer.Chain):
    """Linear -> ELU -> BN -> reshape -> pixel shufflers with BN + ELU between."""

    def __init__(self, n_in, channels, bottleneck, initialW):
        super().__init__()
        self.channels, self.bottleneck = channels, bottleneck
        with self.init_scope():
            self.linear = L.Linear(n_in, channels[0] * bottleneck ** 2, initialW=initialW)
            self.bn0 = BatchNormalization(channels[0] * bottleneck ** 2)
            self.shufflers = chainer.ChainList(*[
                PixelShuffler(a, b, initialW) for a, b in zip(channels[:-1], channels[1:])])
            self.bns = chainer.ChainList(*[
                BatchNormalization(c) for c in channels[1:-1]])

    def forward(self, v):
        s = self.bottleneck
        y = self.bn0(elu(self.linear(v)))
        y = F.reshape(y, (len(y), self.channels[0], s, s))
        for i, shuffler in enumerate(self.shufflers):
            y = shuffler(y)
            if i < len(self.bns):
                y = elu(self.bns[i](y))
        return y


class BlogGenerator(chainer.Chain):
    def __init__(self, n_z=50, size=96, weight_std=0.01):
        super().__init__()
        with self.init_scope():
            self.stack = UpsamplingStack(n_z, (512, 256, 128, 64, 3), size // 16,
                                         initializer(weight_std))

    def forward(self, z):
        return self.stack(z)


class BlogAutoEncoder(chainer.Chain):
    def __init__(self, n_h=2048, size=96, weight_std=0.01):
        super().__init__()
        w = initializer(weight_std)
        bottleneck = size // 16
        with self.init_scope():
            channels = (3,) + ENCODER_CHANNELS
            self.convs = chainer.ChainList(*[
                Convolution2D(a, b, ksize=4, stride=2, pad=1, initialW=w)
                for a, b in zip(channels[:-1], channels[1:])])
            self.conv_bns = chainer.ChainList(*[
                BatchNormalization(c) for c in ENCODER_CHANNELS])
            self.to_h = L.Linear(ENCODER_CHANNELS[-1] * bottleneck ** 2, n_h, initialW=w)
            self.bn_h = BatchNormalization(n_h)
            self.from_h = UpsamplingStack(n_h, (256, 128, 64, 32, 3), bottleneck, w)

    def encode(self, x):
        for conv, bn in zip(self.convs, self.conv_bns):
            x = elu(bn(conv(x)))
        return self.to_h(x)

    def decode(self, h):
        # The post found h on real data grows to std ~80; BN here absorbs it.
        return self.from_h(self.bn_h(h))

    def forward(self, x):
        return self.decode(self.encode(x))
