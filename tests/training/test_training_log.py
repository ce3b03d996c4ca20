"""The log has a row at every picture epoch, so each epoch's scores (and the
last epoch's above all) sit in the log even when the log interval does not
divide an epoch."""
import json

import chainer
from chainer import training

from began.data.mixture import MixtureIterator
from began.nets import build_models
from began.training.trainer import MAX_LOG_ROWS, build_trainer, log_interval
from conftest import tiny_mixture_config


class EpochScore(training.Extension):
    """Reports the epoch as a score, as the picture extensions report theirs."""
    priority = training.PRIORITY_WRITER
    report_keys = ('score',)

    def __call__(self, trainer):
        chainer.report({'score': trainer.updater.epoch})


def test_every_picture_epoch_has_a_row_with_its_score(tmp_path):
    # 7 updates an epoch, a row every 5: picture epochs 1, 2 and 3 end at
    # iterations 7, 14 and 21, none a multiple of 5.
    config = tiny_mixture_config(epochs=3, plot_interval=2)
    gen, dis = build_models(config)
    trainer = build_trainer(config, MixtureIterator(config.batch_size, 7, config.seed), gen, dis,
                            chainer.get_device('@numpy'), str(tmp_path / 'model'),
                            str(tmp_path / 'plot'), pictures=[EpochScore()],
                            log_trigger=(5, 'iteration'), progress=False)
    trainer.run()
    log = json.loads((tmp_path / 'model' / 'log').read_text())
    rows = {entry['iteration']: entry for entry in log}
    assert sorted(rows) == [5, 7, 10, 14, 15, 20, 21]
    # Pictures run at epochs 1, 2 (the interval) and 3 (the last).
    assert {i: rows[i].get('score') for i in (7, 14, 21)} == {7: 1, 14: 2, 21: 3}
    assert all('score' not in rows[i] for i in (5, 10, 15, 20))


def test_log_interval_keeps_long_runs_to_a_few_thousand_rows():
    assert log_interval(125, 6) == 100          # the demo: every 100 updates
    assert log_interval(8, 2) == 8              # short epochs: every epoch
    # The post's run: 47,000 images / 16 = 2,937 updates an epoch, 1000 epochs.
    every = log_interval(2937, 1000)
    assert every > 100 and 2937 * 1000 / every <= MAX_LOG_ROWS
    assert log_interval(0, 5) == 1
