"""Data-parallel training under `mpiexec -n 2` (CPU, the naive communicator):
two processes with half the batch each do one process's maths, hold the same
state, write nothing but from process 0, resume with any number of
processes, and stop together with one message. Every mpiexec runs under a
timeout that kills its whole process group, so a hung process cannot hang CI."""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy
import pytest

from began.training.snapshots import read_snapshot, snapshot_files
from conftest import MPIEXEC, ROOT, SPIN_WHILE_PARENT_LIVES, kill_tree, mpi_marks, run_forked

pytestmark = mpi_marks()

RANK_RUN = os.path.join(ROOT, 'tests', 'parallel', 'rank_run.py')
MIXTURE = 'train_gaussian_mixture/train.py'
FACES = 'train_animeface/train.py'
# 20 faces in batches of 8 (4 a process): epoch 1 ends inside the third
# batch, so a resumed run starts mid-permutation. Batch norm everywhere.
TINY_FACES = ['--dataset', 'toyfaces', '--num-images', 20, '--size', 16, '--n-h', 16,
              '--batch-size', 8, '--score-samples', 50, '--no-progress', '--k-init', 0.1]
ONE_UPDATE = {
    'faces': (FACES, ['--dataset', 'toyfaces', '--num-images', 16, '--size', 16,
                      '--n-h', 16, '--score-samples', 50]),
    'mixture': (MIXTURE, ['--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 1]),
}
# Every batch-coupled coverage term (and the per-sample --info-head), two
# updates (the second MMD sees the first's reals in its memory): --preset
# covering on the mixture (its categories and MMD batch scaled to the tiny
# nets), and on the faces the MMD on D's codes beside the other terms,
# through batch-normalised nets.
COVERING = {
    'mixture': (MIXTURE, ['--preset', 'covering', '--n-z', 8, '--n-h', 8, '--hidden', 8,
                          '--z-categories', 4, '--mmd-batch', 32, '--anneal-epochs', 0,
                          '--sliced-wasserstein', 0.5, '--info-head', 0.5,
                          '--updates-per-epoch', 2]),
    'faces, mmd on codes': (FACES, ['--dataset', 'toyfaces', '--num-images', 32, '--size', 16,
                                    '--n-h', 16, '--score-samples', 50, '--z-categories', 4,
                                    '--mmd', 1, '--mmd-space', 'code', '--mmd-batch', 32,
                                    '--pull-away', 0.5, '--code-matching', 0.5,
                                    '--margin', 2, '--pooled-mmd', 1,
                                    '--pooled-mmd-size', 4]),
    # --self-condition: the whole batch's codes clustered in every process,
    # each process's fakes given its rows' clusters, the MMD by cluster.
    'faces, self-conditioned': (FACES, ['--dataset', 'toyfaces', '--num-images', 32,
                                        '--size', 16, '--n-h', 16, '--score-samples', 50,
                                        '--z-categories', 4, '--mmd', 1, '--mmd-space', 'code',
                                        '--self-condition']),
}
# Biases feeding a batch norm: their true gradient is 0, so what they get is
# rounding noise, different in one process and in two (Adam's m and v too).
NOISE_ONLY = ('dis/convs/0/b', 'dis/convs/1/b', 'dis/convs/2/b', 'dis/convs/3/b',
              'dis/to_h/b')


def mpiexec(args, dump, fault='none', processes=2, timeout=90, cwd=None):
    """`mpiexec -n 2 python rank_run.py DUMP FAULT SCRIPT ARGS`; args may
    instead be a list of (wdir, args) for one process each (MPMD)."""
    os.makedirs(dump, exist_ok=True)
    command = [MPIEXEC]
    parts = args if isinstance(args[0], tuple) else [(None, args)]
    for i, (wdir, part) in enumerate(parts):
        command += [':'] if i else []
        command += ['-n', '1' if len(parts) > 1 else str(processes)]
        command += ['-wdir', str(wdir)] if wdir else []
        command += [sys.executable, RANK_RUN, str(dump), fault, *map(str, part)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=cwd, start_new_session=True,
                               env=dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=ROOT))
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(process)
        raise AssertionError(f'mpiexec timed out after {timeout} s: {command}')
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def state(path):
    with numpy.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def assert_one_process_maths(solo, group):
    """Two processes' state against one process's: to float32 rounding."""
    assert sorted(solo) == sorted(group)
    for key, a in solo.items():
        b = group[key]
        if a.dtype.kind != 'f':
            numpy.testing.assert_array_equal(a, b, err_msg=key)  # iteration, t, data order
        elif key.startswith('model:'):  # weights, BN statistics: a tenth of an Adam step
            numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=key)
        elif not any(name in key for name in NOISE_ONLY):  # Adam's m and v
            numpy.testing.assert_allclose(a, b, rtol=0, atol=1e-3 * abs(a).max(), err_msg=key)
    assert abs(float(solo['k']) - float(group['k'])) < 1e-7
    assert float(solo['k']) != 0.1  # k_t did move


def one_and_two_processes(tmp_path, script, options):
    """An epoch of batch 16 in one process and in 2 x 8: their states."""
    options = [script, *options, '--batch-size', 16, '--epochs', 1, '--k-init', 0.1,
               '--no-early-check', '--no-progress']
    (tmp_path / 'solo').mkdir()
    solo = run_forked(RANK_RUN, tmp_path / 'solo', 'none', *options,
                      '--model-dir', tmp_path / 'solo' / 'model',
                      '--plot-dir', tmp_path / 'solo' / 'plot')
    assert solo.returncode == 0, solo.stderr
    two = mpiexec([*options, '--model-dir', tmp_path / 'two' / 'model',
                   '--plot-dir', tmp_path / 'two' / 'plot'], tmp_path / 'two')
    assert two.returncode == 0, two.stderr
    return state(tmp_path / 'solo' / 'rank_0.npz'), state(tmp_path / 'two' / 'rank_0.npz')


@pytest.mark.parametrize('case', sorted(ONE_UPDATE))
def test_one_update_on_2x8_equals_one_on_1x16(tmp_path, case):
    one, two = one_and_two_processes(tmp_path, *ONE_UPDATE[case])
    assert one['iteration'] == 1 and one['optimizer:dis/t'] == 1
    assert_one_process_maths(one, two)
    if case == 'faces':
        assert 'model:dis/conv_bns/0/avg_var' in one  # synchronised BN, Chainer's names


@pytest.mark.parametrize('case', sorted(COVERING))
def test_covering_updates_on_2x8_equal_those_on_1x16(tmp_path, case):
    """The batch-coupled terms on the whole batch, gathered: the same
    categories and extra z as one process, and its gradients (not N times
    them, nor a share's)."""
    one, two = one_and_two_processes(tmp_path, *COVERING[case])
    assert one['iteration'] == 2 and one['optimizer:gen/t'] == 2
    assert_one_process_maths(one, two)
    if 'self-conditioned' in case:   # the clusters: the first reals' codes, moved
        assert int(one['clusters/filled']) == 4
        assert float(abs(one['clusters/centroids']).max()) > 0
        return
    assert one['mmd_memory'].shape[0] == 32 - 16  # the MMD's memory: the last reals
    numpy.testing.assert_array_equal(one['mmd_memory'], two['mmd_memory'])


@pytest.fixture(scope='module')
def faces_runs(tmp_path_factory):
    """A straight 2-epoch run of 2 processes in their own working folders
    (relative --model-dir and --plot-dir), and a 1-epoch one to resume."""
    tmp = tmp_path_factory.mktemp('parallel')
    root_dir, other_dir = tmp / 'process0', tmp / 'process1'
    root_dir.mkdir()
    other_dir.mkdir()
    options = [FACES, *TINY_FACES, '--epochs', 2, '--model-dir', 'model', '--plot-dir', 'plot']
    straight = mpiexec([(root_dir, options), (other_dir, options)], tmp / 'straight_dump')
    assert straight.returncode == 0, straight.stderr
    split = tmp / 'split'
    first = mpiexec([FACES, *TINY_FACES, '--epochs', 1, '--model-dir', split / 'model',
                     '--plot-dir', split / 'plot'], tmp / 'split_dump')
    assert first.returncode == 0, first.stderr
    return dict(tmp=tmp, straight=root_dir, other=other_dir, stdout=straight.stdout,
                dump=tmp / 'straight_dump', split=split)


def test_every_process_holds_the_same_state(faces_runs):
    root, other = (state(faces_runs['dump'] / f'rank_{r}.npz') for r in (0, 1))
    assert sorted(root) == sorted(other)
    for key in root:  # weights, BN statistics, Adam state, k_t, data order: bit for bit
        numpy.testing.assert_array_equal(root[key], other[key], err_msg=key)
    assert root['iteration'] == 5 and 0 < float(root['k']) < 1


def test_only_process_0_writes_and_prints(faces_runs):
    assert os.listdir(faces_runs['other']) == []
    assert {'model.json', 'generator.npz', 'snapshot_iter_5.npz', 'log'} <= set(
        os.listdir(faces_runs['straight'] / 'model'))
    assert 'samples_epoch_1.png' in os.listdir(faces_runs['straight'] / 'plot')
    assert faces_runs['stdout'].count('done: model in') == 1


@pytest.mark.parametrize('processes', [2, 1])
def test_a_2_process_run_resumes_with_2_or_1_processes(faces_runs, tmp_path, processes):
    out = tmp_path / 'split'
    shutil.copytree(faces_runs['split'], out)
    options = [FACES, '--resume', '--epochs', 2, '--no-progress',
               '--model-dir', out / 'model', '--plot-dir', out / 'plot']
    if processes == 2:
        result = mpiexec(options, tmp_path / 'dump')
    else:
        (tmp_path / 'dump').mkdir()
        result = run_forked(RANK_RUN, tmp_path / 'dump', 'none', *options)
    assert result.returncode == 0, result.stderr
    assert 'resumed from' in result.stdout and 'at iteration 3,' in result.stdout
    resumed = state(out / 'model' / 'snapshot_iter_5.npz')
    straight = state(faces_runs['straight'] / 'model' / 'snapshot_iter_5.npz')
    if processes == 2:  # exactly the run that was never stopped
        for key in straight:
            if key not in ('_snapshot_elapsed_time', 'extensions/LogReport/_log'):
                numpy.testing.assert_array_equal(straight[key], resumed[key], err_msg=key)
    else:  # one process's rounding from iteration 3 on; the same data order and steps
        updater = {k[len('updater/'):]: v for k, v in resumed.items() if k.startswith('updater/')
                   and k != 'updater/config'}
        assert_one_process_maths({k[len('updater/'):]: v for k, v in straight.items()
                                  if k.startswith('updater/') and k != 'updater/config'},
                                 updater)


def test_an_error_in_one_process_during_training_ends_all_with_one_message(tmp_path):
    start = time.time()
    result = mpiexec([MIXTURE, '--n-z', 8, '--n-h', 8, '--hidden', 8, '--no-progress',
                      '--updates-per-epoch', 10 ** 6, '--model-dir', tmp_path / 'model',
                      '--plot-dir', tmp_path / 'plot'], tmp_path / 'dump', fault='3')
    assert time.time() - start < 30
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and 'process 1 of 2' in errors[0], result.stderr
    assert 'injected failure at iteration 3' in errors[0]
    assert result.stderr.count('Traceback') == 1  # the failing process's, for a bug


def test_an_error_in_one_process_during_setup_ends_all_with_one_line(tmp_path):
    result = mpiexec([MIXTURE, '--model-dir', tmp_path / 'model',
                      '--plot-dir', tmp_path / 'plot'], tmp_path / 'dump', fault='setup')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        'error: process 1 of 2: injected set-up failure'], result.stderr


def test_a_ctrl_c_during_the_stop_agreement_stops_all_after_the_next_update(tmp_path):
    """The hang: a SIGINT whose handler ran as the stop agreement returned
    was lost in every process, and the job trained on for ever."""
    result = mpiexec([MIXTURE, '--n-z', 8, '--n-h', 8, '--hidden', 8, '--no-progress',
                      '--updates-per-epoch', 10 ** 6, '--model-dir', tmp_path / 'model',
                      '--plot-dir', tmp_path / 'plot'], tmp_path / 'dump',
                     fault='sigint-in-agreement-5', timeout=60)
    assert result.returncode == 128 + signal.SIGINT, result.stderr
    assert result.stdout.count('snapshot written at iteration 6:') == 1, result.stdout
    assert (tmp_path / 'model' / 'snapshot_iter_6.npz').exists()


@pytest.fixture
def busy_core():
    """A process spinning on one core, as another user's job would; it
    also ends when pytest does (a killed pytest runs no teardown)."""
    spinner = subprocess.Popen([sys.executable, '-c', SPIN_WHILE_PARENT_LIVES, str(os.getpid())])
    yield
    spinner.kill()
    spinner.wait()


# Seconds a job may take to end after its Ctrl-C.
ENDS_WITHIN = 20
# (moment, seconds after it) of each Ctrl-C, seeded: 'start' is mpiexec's
# start (imports, MPI, the set-up agreements), 'trained' the model.json
# written (the first updates, the epoch-1 pictures, a snapshot every epoch).
# BEGAN_CTRL_C_SEED=N draws other moments: docs/testing.md runs it repeatedly.
CTRL_C_SEED = int(os.environ.get('BEGAN_CTRL_C_SEED', 22))
_seeded = random.Random(CTRL_C_SEED)
CTRL_C_MOMENTS = [(moment, round(_seeded.uniform(0, 4 if moment == 'start' else 1.5), 2))
                  for moment in ['start', 'trained'] * 3]


def written_since(path, time_ns):
    try:
        return os.stat(path).st_mtime_ns >= time_ns
    except FileNotFoundError:
        return False


def test_ctrl_c_at_any_moment_ends_every_process(tmp_path, busy_core):
    """A Ctrl-C at seeded moments, one a run, each run resuming the last:
    every job ends within seconds; one stopped in training writes the
    snapshot it names, which the next run resumes; one stopped earlier
    ends with one line (or, before any of the script's code runs, as
    Python ends on it, with a KeyboardInterrupt traceback). mpiexec passes the SIGINT to every process."""
    model = tmp_path / 'model'
    outcomes = {'stopped': 0, 'one line': 0}
    for moment, delay in CTRL_C_MOMENTS:
        resume = ['--resume'] if model.exists() and os.listdir(model) else []
        command = [MPIEXEC, '-n', '2', sys.executable, os.path.join(ROOT, MIXTURE),
                   '--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 5,
                   '--epochs', 10 ** 5, '--plot-interval', 10 ** 5, '--no-progress',
                   *resume, '--model-dir', model, '--plot-dir', tmp_path / 'plot']
        newest = snapshot_files(str(model)) if resume else []
        started = time.time_ns()
        process = subprocess.Popen(list(map(str, command)), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True,
                                   env=dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=ROOT))
        try:
            end = time.time() + 60
            while moment == 'trained' and not written_since(model / 'model.json', started) \
                    and process.poll() is None and time.time() < end:
                time.sleep(0.02)
            time.sleep(delay)
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=ENDS_WITHIN)
        finally:
            if process.poll() is None:
                kill_tree(process)
        where = (moment, delay, out, err)
        last = err.strip().splitlines()[-1:]
        if 'snapshot written at iteration ' in out:  # stopped in training
            assert process.returncode == 128 + signal.SIGINT, where
            iteration = int(out.split('snapshot written at iteration ')[1].split(':')[0])
            assert snapshot_files(str(model))[0] == str(model / f'snapshot_iter_{iteration}.npz')
            assert 'Traceback' not in err and out.count('stopped: model in') == 1, where
            if newest:
                assert f'resumed from {newest[0]} at iteration' in out, where
            outcomes['stopped'] += 1
        elif last == ['error: interrupted (snapshots already written are kept)']:
            assert process.returncode == 128 + signal.SIGINT, where
            outcomes['one line'] += 1
        else:  # Python's start-up, before launch.interrupt_ends_at_once() ran
            # (a SIGINT can land inside an import that began/__init__.py
            # starts before the handler is installed: Python's own ending,
            # which may wrap the KeyboardInterrupt, as a class body's
            # __set_name__ does in a RuntimeError)
            assert last in ([], ['KeyboardInterrupt']) or \
                'KeyboardInterrupt' in err and 'Traceback' in err, where
            assert process.returncode != 0, where
    if CTRL_C_SEED == 22:   # these moments reach both endings (other seeds may not)
        assert outcomes['stopped'] >= 2 and outcomes['one line'] >= 1, outcomes
    read_snapshot(snapshot_files(str(model))[0])  # the newest is whole


def test_an_mmd_batch_that_does_not_split_over_the_processes_is_refused(tmp_path):
    """Each process makes its share of the MMD's extra fakes: an odd
    --mmd-batch over 2 processes is a one-line error, as an odd batch is."""
    result = mpiexec([MIXTURE, '--n-z', 8, '--n-h', 8, '--hidden', 8, '--mmd', 1,
                      '--mmd-batch', 17, '--model-dir', tmp_path / 'model',
                      '--plot-dir', tmp_path / 'plot'], tmp_path / 'dump')
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and '--mmd-batch 17' in lines[0] and 'multiple of 2' in lines[0], \
        lines
    assert not (tmp_path / 'model').exists()
