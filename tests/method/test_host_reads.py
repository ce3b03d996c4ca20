"""One read from the device per step: the updater gathers the step's
reported scalars into one array and reads it once (on a GPU, each read is a
wait for the device). Counted on the CPU by watching every way the step's
code could read an array back: float() of an array, CpuDevice.send and
cuda.to_cpu called from the step's modules. (Chainer's own parts of a step
read nothing back on a GPU: its gradient clipping scales on the device.)"""
import builtins
import linecache
import sys

import chainer
import numpy
import pytest

import began.coverage.step
import began.coverage.terms
import began.gradients
import began.objective
import began.rng
import began.updater
from began.config import Config
from began.data.mixture import MixtureIterator
from began.nets import build_models
from began.training.trainer import make_optimizer
from conftest import tiny_mixture_config

STEP_MODULES = (began.updater, began.coverage.step, began.coverage.terms, began.gradients,
                began.objective, began.rng)


def count_reads(monkeypatch):
    reads = []

    def watched_float(value=0.0):
        if isinstance(value, (numpy.ndarray, numpy.generic, chainer.Variable)):
            reads.append('float')
        return builtins.float(value)
    for module in STEP_MODULES:
        monkeypatch.setattr(module, 'float', watched_float, raising=False)
    names = {module.__name__ for module in STEP_MODULES}

    def from_the_step(what, spelled=''):
        # (a step's module, and for send() the host named: on the CPU the
        # array's own device is a CpuDevice too, and sending to it is no read)
        frame = sys._getframe(2)
        if frame.f_globals.get('__name__') in names and spelled in linecache.getline(
                frame.f_code.co_filename, frame.f_lineno):
            reads.append(what)
    send = chainer.backend.CpuDevice.send
    monkeypatch.setattr(chainer.backend.CpuDevice, 'send', lambda self, arrays: from_the_step(
        'send', 'CpuDevice') or send(self, arrays))
    to_cpu = chainer.backends.cuda.to_cpu
    monkeypatch.setattr(chainer.backends.cuda, 'to_cpu',
                        lambda array, stream=None: from_the_step('to_cpu') or to_cpu(array))
    return reads


def faces_config(**changes):
    return Config(**dict(dict(experiment='animeface', arch='blog', dataset='toyfaces',
                              image_size=16, n_z=8, n_h=16, batch_size=4), **changes)).validate()


@pytest.mark.parametrize('config', [
    tiny_mixture_config(),                                   # the post's step
    tiny_mixture_config(margin=0.5, latent_recovery=0.1, pull_away=0.1, code_matching=0.1),
    tiny_mixture_config(mmd=1.0, mmd_batch=16),              # the MMD, its median included
    tiny_mixture_config(mmd=1.0, mmd_batch=16, mmd_space='code', z_categories=4),
    faces_config(h_penalty=0.01),
], ids=['post', 'coverage terms', 'mmd', 'mmd code', 'faces'])
def test_one_host_read_per_step(monkeypatch, config):
    gen, dis = build_models(config)
    if config.arch == 'mlp':
        iterator = MixtureIterator(config.batch_size, config.updates_per_epoch, config.seed)
    else:
        images = numpy.random.RandomState(0).randint(0, 256, (8, 3, 16, 16)).astype('uint8')
        iterator = chainer.iterators.SerialIterator(images, config.batch_size)
    updater = began.updater.BeganUpdater(iterator, make_optimizer(config, gen),
                                         make_optimizer(config, dis), config)
    reporter = chainer.Reporter()
    reads = count_reads(monkeypatch)
    for step in range(3):   # the MMD's memory of past reals fills from the second
        del reads[:]
        with reporter.scope({}):
            updater.update()
            observed = dict(reporter.observation)
        assert reads == ['send'], (step, reads)
        assert all(isinstance(observed[k], builtins.float)
                   for k in ('loss_real', 'loss_fake', 'loss_d', 'loss_g', 'h_std', 'k', 'M'))
    assert 0 < updater.k <= 1 or config.lambda_k == 0
