"""ELU (alpha = 1) for NumPy arrays without boolean masks.

Chainer's CPU ELU copies its input and rewrites the negative entries through
boolean-mask indexing (gather, expm1, scatter), and its gradient builds a
mask too, then multiplies in a separate node. Here, for alpha = 1:

    y  = max(x, expm1(min(x, 0)))      (expm1(x) >= x for x <= 0; 0 for x > 0)
    gx = gy (min(y, 0) + 1)            (1 where y > 0, y + 1 = exp(x) elsewhere)

three whole-array passes each, keeping the input's memory layout. Both are
bit for bit Chainer's values (the same expm1, the same y + 1).
"""
import numpy
from chainer import function_node


class ELU(function_node.FunctionNode):
    def forward_cpu(self, inputs):
        x, = inputs
        y = numpy.empty_like(x)
        numpy.minimum(x, 0, out=y)
        numpy.expm1(y, out=y)
        numpy.maximum(x, y, out=y)
        self.retain_outputs((0,))
        return y,

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return ELUGrad().apply((y, grad_outputs[0]))


class ELUGrad(function_node.FunctionNode):
    def forward_cpu(self, inputs):
        y, gy = inputs
        gx = numpy.empty_like(y)
        numpy.minimum(y, 0, out=gx)
        gx += 1
        gx *= gy
        return gx,

    def backward(self, indexes, grad_outputs):
        raise NotImplementedError(
            'began.fast_cpu: no double backpropagation through ELU (run with --no-fast-cpu)')

