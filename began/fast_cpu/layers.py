"""What the networks call: each link or function runs a fast CPU kernel on
NumPy arrays while ``began.fast_cpu`` is switched on, and Chainer's own
otherwise (CuPy arrays, or switched off). The links keep Chainer's
parameters, so saved weights are the same either way."""
import chainer
import chainer.functions as F
import chainer.links as L

from began import fast_cpu
from began.fast_cpu.batchnorm import BatchNormalization as BatchNormalizationFunction
from began.fast_cpu.conv import convolution_2d
from began.fast_cpu.depth2space import Depth2Space
from began.fast_cpu.elu import ELU


class Convolution2D(L.Convolution2D):
    def forward(self, x):
        if fast_cpu.use_for(x) and self.dilate == (1, 1) and self.groups == 1:
            return convolution_2d(x, self.W, self.b, self.stride, self.pad)
        return super().forward(x)


class BatchNormalization(L.BatchNormalization):
    """Fast in training mode for images (4-D input, the default axes)."""

    def forward(self, x, **kwargs):
        if (kwargs or not chainer.config.train or chainer.config.in_recomputing
                or self.axis is not None or x.ndim != 4 or self.gamma is None
                or self.beta is None or self.avg_mean is None
                or not fast_cpu.use_for(x)):
            return super().forward(x, **kwargs)
        node = BatchNormalizationFunction(self.eps, self.avg_mean, self.avg_var, self.decay)
        return node.apply((x, self.gamma, self.beta))[0]


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
