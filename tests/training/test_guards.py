"""The divergence guard, the post's early-failure check and the k_t warning."""
import hashlib
import os
import re
import warnings

import chainer
import numpy
import pytest
from chainer import iterators

from began.training import guards, snapshots, trainer as training
from began.errors import DivergenceError, EarlyFailureError
from began.training.guards import EarlyCheck, ImbalanceWarning, KStuckWarning
from began.data.mixture import MixtureIterator
from began.nets import build_models
from conftest import tiny_mixture_config
from conftest import assert_one_line_error, run_forked

MIXTURE = 'train_gaussian_mixture/train.py'
TINY = ['--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 5, '--no-progress']


def make_trainer(tmp_path, config, name='run', check=False, check_updates=None):
    gen, dis = build_models(config)
    iterator = MixtureIterator(config.batch_size, config.updates_per_epoch, config.seed)
    return training.build_trainer(
        config, iterator, gen, dis, chainer.get_device('@numpy'),
        str(tmp_path / name / 'model'), str(tmp_path / name / 'plot'),
        log_trigger=(100, 'epoch'), progress=False,  # rows at picture epochs only
        check_examples=guards.check_examples(config, None) if check else None,
        early_check_updates=check_updates)


def all_finite(path):
    with numpy.load(path, allow_pickle=False) as npz:
        return all(numpy.isfinite(npz[k]).all() for k in npz.files
                   if npz[k].dtype.kind == 'f')


def digest(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


# --- divergence ---------------------------------------------------------------

class PoisonAt(chainer.training.Extension):
    """Sets one generator weight to NaN after update ``iteration``."""
    priority = chainer.training.PRIORITY_WRITER + 200  # before the guard

    def __init__(self, iteration):
        self.iteration = iteration

    def __call__(self, trainer):
        if trainer.updater.iteration == self.iteration:
            next(trainer.updater.generator.params()).array[0, 0] = numpy.nan


def poisoned_run(tmp_path, iteration):
    """A 3-epoch run (5 updates an epoch) with a NaN put into G after update
    ``iteration``: the guard's message; every file written is finite."""
    trainer = make_trainer(tmp_path, tiny_mixture_config(epochs=3))
    trainer.extend(PoisonAt(iteration))
    model = tmp_path / 'run' / 'model'
    with pytest.raises(DivergenceError) as error:
        training.run(trainer)
    assert all(all_finite(model / name) for name in os.listdir(model) if name.endswith('.npz'))
    return str(error.value), model


def test_nan_stops_training_and_the_last_good_snapshot_is_kept(tmp_path):
    # A NaN weight mid-epoch shows in the next step's losses.
    message, model = poisoned_run(tmp_path, 7)
    assert message.startswith('training diverged at iteration 8: loss_fake, loss_d, loss_g, ')
    assert 'generator parameters' in message
    assert message.endswith(f'not finite; the last good snapshot '
                            f'{model / "snapshot_iter_5.npz"} is kept (resume with --resume, '
                            f'perhaps with a lower --lr)')
    assert sorted(os.listdir(model)) == ['discriminator.npz', 'generator.npz', 'log',
                                         'model.json', 'snapshot_iter_5.npz']


def test_nan_weights_at_an_epochs_end_are_never_written(tmp_path):
    # The update that ends epoch 2 leaves G with a NaN weight while its own
    # losses are finite: the parameters are checked before the writers run.
    message, model = poisoned_run(tmp_path, 10)
    assert message.startswith('training diverged at iteration 10: generator parameters not '
                              f'finite; the last good snapshot {model / "snapshot_iter_5.npz"} '
                              f'is kept')
    assert 'snapshot_iter_10.npz' not in os.listdir(model)


def test_the_parameters_are_checked_every_interval_and_at_epoch_ends(tmp_path, monkeypatch):
    checked = []
    reduce = guards.all_finite
    trainer = make_trainer(tmp_path, tiny_mixture_config(epochs=2, updates_per_epoch=7))
    monkeypatch.setattr(guards, 'all_finite', lambda groups: checked.append(
        trainer.updater.iteration) or reduce(groups))
    trainer.get_extension('DivergenceGuard').interval = 4
    training.run(trainer)
    assert checked == [4, 7, 8, 12, 14]


def test_all_finite_reads_back_once_and_names_the_group(monkeypatch):
    def group(*values):
        return [chainer.Parameter(numpy.full((2, 3), v, numpy.float32)) for v in values]
    sends = []
    send = chainer.backend.CpuDevice.send
    monkeypatch.setattr(chainer.backend.CpuDevice, 'send',
                        lambda self, arrays: sends.append(1) or send(self, arrays))
    assert guards.all_finite([group(0.5, -2), group(1)]) == [True, True]
    assert len(sends) == 1                                   # one transfer for all
    with numpy.errstate(over='ignore', invalid='ignore'):  # as in training
        assert guards.all_finite([group(1, 2), group(1, numpy.nan)]) == [True, False]
        assert guards.all_finite([group(numpy.inf, -numpy.inf), group(1)]) == [False, True]
        # Finite values whose float32 sum overflows: no false alarm.
        assert guards.all_finite([group(3e38, 3e38), group(-3e38)]) == [True, True]


def test_diverging_through_the_cli_is_one_line_and_keeps_the_snapshot(tmp_path):
    model, plot = tmp_path / 'model', tmp_path / 'plot'
    result = run_forked(MIXTURE, *TINY, '--epochs', 1, '--model-dir', model, '--plot-dir', plot)
    assert result.returncode == 0, result.stderr
    before = {name: digest(model / name) for name in os.listdir(model) if name.endswith('.npz')}

    # Adam's steps are about lr long whatever the gradient: 1e30 overflows at once.
    result = run_forked(MIXTURE, '--resume', '--epochs', 3, '--lr', '1e30',
                        '--model-dir', model, '--plot-dir', plot)
    line = assert_one_line_error(result, 'training diverged at iteration',
                                 f'the last good snapshot {model / "snapshot_iter_5.npz"} is kept')
    assert 5 < int(re.search(r'iteration (\d+)', line).group(1)) <= 7
    after = {name: digest(model / name) for name in os.listdir(model) if name.endswith('.npz')}
    assert after == before  # nothing written after the NaN


# --- the early check ----------------------------------------------------------

def test_early_check_stops_a_run_that_cannot_learn_and_keeps_its_snapshot(tmp_path):
    config = tiny_mixture_config(epochs=3, lr=1e-7)
    trainer = make_trainer(tmp_path, config, check=True, check_updates=5)
    with pytest.raises(EarlyFailureError) as error:
        training.run(trainer)
    model = tmp_path / 'run' / 'model'
    message = str(error.value)
    assert message.startswith('early check failed at iteration 5: D does not reconstruct real '
                              'data (error ')
    assert '--lr, --noise-std, --batch-size or --gamma' in message
    assert message.endswith(f'the snapshot {model / "snapshot_iter_5.npz"} is kept')
    assert trainer.updater.iteration == 5

    # Resumed, the check is not repeated (its trigger state is in that snapshot).
    resumed = make_trainer(tmp_path, config, 'resumed', check=True, check_updates=5)
    path = str(model / 'snapshot_iter_5.npz')
    snapshots.load_snapshot(resumed, snapshots.read_snapshot(path), path)
    assert training.run(resumed) is None and resumed.updater.iteration == 15


def test_early_check_passes_a_run_that_learns_and_can_be_switched_off(tmp_path):
    healthy = tiny_mixture_config(epochs=1, updates_per_epoch=100, hidden=32, n_h=32, lr=1e-3,
                                  batch_size=16)
    trainer = make_trainer(tmp_path, healthy, check=True, check_updates=100)
    check = trainer.get_extension('EarlyCheck')
    error, baseline = guards.reconstruction_ratio(trainer.updater.discriminator, check.examples)
    assert error > 0.7 * baseline  # it would fail before training...
    assert training.run(trainer) is None  # ...and passes after 100 updates
    broken = tiny_mixture_config(epochs=1, lr=1e-7)
    assert training.run(make_trainer(tmp_path, broken, 'off', check=False)) is None


def test_early_check_through_the_cli_keeps_epoch_1(tmp_path):
    model, plot = tmp_path / 'model', tmp_path / 'plot'
    result = run_forked(MIXTURE, *TINY, '--epochs', 3, '--lr', '1e-7',
                        '--early-check-updates', 5, '--model-dir', model, '--plot-dir', plot)
    assert_one_line_error(result, 'early check failed at iteration 5',
                          f'the snapshot {model / "snapshot_iter_5.npz"} is kept')
    assert (plot / 'scatter_epoch_1.png').exists() and (model / 'generator.npz').exists()


def test_default_check_point_is_the_first_epoch_with_500_updates():
    def epoch_of(iterator):
        return EarlyCheck.trigger_for(iterator).points

    assert epoch_of(MixtureIterator(16, 500)) == [1]          # the post's mixture epoch
    assert epoch_of(MixtureIterator(16, 10)) == [50]
    assert epoch_of(iterators.SerialIterator(range(47000), 16)) == [1]  # the post's faces
    assert epoch_of(iterators.SerialIterator(range(100), 16)) == [80]
    assert EarlyCheck.trigger_for(MixtureIterator(16, 10), 7).points == [7]
    assert EarlyCheck.trigger_for(MixtureIterator(16, 10), 7).unit == 'iteration'


def test_baseline_is_the_error_of_predicting_the_mean():
    x = numpy.array([[0, 0], [2, 4]], numpy.float32)

    class Mean(chainer.Link):
        def forward(self, v):
            return chainer.Variable(numpy.broadcast_to(x.mean(0), v.shape).copy())

    error, baseline = guards.reconstruction_ratio(Mean(), x)
    assert error == baseline == pytest.approx(1.5)


# --- k_t pinned at 0 or 1 ---------------------------------------------------

def test_k_stuck_at_zero_warns_once(tmp_path):
    # gamma 0: k_t + lambda_k (0 - L(G(z))) clips to 0 at every step.
    trainer = make_trainer(tmp_path, tiny_mixture_config(epochs=2, gamma=0.0, updates_per_epoch=10))
    trainer.extend(KStuckWarning(8), name='short')
    with pytest.warns(ImbalanceWarning) as record:
        trainer.run()
    assert len(record) == 1
    assert str(record[0].message) == (
        'k_t has been exactly 0 for 8 updates (iterations 1-8): D and G are out of balance '
        '(D ignores the fakes); consider another --gamma or --lr')


def test_k_at_zero_with_coverage_terms_says_it_is_usual(tmp_path):
    trainer = make_trainer(tmp_path, tiny_mixture_config(epochs=1, gamma=0.0, mmd=1.0,
                                                         updates_per_epoch=10))
    trainer.extend(KStuckWarning(8), name='short')
    with pytest.warns(ImbalanceWarning) as record:
        trainer.run()
    assert str(record[0].message).endswith(
        '(D ignores the fakes); with coverage terms on, as in --preset covering, this is '
        'usual: their pull trains G, and the mode scores say whether it covers the data')


def test_k_held_on_purpose_does_not_warn(tmp_path):
    config = tiny_mixture_config(epochs=1, lambda_k=0.0, k_init=1.0, updates_per_epoch=10)
    trainer = make_trainer(tmp_path, config)
    trainer.extend(KStuckWarning(3), name='short')
    with warnings.catch_warnings():
        warnings.simplefilter('error', ImbalanceWarning)
        trainer.run()
    assert trainer.updater.k == 1.0


def test_k_moving_does_not_warn_and_the_default_stretch(tmp_path):
    trainer = make_trainer(tmp_path, tiny_mixture_config(epochs=1, lambda_k=0.1,
                                                         updates_per_epoch=10))
    trainer.extend(KStuckWarning(3), name='short')
    with warnings.catch_warnings():
        warnings.simplefilter('error', ImbalanceWarning)
        trainer.run()
    assert 0 < trainer.updater.k < 1
    assert trainer.get_extension('KStuckWarning').stretch == 1000
    long_epochs = make_trainer(tmp_path, tiny_mixture_config(updates_per_epoch=2500), 'long')
    assert long_epochs.get_extension('KStuckWarning').stretch == 2500
