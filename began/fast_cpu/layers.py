"""What the networks call: each link or function runs a fast CPU kernel on
NumPy arrays while ``began.fast_cpu`` is switched on, and Chainer's own
otherwise (CuPy arrays, or switched off). The links keep Chainer's
parameters, so saved weights are the same either way."""
import chainer.functions as F
import chainer.links as L

from began import fast_cpu
from began.fast_cpu.conv import convolution_2d
from began.fast_cpu.depth2space import Depth2Space
from began.fast_cpu.elu import ELU


class Convolution2D(L.Convolution2D):
    def forward(self, x):
        if fast_cpu.use_for(x) and self.dilate == (1, 1) and self.groups == 1:
            return convolution_2d(x, self.W, self.b, self.stride, self.pad)
        return super().forward(x)


def elu(x):
    """F.elu(x) (alpha = 1)."""
    if fast_cpu.use_for(x):
        return ELU().apply((x,))[0]
    return F.elu(x)


def depth2space(x, r):
    """F.depth2space(x, r)."""
    if fast_cpu.use_for(x):
        return Depth2Space(r).apply((x,))[0]
    return F.depth2space(x, r)
