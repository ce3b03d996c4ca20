import chainer
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
