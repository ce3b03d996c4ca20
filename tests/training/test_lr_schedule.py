import chainer
import numpy
import pytest

from began.data.mixture import MixtureIterator
from began.nets import build_models
from began.training.snapshots import load_snapshot, read_snapshot
from began.training.trainer import build_trainer
from conftest import tiny_mixture_config


class FakeM(chainer.training.Extension):
    """Reports a chosen M each iteration (before the schedule reads it)."""
    priority = chainer.training.PRIORITY_WRITER + 200

    def __init__(self, values):
        self.values = values

    def __call__(self, trainer):   # 2 updates an epoch
        trainer.observation['M'] = self.values[(trainer.updater.iteration - 1) // 2]


def make(tmp_path, name, epochs, values):
    config = tiny_mixture_config(epochs=epochs, updates_per_epoch=2, lr=1e-3, lr_patience=2)
    gen, dis = build_models(config)
    trainer = build_trainer(config, MixtureIterator(8, 2, 0), gen, dis,
                            chainer.get_device('@numpy'), str(tmp_path / name / 'm'),
                            str(tmp_path / name / 'p'), progress=False)
    trainer.extend(FakeM(values))
    return trainer, trainer.get_extension('HalveLROnStall')


def test_halves_after_patience_epochs_without_improvement(tmp_path):
    # epoch means: 1.0 (best), 0.9 (best), 0.95, 0.95 -> halve, 0.8 (best)
    trainer, schedule = make(tmp_path, 'a', 5, [1.0, 0.9, 0.95, 0.95, 0.8])
    trainer.run()
    assert trainer.updater.get_optimizer('gen').alpha == pytest.approx(5e-4)
    assert trainer.updater.get_optimizer('dis').alpha == pytest.approx(5e-4)
    assert schedule.best == pytest.approx(0.8)


def test_decayed_rate_survives_a_snapshot(tmp_path):
    trainer, _ = make(tmp_path, 'a', 4, [1.0, 0.9, 0.95, 0.95])
    trainer.run()
    snapshot = str(tmp_path / 'a' / 'm' / 'snapshot_iter_8.npz')
    resumed, schedule = make(tmp_path, 'b', 5, [1.0, 0.9, 0.95, 0.95, 0.99])
    load_snapshot(resumed, read_snapshot(snapshot), snapshot)
    assert schedule.lr == pytest.approx(5e-4) and schedule.best == pytest.approx(0.9)
    resumed.run()
    assert resumed.updater.get_optimizer('gen').alpha == pytest.approx(5e-4)


class RecordRates(chainer.training.Extension):
    """Notes the rates each update ran with (read before the schedules set
    the next ones: a writer's priority runs first)."""
    priority = chainer.training.PRIORITY_WRITER + 300

    def __init__(self):
        self.rates = []

    def __call__(self, trainer):
        updater = trainer.updater
        self.rates.append((updater.get_optimizer('gen').alpha,
                           updater.get_optimizer('dis').alpha))


def annealed(tmp_path, name, epochs, **options):
    config = tiny_mixture_config(epochs=epochs, updates_per_epoch=2, lr=1e-3, lr_d=4e-4,
                                 **options)
    gen, dis = build_models(config)
    trainer = build_trainer(config, MixtureIterator(8, 2, 0), gen, dis,
                            chainer.get_device('@numpy'), str(tmp_path / name / 'm'),
                            str(tmp_path / name / 'p'), progress=False)
    record = RecordRates()
    trainer.extend(record)
    return trainer, record


def test_anneal_runs_the_last_epochs_at_a_tenth(tmp_path):
    trainer, record = annealed(tmp_path, 'a', 4, anneal_epochs=1)
    trainer.run()
    # 4 epochs of 2 updates: the first 6 at the full rates, the last 2 at a tenth
    numpy.testing.assert_allclose(record.rates, [(1e-3, 4e-4)] * 6 + [(1e-4, 4e-5)] * 2)


def test_anneal_off_keeps_the_rates(tmp_path):
    trainer, record = annealed(tmp_path, 'b', 2)
    trainer.run()
    numpy.testing.assert_allclose(record.rates, [(1e-3, 4e-4)] * 4)


def test_a_resumed_run_anneals_at_the_same_updates(tmp_path):
    whole, whole_rates = annealed(tmp_path, 'whole', 4, anneal_epochs=2)
    whole.run()
    first, _ = annealed(tmp_path, 'cut', 3, anneal_epochs=2)   # stopped inside the window
    first.run()
    path = str(tmp_path / 'cut' / 'm' / 'snapshot_iter_6.npz')
    resumed, rates = annealed(tmp_path, 'resumed', 4, anneal_epochs=2)
    load_snapshot(resumed, read_snapshot(path), path)
    resumed.run()
    numpy.testing.assert_allclose(rates.rates, whole_rates.rates[6:])
    assert len(rates.rates) == 2
