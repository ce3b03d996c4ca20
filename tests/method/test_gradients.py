"""began/gradients.py: one backward pass through each of D's branches gives
L_D's gradient to D and L_G's to G, exactly as two full backward passes do,
with Chainer's kernels and with began.fast_cpu's; while k_t = 0 it computes
no weight gradient in D's pass over G(z)."""
import copy

import chainer
import numpy
import pytest

from began import objective
from began.config import Config
from began.gradients import set_began_gradients
from began.nets import build_models


def tiny_blog_nets():
    config = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=6, n_h=8, weight_std=0.1).validate()
    return build_models(config)


def inputs(gen):
    rs = numpy.random.RandomState(3)
    x = rs.uniform(-1, 1, (4, 3, 16, 16)).astype(numpy.float32)
    z = rs.uniform(-1, 1, (4, gen.stack.linear.W.shape[1])).astype(numpy.float32)
    return x, z


def textbook(gen, dis, x, z, k):
    """Each loss back-propagated in full from one fresh forward pass."""
    grads = {}
    for name, link in (('dis', dis), ('gen', gen)):
        gen.cleargrads()
        dis.cleargrads()
        fake = gen(z)
        loss_real = objective.reconstruction_loss(x, dis(x))
        loss_fake = objective.reconstruction_loss(fake, dis(fake))
        loss = loss_real - k * loss_fake if name == 'dis' else loss_fake
        loss.backward()
        grads[name] = {n: p.grad.copy() for n, p in link.namedparams()}
    return grads


def shared(gen, dis, x, z, k):
    fake = gen(z)
    fake_in = chainer.Variable(fake.array)
    loss_real = objective.reconstruction_loss(x, dis(x))
    loss_fake = objective.reconstruction_loss(fake_in, dis(fake_in))
    set_began_gradients(dis, gen, loss_real, loss_fake, k, fake, fake_in)
    return {name: {n: p.grad.copy() for n, p in link.namedparams()}
            for name, link in (('dis', dis), ('gen', gen))}


def assert_same_gradients(got, want):
    """Equal to float32 rounding, measured against each network's largest
    gradient: some are sums that cancel to rounding noise (the biases of
    convolutions before batch norm have a true gradient of 0)."""
    for name in ('dis', 'gen'):
        assert set(got[name]) == set(want[name])
        scale = max(numpy.abs(g).max() for g in want[name].values())
        for param, grad in want[name].items():
            numpy.testing.assert_allclose(got[name][param], grad, rtol=2e-4, atol=1e-5 * scale,
                                          err_msg=f'{name}{param}')


@pytest.mark.parametrize('fast', [True, False])
@pytest.mark.parametrize('k', [0.0, 0.3])
def test_same_gradients_as_two_full_backward_passes(fast, k):
    gen, dis = tiny_blog_nets()
    x, z = inputs(gen)
    with chainer.using_config('began_fast_cpu', fast):
        want = textbook(copy.deepcopy(gen), copy.deepcopy(dis), x, z, k)
        got = shared(gen, dis, x, z, k)
    assert_same_gradients(got, want)


def test_fast_kernels_give_chainers_gradients():
    gen, dis = tiny_blog_nets()
    x, z = inputs(gen)
    with chainer.using_config('began_fast_cpu', False):
        want = shared(copy.deepcopy(gen), copy.deepcopy(dis), x, z, 0.3)
    got = shared(gen, dis, x, z, 0.3)
    assert_same_gradients(got, want)


class CountWeightGradients(chainer.FunctionHook):
    """How many linear layers' weight gradients a backward pass computes."""
    name = 'CountWeightGradients'

    def __init__(self):
        self.count = 0

    def forward_preprocess(self, function, in_data):
        if type(function).__name__ == 'LinearGradWeight':
            self.count += 1


@pytest.mark.parametrize('k, count', [(0.0, 3), (0.3, 5)])
def test_no_weight_gradients_from_the_fake_branch_while_k_is_zero(k, count):
    """D has 2 linear layers, G 1: D's pass over G(z) adds its 2 only for k > 0."""
    gen, dis = tiny_blog_nets()
    x, z = inputs(gen)
    hook = CountWeightGradients()
    with hook:
        shared(gen, dis, x, z, k)
    assert hook.count == count
