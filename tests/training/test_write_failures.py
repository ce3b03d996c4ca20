"""A failed write is a failure: when the model (model.json, weights), the log
or a snapshot cannot be written (a full disk), training stops with a
snapshot attempt and one line naming the path and the cause; the run exits
non-zero, never with "done"; the last good snapshot stays and no temporary
file is left. (Pictures and curves only warn: tests/scripts/test_bad_inputs.py.)"""
import errno
import gc
import json
import os
import re
import sys

import chainer
import numpy
import pytest
from chainer.training.extensions import log_report

import began.training.model_dir
from began.data.mixture import MixtureIterator
from began.nets import build_models
from began.training.model_dir import WriteError, write_atomic
from began.training.trainer import build_trainer, run
from conftest import fill_but_pages, run_forked, tiny_mixture_config

MIXTURE = 'train_gaussian_mixture/train.py'
TINY = ['--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 5, '--no-progress',
        '--plot-interval', 1000]
NO_SPACE = os.strerror(errno.ENOSPC)
MODEL_FILES = r'model\.json|generator\.npz|discriminator\.npz|log|snapshot_iter_\d+\.npz'


class FailsFromSecondCall:
    """``function`` until its second call on a file whose name holds
    ``name``; then OSError(``code``)."""

    def __init__(self, function, name, code):
        self.function, self.name, self.code, self.calls = function, name, code, 0

    def __call__(self, file, *args, **kwargs):
        if any(self.name in str(getattr(f, 'name', '')) for f in (file, *args)):
            self.calls += 1
            if self.calls >= 2:
                raise OSError(self.code, os.strerror(self.code))
        return self.function(file, *args, **kwargs)


@pytest.mark.parametrize('what, code', [
    ('generator.npz', errno.ENOSPC), ('snapshot_iter', errno.ENOSPC), ('log', errno.ENOSPC),
    ('discriminator.npz', errno.EIO), ('snapshot_iter', errno.EROFS)])
def test_a_failed_write_stops_training_keeping_the_last_good_snapshot(tmp_path, monkeypatch,
                                                                       what, code):
    save_npz = began.training.model_dir.serializers.save_npz
    if what == 'log':
        dump = FailsFromSecondCall(json.dump, 'log', code)
        fake_json = type('J', (), dict(dump=staticmethod(dump), dumps=staticmethod(json.dumps),
                                       loads=staticmethod(json.loads)))
        monkeypatch.setattr(log_report, 'json', fake_json)
    else:
        monkeypatch.setattr(began.training.model_dir.serializers, 'save_npz',
                            FailsFromSecondCall(save_npz, what, code))
    config = tiny_mixture_config(epochs=3)
    model = tmp_path / 'model'
    trainer = build_trainer(config, MixtureIterator(config.batch_size, 5, config.seed),
                            *build_models(config), chainer.get_device('@numpy'), str(model),
                            str(tmp_path / 'plot'), progress=False)
    with pytest.raises(WriteError) as error:
        run(trainer)
    # Epoch 2's write failed: training stopped there, not at epoch 3.
    assert trainer.updater.iteration == 10
    path = model / ('log' if what == 'log' else what)
    if what == 'snapshot_iter':
        path, kept = model / 'snapshot_iter_10.npz', model / 'snapshot_iter_5.npz'
    else:
        kept = model / 'snapshot_iter_10.npz'  # the stopping snapshot was written
    assert str(error.value) == (f'could not write {path} ({os.strerror(code)}); training '
                                f'stopped at iteration 10; the snapshot {kept} is kept')
    assert kept.exists()
    assert what != 'snapshot_iter' or not path.exists()
    assert all(re.fullmatch(MODEL_FILES, name) for name in os.listdir(model)), \
        os.listdir(model)  # no temporary file left


def test_a_full_disk_ends_the_run_with_one_line_and_no_done(tmp_path, monkeypatch):
    # The script as users run it: model.json fails at the start (before the loop).
    def no_space(path, *args, **kwargs):
        raise began.training.model_dir.write_error(path, OSError(errno.ENOSPC, NO_SPACE))

    monkeypatch.setattr(began.training.model_dir, 'write_atomic', no_space)
    model = tmp_path / 'model'
    result = run_forked(MIXTURE, *TINY, '--epochs', 1, '--model-dir', model,
                        '--plot-dir', tmp_path / 'plot')
    assert result.returncode == 2
    assert 'done' not in result.stdout and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines() == [f'error: could not write '
                                                  f'{model / "model.json"} ({NO_SPACE})']


def test_a_really_full_disk(tiny_tmpfs, tmp_path):
    # The lock file and model.json fit, then the weights or the first snapshot do not.
    fill_but_pages(tiny_tmpfs, 3)
    model = tiny_tmpfs / 'model'
    result = run_forked(MIXTURE, *TINY, '--epochs', 2, '--model-dir', model,
                        '--plot-dir', tmp_path / 'plot')
    assert result.returncode == 2, result.stderr
    assert 'done' not in result.stdout
    assert 'Traceback' not in result.stderr and 'Exception ignored' not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f'error: could not write {model}/'), lines
    assert f'({NO_SPACE}); training stopped at iteration 5; ' in lines[0]
    assert set(os.listdir(model)) <= {'model.json', 'train.lock', 'generator.npz',
                                      'discriminator.npz', 'log'}, os.listdir(model)


def test_an_interrupt_mid_write_leaves_no_complaint_for_later(tmp_path, monkeypatch):
    """A second Ctrl-C during a snapshot write: the KeyboardInterrupt comes
    out of NumPy's zip writer, which is collected there and then, quietly,
    not at exit with "Exception ignored in ZipFile.__del__"; no temporary
    file is left."""
    class Interrupts:
        def __array__(self, dtype=None, copy=None):
            raise KeyboardInterrupt

    unraisable = []
    monkeypatch.setattr(sys, 'unraisablehook', unraisable.append)
    try:
        write_atomic(str(tmp_path / 'snapshot.npz'),
                     lambda f: numpy.savez(f, a=numpy.zeros(1000), b=Interrupts()))
    except KeyboardInterrupt:
        pass
    else:
        pytest.fail('the interrupt was lost')
    gc.collect()
    assert unraisable == [] and os.listdir(tmp_path) == []
