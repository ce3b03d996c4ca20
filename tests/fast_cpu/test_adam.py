"""began.fast_cpu.adam: Chainer's Adam, bit for bit, in cache-sized slices."""
import chainer
import numpy
import pytest

from began.fast_cpu import adam


def run(fast, weight_decay_rate, shape=(3, 1234), steps=4):
    link = chainer.Link()
    with link.init_scope():
        link.p = chainer.Parameter(numpy.random.RandomState(0).randn(*shape).astype(
            numpy.float32))
    optimizer = adam.Adam(alpha=1e-3, beta1=0.5, weight_decay_rate=weight_decay_rate)
    optimizer.setup(link)
    optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(1.0))
    grads = numpy.random.RandomState(1)
    with chainer.using_config('began_fast_cpu', fast):
        for _ in range(steps):
            link.p.grad = grads.randn(*shape).astype(numpy.float32)
            optimizer.update()
    state = link.p.update_rule.state
    return link.p.array, state['m'], state['v']


@pytest.mark.parametrize('weight_decay_rate', [0.0, 0.01])
def test_same_as_chainers_adam(monkeypatch, weight_decay_rate):
    monkeypatch.setattr(adam, 'CHUNK', 1000)  # several slices, a shorter last one
    fast, chainers = run(True, weight_decay_rate), run(False, weight_decay_rate)
    for mine, ref in zip(fast, chainers):
        numpy.testing.assert_array_equal(mine, ref)
    start = numpy.random.RandomState(0).randn(3, 1234).astype(numpy.float32)  # run()'s
    assert (fast[0] != start).all()  # every weight took its steps


def test_snapshot_state_is_chainers():
    """Same state entries as chainer.optimizers.Adam: snapshots stay compatible."""
    link = chainer.links.Linear(3, 2)
    mine, theirs = adam.Adam(), chainer.optimizers.Adam()
    for optimizer in (mine, theirs):
        optimizer.setup(link)
        link.cleargrads()
        link.W.grad = numpy.ones_like(link.W.array)
        link.b.grad = numpy.ones_like(link.b.array)
        optimizer.update()
    assert sorted(link.W.update_rule.state) == ['m', 'v']
    assert isinstance(mine.create_update_rule(), chainer.optimizers.adam.AdamRule)
