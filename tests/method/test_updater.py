import copy

import chainer
import numpy
import pytest

from began import objective
from began.coverage import terms
from began.coverage.transport import sliced_wasserstein
from began.data.mixture import MixtureIterator
from began.nets import build_models
from began.rng import random_state, sample_z
from began.training.snapshots import load_snapshot, read_snapshot
from began.training.trainer import build_trainer
from conftest import tiny_mixture_config


def make_trainer(tmp_path, config, name='run'):
    gen, dis = build_models(config)
    iterator = MixtureIterator(config.batch_size, config.updates_per_epoch, config.seed)
    return build_trainer(config, iterator, gen, dis, chainer.get_device('@numpy'),
                         str(tmp_path / name / 'model'), str(tmp_path / name / 'plot'),
                         progress=False)


def params(link):
    return {name: p.array.copy() for name, p in link.namedparams()}


def expected_grads(config, gen, dis, x, iteration, k):
    """The step's gradients the textbook way: a fresh forward pass and a full
    backward of each loss on copies, with the updater's random draws; and
    the std of D's code of the real batch."""
    gen, dis = copy.deepcopy(gen), copy.deepcopy(dis)

    def losses():
        rs = random_state(numpy, config.seed, 'step', iteration)
        z = sample_z(rs, len(x), config.n_z, config.z_categories)
        fake = gen(z)
        noise_real = rs.normal(0, config.noise_std, x.shape).astype(numpy.float32)
        noise_fake = rs.normal(0, config.noise_std, fake.shape).astype(numpy.float32)
        loss_real = objective.reconstruction_loss(x, dis(x + noise_real))
        loss_fake = objective.reconstruction_loss(fake, dis(fake + noise_fake))
        pushed = loss_fake
        if config.margin > 0:   # each fake's error counts up to margin L(x)
            errors = abs(fake - dis(fake + noise_fake)).array.mean(axis=1)
            cap = config.margin * float(loss_real.array)
            kept = errors < cap
            pushed = (chainer.functions.sum(abs(fake - dis(fake + noise_fake))[kept]) / 2
                      + cap * (~kept).sum()) / len(errors)
        h = dis.encode(x + noise_real)
        penalty = config.h_penalty * chainer.functions.sum(h * h) / h.size  # mean(h^2)
        h_fake = dis.encode(fake + noise_fake)
        p = terms.latent_projection(config.n_z, config.n_h, config.seed)
        recovery = config.latent_recovery * chainer.functions.mean_absolute_error(h_fake, z @ p)
        pull_away = config.pull_away * terms.pull_away(h_fake, 1.0)
        named = 0   # --info-head: D's head names each fake's category, in both losses
        if config.info_head > 0:
            hot = z[:, :config.z_categories].argmax(axis=1).astype(numpy.int32)
            named = config.info_head * chainer.functions.softmax_cross_entropy(
                dis.info_head(h_fake), hot)
        gap = chainer.functions.mean(h_fake, axis=0) - h.array.mean(axis=0)
        matching = config.code_matching * chainer.functions.sum(gap * gap) / gap.size
        pair = (h_fake, h.array) if config.mmd_space == 'code' else (fake, x)
        if config.mmd_batch > len(x):   # more fakes, from z drawn next (no past reals yet)
            more = gen(sample_z(rs, config.mmd_batch - len(x), config.n_z, config.z_categories))
            if config.mmd_space == 'code':
                more = dis.encode(more + rs.normal(0, config.noise_std, more.shape)
                                  .astype(numpy.float32))
            pair = (chainer.functions.concat([pair[0], more], axis=0), pair[1])
        mmd = terms.mmd(*pair, config.mmd, terms.mmd_scales(config.mmd_narrowest)) \
            if config.mmd > 0 else 0
        transport = sliced_wasserstein(*pair, config.sliced_wasserstein, rs) \
            if config.sliced_wasserstein > 0 else 0
        return {'dis': loss_real - k * pushed + penalty + recovery + named,
                'gen': loss_fake + pull_away + matching + mmd + transport + named, 'h': h}

    grads = {}
    for name, link in (('dis', dis), ('gen', gen)):
        gen.cleargrads()
        dis.cleargrads()
        losses()[name].backward()
        grads[name] = {n: p.grad.copy() for n, p in link.namedparams()
                       if p.grad is not None}   # (the head, with --info-head 0)
    grads['h_std'] = float(losses()['h'].array.std())
    return grads


# Each optional term of the objective, and the network whose loss holds it.
OPTIONAL_TERMS = {'h_penalty': 'dis', 'pull_away': 'gen', 'latent_recovery': 'dis',
                  'code_matching': 'gen', 'margin': 'dis', 'mmd': 'gen',
                  'sliced_wasserstein': 'gen', 'info_head': 'gen'}


@pytest.mark.parametrize('extra', [{}, dict(h_penalty=0.5), dict(pull_away=0.7),
                                   dict(latent_recovery=0.3), dict(latent_recovery=0.3, n_z=5),
                                   dict(code_matching=2.0), dict(margin=0.3), dict(mmd=0.5),
                                   dict(mmd=0.5, mmd_space='code'), dict(mmd=0.5, mmd_batch=20),
                                   dict(mmd=0.5, mmd_batch=20, mmd_space='code'),
                                   dict(mmd=0.5, mmd_batch=20, z_categories=3),
                                   dict(mmd=0.5, mmd_narrowest=1 / 64),
                                   dict(sliced_wasserstein=0.5),
                                   dict(info_head=0.5, z_categories=3),
                                   dict(mmd=0.5, sliced_wasserstein=0.5, mmd_batch=20,
                                        mmd_space='code')])
def test_gradients_do_not_leak_across(tmp_path, extra):
    """Each loss's gradient goes to its own network only, with the optional
    terms: the pull-away term, code matching and the MMD (L_G) reach G
    only, the latent constraint (L_D) D only; the InfoGAN head's term, in
    both losses, reaches each network through its own loss."""
    config = tiny_mixture_config(k_init=0.5, noise_std=0.1, **extra)
    trainer = make_trainer(tmp_path, config)
    updater = trainer.updater
    x = MixtureIterator(config.batch_size, config.updates_per_epoch, config.seed).next()
    want = expected_grads(config, updater.generator, updater.discriminator, x, 0, 0.5)
    # ... and without the optional term (its network's gradient must differ)
    plain = {name: expected_grads(config.replace(**{name: 0.0}), updater.generator,
                                  updater.discriminator, x, 0, 0.5)
             for name in extra if name in OPTIONAL_TERMS}

    seen = {}
    for name in ('gen', 'dis'):
        opt = updater.get_optimizer(name)
        original = opt.update

        def capture(name=name, opt=opt, original=original):
            seen[name] = {n: p.grad.copy() for n, p in opt.target.namedparams()}
            original()
        opt.update = capture
    updater.update()

    for name in ('gen', 'dis'):
        assert set(seen[name]) == set(want[name])
        for param, grad in want[name].items():
            numpy.testing.assert_allclose(seen[name][param], grad, rtol=1e-4, atol=1e-7)
    # L_G's gradient differs from L_D's on D: a leak would have shown above.
    d_loss_fake = expected_grads(config, updater.generator, updater.discriminator, x, 0, -1.0)
    assert any(not numpy.allclose(d_loss_fake['dis'][n], want['dis'][n]) for n in want['dis'])
    # An optional term is there: without it, its network's gradient differs.
    for name, without in plain.items():
        net = OPTIONAL_TERMS[name]
        assert any(not numpy.allclose(without[net][n], want[net][n], rtol=1e-4, atol=1e-7)
                   for n in want[net]), name


def test_one_step_moves_both_networks_and_k(tmp_path):
    config = tiny_mixture_config(lambda_k=0.5)
    updater = make_trainer(tmp_path, config).updater
    before_g, before_d = params(updater.generator), params(updater.discriminator)
    updater.update()
    after_g, after_d = params(updater.generator), params(updater.discriminator)
    assert all(not numpy.array_equal(before_g[n], after_g[n]) for n in before_g)
    assert all(not numpy.array_equal(before_d[n], after_d[n]) for n in before_d)
    assert updater.k != 0.0 and 0.0 <= updater.k <= 1.0
    assert updater.iteration == 1


def unclipped_step(k, loss_real, loss_fake, gamma, lambda_k, how):
    """k_t + lambda_k balance, written out here (k_t+1 is it clipped to [0, 1])."""
    balance = gamma * loss_real - loss_fake if how == 'difference' \
        else gamma - loss_fake / loss_real
    return k + lambda_k * balance


# (k_0, lambda_k): a step inside [0, 1], and one far past an end (clipped).
@pytest.mark.parametrize('k_init, lambda_k', [(0.3, 0.05), (0.5, 1000.0)])
@pytest.mark.parametrize('how', ['difference', 'ratio'])
def test_k_after_one_update_is_the_clipped_control_step(tmp_path, how, k_init, lambda_k):
    """The step's own reported losses give k_1, in the updater and in the
    snapshot written after the update."""
    config = tiny_mixture_config(k_init=k_init, lambda_k=lambda_k, gamma=0.7, k_balance=how,
                                 epochs=1, updates_per_epoch=1, noise_std=0.1)
    trainer = make_trainer(tmp_path, config)
    observation = {}
    with trainer.reporter.scope(observation):
        trainer.updater.update()
    assert observation['k'] == k_init  # reported: the k_t the step used
    raw = unclipped_step(k_init, observation['loss_real'], observation['loss_fake'], 0.7,
                         lambda_k, how)
    assert (0 < raw < 1) == (lambda_k < 1), raw  # each case is the one it says
    want = min(max(raw, 0.0), 1.0)
    assert trainer.updater.k == pytest.approx(want, rel=1e-12, abs=0) and want != k_init

    run = make_trainer(tmp_path, config, 'snapshot')
    run.run()
    snapshot = read_snapshot(str(tmp_path / 'snapshot' / 'model' / 'snapshot_iter_1.npz'))
    assert float(snapshot['updater/k']) == pytest.approx(want, rel=1e-12, abs=0)


def test_reported_values(tmp_path):
    config = tiny_mixture_config()
    trainer = make_trainer(tmp_path, config)
    updater = trainer.updater
    x = MixtureIterator(config.batch_size, config.updates_per_epoch, config.seed).next()
    h_std = expected_grads(config, updater.generator, updater.discriminator, x, 0, 0.0)['h_std']
    observation = {}
    with trainer.reporter.scope(observation):
        trainer.updater.update()
    for key in ('loss_real', 'loss_fake', 'loss_d', 'loss_g', 'k', 'M', 'h_std'):
        assert numpy.isfinite(observation[key])
    assert observation['h_std'] == pytest.approx(h_std, rel=1e-5) and h_std > 0
    real, fake = observation['loss_real'], observation['loss_fake']
    assert observation['M'] == pytest.approx(real + abs(config.gamma * real - fake), rel=1e-12)


def test_snapshot_resume_restores_k_iteration_and_optimizer_state(tmp_path):
    config = tiny_mixture_config(lambda_k=0.05, epochs=2, updates_per_epoch=5)
    first = make_trainer(tmp_path, config, 'first')
    first.run()
    snapshot = tmp_path / 'first' / 'model' / 'snapshot_iter_10.npz'
    assert snapshot.exists()

    second = make_trainer(tmp_path, config, 'second')
    load_snapshot(second, read_snapshot(str(snapshot)), str(snapshot))
    a, b = first.updater, second.updater
    assert b.iteration == 10 and b.k == pytest.approx(a.k) and a.k > 0
    assert b.get_iterator('main').iteration == 10
    for name in ('gen', 'dis'):
        opt_a, opt_b = a.get_optimizer(name), b.get_optimizer(name)
        assert opt_b.t == opt_a.t == 10
        for (n, pa), (_, pb) in zip(sorted(opt_a.target.namedparams()),
                                    sorted(opt_b.target.namedparams())):
            numpy.testing.assert_array_equal(pa.array, pb.array)
            numpy.testing.assert_array_equal(pa.update_rule.state['m'], pb.update_rule.state['m'])
            numpy.testing.assert_array_equal(pa.update_rule.state['v'], pb.update_rule.state['v'])


def test_mmd_batch_keeps_the_last_reals_and_a_snapshot_keeps_them(tmp_path):
    """--mmd-batch 20 with batches of 8: the MMD's reals are the step's 8
    and the 12 newest before them, and a resumed run has the same ones."""
    config = tiny_mixture_config(mmd=1.0, mmd_batch=20, epochs=1, updates_per_epoch=3)
    first = make_trainer(tmp_path, config, 'first')
    first.run()
    data = MixtureIterator(config.batch_size, 3, config.seed)
    batches = [data.next() for _ in range(3)]
    numpy.testing.assert_array_equal(first.updater.coverage.mmd_memory,
                                     numpy.concatenate([batches[2], batches[1][:4]]))
    snapshot = tmp_path / 'first' / 'model' / 'snapshot_iter_3.npz'
    second = make_trainer(tmp_path, config, 'second')
    load_snapshot(second, read_snapshot(str(snapshot)), str(snapshot))
    numpy.testing.assert_array_equal(second.updater.coverage.mmd_memory, first.updater.coverage.mmd_memory)
