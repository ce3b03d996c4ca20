"""One writer per model directory: a second run into a folder another run
holds is refused with one line naming the holder's PID, before it writes
anything; a killed holder (kill -9) leaves no stale lock."""
import os
import signal
import subprocess
import sys

import pytest

from began.errors import ConfigError
from began.training.lock import LOCK_FILE, ModelDirLock, hold
from conftest import ROOT, assert_one_line_error, run_forked

MIXTURE = 'train_gaussian_mixture/train.py'
TINY = ['--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 2, '--no-progress',
        '--epochs', 1]


def listing(folder):
    return {name: (folder / name).stat().st_mtime_ns for name in os.listdir(folder)}


def train(model, *args):
    return run_forked(MIXTURE, *TINY, '--model-dir', model, '--plot-dir',
                      model.parent / 'plot', *args)


@pytest.mark.parametrize('resume', [False, True], ids=['fresh', 'resume'])
def test_a_second_run_into_a_held_model_dir_is_refused(tmp_path, resume):
    model = tmp_path / 'model'
    if resume:
        assert train(model).returncode == 0
    holder = ModelDirLock(str(model)).hold()  # this process plays the first run
    try:
        before = listing(model)
        result = train(model, *(['--resume'] if resume else []))
        assert_one_line_error(result, f'{model} is in use by another training run',
                              f'PID {os.getpid()} on ')
        assert listing(model) == before  # nothing written, not even the lock file
        assert not (tmp_path / 'plot').exists() or resume
    finally:
        holder.release()
    assert train(model, *(['--resume', '--epochs', 2] if resume else [])).returncode == 0


def test_kill_9_leaves_no_stale_lock(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, '-c', 'import sys, time; from began.training.lock import '
         'ModelDirLock; lock = ModelDirLock(sys.argv[1]).hold(); print("held", flush=True); '
         'time.sleep(60)', str(tmp_path)],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        assert holder.stdout.readline() == 'held\n'
        with pytest.raises(ConfigError, match=f'PID {holder.pid} on '):
            ModelDirLock(str(tmp_path)).hold()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (tmp_path / LOCK_FILE).exists()  # the file stays; its lock died with the process
    ModelDirLock(str(tmp_path)).hold().release()


def test_snapshots_that_changed_before_the_lock_was_taken_are_refused(tmp_path):
    # Two runs that read the folder together: the one that locks second finds
    # the first one's snapshots, and writes nothing over them.
    (tmp_path / 'snapshot_iter_5.npz').write_bytes(b'')
    with pytest.raises(ConfigError, match='changed while this run started'):
        hold(str(tmp_path), [])
    hold(str(tmp_path), [str(tmp_path / 'snapshot_iter_5.npz')]).release()
