"""Batch normalisation in training mode for channel-major NumPy images.

Chainer's CPU batch norm works on the (N, C, H, W) layout with broadcast
temporaries: about nine whole-array passes forward (mean, a variance that
centres its own copy, x - mean, times 1/std, times gamma, plus beta, a
cast) and again as many backward, where it recomputes x_hat. Here each
channel is one contiguous row of a (C, N H W) array: the statistics are
row reductions, x_hat is kept from the forward pass, and both directions
take about five passes. Running statistics are updated as Chainer does
(decay, unbiased variance).

Same maths as ``chainer.functions.batch_normalization`` over axes (0, 2, 3);
sums are ordered differently, so results agree to float32 rounding.
"""
import numpy
from chainer import function_node

from began.fast_cpu.conv import channel_major


def _rows(x):
    """(N, C, H, W) -> the (C, N H W) channel-major matrix (no copy when x
    is stored channel-major)."""
    return channel_major(x).reshape(x.shape[1], -1)


class BatchNormalization(function_node.FunctionNode):
    def __init__(self, eps, running_mean, running_var, decay):
        self.eps, self.decay = eps, decay
        self.running_mean, self.running_var = running_mean, running_var

    def forward_cpu(self, inputs):
        x, gamma, beta = inputs
        N, C, H, W = x.shape
        rows = _rows(x)
        m = rows.shape[1]
        mean = rows.mean(axis=1)
        x_hat = numpy.subtract(rows, mean[:, None])
        var = numpy.einsum('ij,ij->i', x_hat, x_hat) / x.dtype.type(m)
        self.inv_std = numpy.reciprocal(numpy.sqrt(var + self.eps, dtype=x.dtype))
        x_hat *= self.inv_std[:, None]
        self.x_hat = x_hat
        y = numpy.multiply(x_hat, gamma[:, None])
        y += beta[:, None]
        if self.running_mean is not None:
            adjust = m / max(m - 1., 1.)  # unbiased estimation, as Chainer's
            self.running_mean *= self.decay
            self.running_mean += (1 - self.decay) * mean
            self.running_var *= self.decay
            self.running_var += (1 - self.decay) * adjust * var
        self.retain_inputs((1,))
        return y.reshape(C, N, H, W).transpose(1, 0, 2, 3),

    def backward(self, indexes, grad_outputs):
        gamma, = self.get_retained_inputs()
        grads = BatchNormalizationGrad(self.x_hat, self.inv_std).apply(
            (gamma, grad_outputs[0]))
        return tuple(grads[i] for i in indexes)


class BatchNormalizationGrad(function_node.FunctionNode):
    """(gamma, gy) -> (gx, ggamma, gbeta)."""

    def __init__(self, x_hat, inv_std):
        self.x_hat, self.inv_std = x_hat, inv_std

    def forward_cpu(self, inputs):
        gamma, gy = inputs
        N, C, H, W = gy.shape
        rows, x_hat = _rows(gy), self.x_hat
        inv_m = gy.dtype.type(1. / rows.shape[1])
        gbeta = rows.sum(axis=1)
        ggamma = numpy.einsum('ij,ij->i', rows, x_hat)
        # gx = gamma / std (gy - (x_hat ggamma + gbeta) / m)
        gx = numpy.multiply(x_hat, (-inv_m * ggamma)[:, None])
        gx += rows
        gx -= (inv_m * gbeta)[:, None]
        gx *= (gamma * self.inv_std)[:, None]
        return gx.reshape(C, N, H, W).transpose(1, 0, 2, 3), ggamma, gbeta

    def backward(self, indexes, grad_outputs):
        raise NotImplementedError(
            'began.fast_cpu: no double backpropagation through batch norm '
            '(run with --no-fast-cpu)')
