"""Processes agree or stop together: under `mpiexec -n 2` (CPU), processes
given other options, another seed or another resume snapshot stop, all of
them, within seconds, with one line naming the process and what differs,
and write nothing."""
import os
import shutil
import time

import pytest

from began.training.lock import ModelDirLock
from conftest import fill_but_pages, run_forked
from test_data_parallel import MIXTURE, mpiexec, pytestmark  # noqa: F401 (skip without mpiexec)

TINY = ['--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 5, '--no-progress',
        '--plot-interval', 1000, '--model-dir', 'model', '--plot-dir', 'plot']


def each_in_its_folder(tmp_path, first, second):
    folders = []
    for rank, args in enumerate((first, second)):
        folder = tmp_path / f'process_{rank}'
        folder.mkdir(exist_ok=True)
        folders.append((folder, [MIXTURE, *args]))
    return folders


def only_line(result):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize('option, theirs, ours', [('--n-z', 16, 8), ('--seed', 1, 0),
                                                  ('--no-early-check', True, False)])
def test_processes_given_other_options_stop_with_one_line(tmp_path, option, theirs, ours):
    extra = [option] if theirs is True else [option, theirs]
    start = time.time()
    result = mpiexec(each_in_its_folder(tmp_path, TINY, [*TINY, *extra]), tmp_path / 'dump')
    assert time.time() - start < 60
    assert only_line(result) == (
        f'error: process 1 of 2 would train another run than process 0: {option} {theirs} '
        f'(process 0: {ours}); give every process the same options, data and snapshot')
    assert not (tmp_path / 'process_0' / 'model').exists()
    assert not (tmp_path / 'process_1' / 'model').exists()


def test_processes_that_see_other_snapshots_stop_with_one_line(tmp_path):
    # A shared file system that shows process 1 an older state of the folder.
    trained = tmp_path / 'trained'
    done = run_forked(MIXTURE, *TINY[:-4], '--epochs', 2, '--model-dir', trained / 'model',
                      '--plot-dir', trained / 'plot')
    assert done.returncode == 0, done.stderr
    for rank in (0, 1):
        shutil.copytree(trained, tmp_path / f'process_{rank}')
    os.remove(tmp_path / 'process_1' / 'model' / 'snapshot_iter_10.npz')
    before = sorted(os.listdir(tmp_path / 'process_0' / 'model'))
    resume = ['--resume', '--epochs', 3, '--no-progress']
    start = time.time()
    result = mpiexec(each_in_its_folder(tmp_path, resume, resume), tmp_path / 'dump')
    assert time.time() - start < 60
    line = only_line(result)
    assert line.startswith('error: process 1 of 2 would train another run than process 0: '
                           'snapshot snapshot_iter_5.npz (iteration 5, sha256 '), line
    assert '(process 0: snapshot_iter_10.npz (iteration 10, sha256 ' in line
    assert sorted(os.listdir(tmp_path / 'process_0' / 'model')) == before  # nothing written

    # The same name and iteration, other contents: told apart by the hash.
    shutil.copy(tmp_path / 'process_0' / 'model' / 'snapshot_iter_5.npz',
                tmp_path / 'process_1' / 'model' / 'snapshot_iter_10.npz')
    line = only_line(mpiexec(each_in_its_folder(tmp_path, resume, resume), tmp_path / 'dump'))
    assert 'snapshot snapshot_iter_10.npz (iteration 5, sha256 ' in line, line


def test_a_held_model_dir_stops_every_process_with_the_holders_pid(tmp_path):
    holder = ModelDirLock(str(tmp_path / 'model')).hold()  # this process plays the first run
    try:
        result = mpiexec([MIXTURE, *TINY[:-4], '--model-dir', tmp_path / 'model',
                          '--plot-dir', tmp_path / 'plot'], tmp_path / 'dump')
    finally:
        holder.release()
    assert only_line(result).startswith(
        f'error: {tmp_path / "model"} is in use by another training run '
        f'(PID {os.getpid()} on '), result.stderr
    assert os.listdir(tmp_path / 'model') == ['train.lock']


def test_a_full_disk_under_mpiexec_stops_every_process(tiny_tmpfs, tmp_path):
    # Process 0 alone writes: its failed write stops the other one too, after
    # the same update, with one line (no process left waiting).
    fill_but_pages(tiny_tmpfs, 3)
    start = time.time()
    result = mpiexec([MIXTURE, *TINY[:-4], '--epochs', 3, '--model-dir', tiny_tmpfs / 'model',
                      '--plot-dir', tmp_path / 'plot'], tmp_path / 'dump')
    assert time.time() - start < 60
    line = only_line(result)
    assert line.startswith(f'error: could not write {tiny_tmpfs / "model"}/'), line
    assert 'No space left on device); training stopped at iteration 5; ' in line
