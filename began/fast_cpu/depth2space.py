"""Depth-to-space (the pixel shuffler's rearrangement) for channel-major
NumPy arrays.

Chainer's CPU depth2space returns a pixel-major array (channels last in
memory), so every layer after a pixel shuffler would read its input across
channels. Here input and output stay channel-major: r^2 strided copies, one
per position in the r x r block, each from a contiguous slab.
Out[n, c, h r + i, w r + j] = In[n, (i r + j) C + c, h, w], as Chainer's.
"""
import numpy
from chainer import function_node

from began.fast_cpu.conv import channel_major


def _blocks(y, r):
    """(r r C, N, h, w) -> (r, r, C, N, h, w) view."""
    rrC, N, h, w = y.shape
    return y.reshape(r, r, rrC // (r * r), N, h, w)


class Depth2Space(function_node.FunctionNode):
    def __init__(self, r):
        self.r = r

    def forward_cpu(self, inputs):
        r = self.r
        blocks = _blocks(channel_major(inputs[0]), r)
        _, _, C, N, h, w = blocks.shape
        out = numpy.empty((C, N, h, r, w, r), dtype=blocks.dtype)
        for i in range(r):
            for j in range(r):
                out[:, :, :, i, :, j] = blocks[i, j]
        return out.reshape(C, N, h * r, w * r).transpose(1, 0, 2, 3),

    def backward(self, indexes, grad_outputs):
        return Space2Depth(self.r).apply(grad_outputs)


class Space2Depth(function_node.FunctionNode):
    def __init__(self, r):
        self.r = r

    def forward_cpu(self, inputs):
        r = self.r
        g = channel_major(inputs[0])
        C, N, H, W = g.shape
        g6 = g.reshape(C, N, H // r, r, W // r, r)
        out = numpy.empty((r, r, C, N, H // r, W // r), dtype=g.dtype)
        for i in range(r):
            for j in range(r):
                out[i, j] = g6[:, :, :, i, :, j]
        return out.reshape(r * r * C, N, H // r, W // r).transpose(1, 0, 2, 3),

    def backward(self, indexes, grad_outputs):
        return Depth2Space(self.r).apply(grad_outputs)
