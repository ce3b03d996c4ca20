"""--pooled-mmd: a second MMD, between G(z) and x pooled to a few pixels a
side, in L_G only; and its option's rules."""
import copy

import chainer
import numpy
import pytest

from began.config import Config
from began.coverage import terms
from began.errors import ConfigError
from began.nets import build_models
from began.rng import random_state, sample_z
from began.updater import BeganUpdater


def faces_config(**changes):
    settings = dict(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=6, n_h=8, batch_size=4, weight_std=0.1)
    return Config(**{**settings, **changes}).validate()


def test_pooling_averages_each_block():
    images = numpy.arange(2 * 3 * 8 * 8, dtype=numpy.float32).reshape(2, 3, 8, 8)
    pooled = terms.pooled(images, 2).array
    assert pooled.shape == (2, 3, 2, 2)
    numpy.testing.assert_allclose(pooled[1, 2, 0, 1], images[1, 2, :4, 4:].mean())


def one_step_gradients(config, gen, dis, x):
    """The gradients the updater hands each optimizer in its first step."""
    gen, dis = copy.deepcopy(gen), copy.deepcopy(dis)
    optimizers = {}
    for name, link in (('gen', gen), ('dis', dis)):
        optimizers[name] = chainer.optimizers.Adam()
        optimizers[name].setup(link)
    iterator = chainer.iterators.SerialIterator(x, len(x), shuffle=False)
    updater = BeganUpdater(iterator, optimizers['gen'], optimizers['dis'], config)
    seen = {}
    for name, optimizer in optimizers.items():
        optimizer.update = lambda name=name, link=optimizer.target: seen.update(
            {name: {n: p.grad.copy() for n, p in link.namedparams()}})
    updater.update()
    return seen


def test_the_pooled_mmd_adds_its_own_gradient_to_g_and_nothing_to_d():
    config = faces_config(pooled_mmd=0.7, pooled_mmd_size=4)
    gen, dis = build_models(config)
    x = numpy.random.RandomState(0).uniform(-1, 1, (4, 3, 16, 16)).astype(numpy.float32)
    with_term = one_step_gradients(config, gen, dis, x)
    without = one_step_gradients(config.replace(pooled_mmd=0.0), gen, dis, x)
    # The term alone, from the step's own z.
    term_gen = copy.deepcopy(gen)
    term_gen.cleargrads()   # (a new parameter's gradient is NaN until cleared)
    z = sample_z(random_state(numpy, config.seed, 'step', 0), len(x), config.n_z, 0)
    term = terms.mmd(terms.pooled(term_gen(z), 4), terms.pooled(x, 4).array, 0.7,
                     terms.mmd_scales(config.mmd_narrowest))
    term.backward()
    want = {name: without['gen'][name] + p.grad for name, p in term_gen.namedparams()}
    largest = max(abs(g).max() for g in want.values())   # (float32 rounding of sums
    for name, grad in want.items():                        # that cancel: biases before BN)
        numpy.testing.assert_allclose(with_term['gen'][name], grad, rtol=1e-4,
                                      atol=1e-5 * largest)
    assert any(abs(p.grad).max() > 0 for _, p in term_gen.namedparams())
    for name, grad in without['dis'].items():
        numpy.testing.assert_allclose(with_term['dis'][name], grad, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize('changes,says', [
    (dict(pooled_mmd=1.0, pooled_mmd_size=5), 'pooled-mmd-size must divide size 16, got 5'),
    (dict(pooled_mmd=1.0, pooled_mmd_size=32), 'pooled-mmd-size must divide size 16, got 32'),
    (dict(pooled_mmd=1.0, batch_size=1), 'pooled-mmd needs batch-size >= 2'),
])
def test_a_pooled_size_that_cannot_work_is_refused(changes, says):
    with pytest.raises(ConfigError, match=says):
        faces_config(**changes)
