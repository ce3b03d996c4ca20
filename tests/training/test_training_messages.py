"""Messages of a training run (issue 20, item 7): the divergence message
suggests --resume only when a snapshot exists; a garbage snapshot file does
not count toward the snapshots kept."""
import os

import chainer
import pytest

from began.data.mixture import MixtureIterator
from began.errors import DivergenceError
from began.nets import build_models
from began.training.trainer import build_trainer, run
from conftest import tiny_mixture_config
from test_guards import PoisonAt


def mixture_trainer(model, plot, epochs):
    config = tiny_mixture_config(epochs=epochs)
    return build_trainer(config, MixtureIterator(config.batch_size, 5, config.seed),
                         *build_models(config), chainer.get_device('@numpy'), str(model),
                         str(plot), progress=False)


def test_divergence_before_any_snapshot_does_not_suggest_resume(tmp_path):
    trainer = mixture_trainer(tmp_path / 'model', tmp_path / 'plot', 3)
    trainer.extend(PoisonAt(3))
    with pytest.raises(DivergenceError) as error:
        run(trainer)
    # The guard reads the parameters every 100 updates and at epoch ends;
    # in between, the NaN put in at iteration 3 shows in the next step's losses.
    assert str(error.value) == ('training diverged at iteration 4: loss_fake, loss_d, loss_g, '
                                'generator parameters, discriminator parameters not finite; '
                                'no snapshot was written yet (start again, perhaps with a '
                                'lower --lr)')


def test_a_garbage_snapshot_does_not_count_toward_the_3_kept(tmp_path):
    model = tmp_path / 'model'
    model.mkdir()
    (model / 'snapshot_iter_999.npz').write_bytes(b'not a snapshot')
    trainer = mixture_trainer(model, tmp_path / 'plot', 5)
    run(trainer)
    assert sorted(name for name in os.listdir(model) if name.startswith('snapshot')) == [
        'snapshot_iter_15.npz', 'snapshot_iter_20.npz', 'snapshot_iter_25.npz',
        'snapshot_iter_999.npz']
