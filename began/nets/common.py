"""Pieces the network families share."""
import chainer

from began.fast_cpu.layers import Convolution2D, depth2space


def initializer(weight_std):
    """Normal(weight_std), or Chainer's default (LeCun normal) for 0."""
    return chainer.initializers.Normal(weight_std) if weight_std > 0 else None


class PixelShuffler(chainer.Chain):
    """Sub-pixel upsampling: a 3x3 conv to r*r times the channels, then
    depth-to-space, doubling (r = 2) the height and width."""

    def __init__(self, in_channels, out_channels, initialW=None, r=2):
        super().__init__()
        self.r = r
        with self.init_scope():
            self.conv = Convolution2D(in_channels, out_channels * r * r,
                                      ksize=3, stride=1, pad=1, initialW=initialW)

    def forward(self, x):
        return depth2space(self.conv(x), self.r)
