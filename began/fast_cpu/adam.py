"""Adam's update for NumPy parameters in one cache-sized pass.

Chainer's CPU Adam makes about ten whole-array temporaries per parameter and
step (grad - m, grad * grad, sqrt(v), the step, ...); D's two big linear
layers hold 38 M parameters, so each temporary is a trip of 150 MB through
memory. Here the same operations, in the same order and precision, run on
slices of 64 K elements whose temporaries stay in the CPU's cache: each of
grad, m, v and the parameter is read once and m, v and the parameter are
written once. The results are bit for bit Chainer's. The state ('m', 'v')
and hyperparameters are Chainer's, so snapshots are unchanged.
"""
import numpy
from chainer import optimizers

from began import fast_cpu

#: Elements per slice: five float32 slices (~1.3 MB) stay in the cache.
CHUNK = 1 << 16


class AdamRule(optimizers.adam.AdamRule):
    def update_core_cpu(self, param):
        hp = self.hyperparam
        grad = param.grad
        if (grad is None or not fast_cpu.enabled() or hp.amsgrad or hp.adabound
                or param.dtype != numpy.float32 or not param.data.flags.c_contiguous
                or not grad.flags.c_contiguous):
            return super().update_core_cpu(param)
        self._check_eps(numpy.float32)
        m, v = self.state['m'].reshape(-1), self.state['v'].reshape(-1)
        p, g = param.data.reshape(-1), grad.reshape(-1)
        alpha_t, eta, eps = self.alpha_t, hp.eta, hp.eps
        b1, b2, decay = 1.0 - hp.beta1, 1.0 - hp.beta2, 1.0 - hp.eta * hp.weight_decay_rate
        t, u = self._scratch(min(CHUNK, p.size))
        for start in range(0, p.size, CHUNK):
            s = slice(start, start + CHUNK)
            gs, ms, vs, ps = g[s], m[s], v[s], p[s]
            ts, us = t[:len(gs)], u[:len(gs)]
            # m += (1 - beta1) * (grad - m)
            numpy.subtract(gs, ms, out=ts)
            ts *= b1
            ms += ts
            # v += (1 - beta2) * (grad * grad - v)
            numpy.multiply(gs, gs, out=ts)
            ts -= vs
            ts *= b2
            vs += ts
            # param = decay * param - eta * (alpha_t / (sqrt(v) + eps) * m)
            numpy.sqrt(vs, out=ts)
            ts += eps
            numpy.divide(alpha_t, ts, out=ts)
            ts *= ms
            numpy.multiply(-eta, ts, out=us)
            if decay != 1:
                ps *= decay
            ps += us

    def _scratch(self, size):
        """Two float32 buffers of ``size``, kept from step to step."""
        scratch = getattr(self, '_buffers', None)
        if scratch is None or len(scratch[0]) != size:
            scratch = self._buffers = (numpy.empty(size, numpy.float32),
                                       numpy.empty(size, numpy.float32))
        return scratch


class Adam(optimizers.Adam):
    """chainer.optimizers.Adam whose CPU update runs in cache-sized slices
    while began.fast_cpu is switched on."""

    def create_update_rule(self):
        return AdamRule(self.hyperparam)
