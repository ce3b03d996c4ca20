"""Resume really resumes: N steps + resume + N steps in another process gives
exactly the straight 2N-step run; a crash (SIGKILL) or Ctrl-C at any moment
leaves a snapshot to continue from; the same --seed gives the same run."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import chainer
import numpy
import pytest
from chainer.training import extensions as chainer_extensions

from began.training.snapshots import load_snapshot, read_snapshot, snapshot_files
from began.data.mixture import MixtureIterator
from began.nets import build_models
from began.training.model_dir import KILL_PARTWAY
from began.training.parallel import Solo
from began.training.trainer import build_trainer, run
from conftest import ROOT, run_forked, run_script, tiny_mixture_config

MIXTURE = 'train_gaussian_mixture/train.py'
FACES = 'train_animeface/train.py'
TINY_MIXTURE = ['--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 10, '--no-progress']
# 20 faces in batches of 8: epoch 1 ends inside the third batch, so the
# resumed run starts mid-permutation and draws the next epoch's order.
TINY_FACES = ['--dataset', 'toyfaces', '--num-images', 20, '--size', 16, '--n-h', 16,
              '--batch-size', 8, '--score-samples', 50, '--no-progress']
# The paper's networks with skips, narrow (every skip's convolution still runs).
# Their fakes start out easier to reconstruct than the faces, which keeps k_t
# at 0 for these few updates: it starts at 0.5, so the snapshot's k matters.
TINY_PAPER_SKIP = [*TINY_FACES, '--preset', 'paper', '--skip', '--hidden', 4, '--n-z', 8,
                   '--k-init', 0.5]
LOSSES = ('loss_real', 'loss_fake', 'loss_d', 'loss_g', 'k', 'M')


def train(script, out, *args):
    result = run_script(script, *args, '--model-dir', out / 'model', '--plot-dir', out / 'plot')
    assert result.returncode == 0, result.stderr
    return result


def arrays(path):
    with numpy.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def assert_same_arrays(a, b, skip=()):
    a, b = arrays(a), arrays(b)
    assert sorted(a) == sorted(b)
    for key in a:
        if key not in skip:
            numpy.testing.assert_array_equal(a[key], b[key], err_msg=key)


def losses(out):
    log = json.loads((out / 'model' / 'log').read_text())
    return [{k: entry[k] for k in LOSSES + ('epoch', 'iteration')} for entry in log]


# script, its options, the iterations at the end of epochs 1 and 2, epoch-1 pictures
CASES = {
    'mixture': (MIXTURE, TINY_MIXTURE, 10, 20, ['scatter_epoch_1.png', 'kde_epoch_1.png']),
    'faces': (FACES, TINY_FACES, 3, 5, ['samples_epoch_1.png',
                                        'reconstruction_real_epoch_1.png']),
    'paper_skip': (FACES, TINY_PAPER_SKIP, 3, 5, ['samples_epoch_1.png',
                                                  'reconstruction_real_epoch_1.png']),
    # G's average (--g-ema): the snapshot holds it, the pictures draw it.
    'faces_ema': (FACES, [*TINY_FACES, '--g-ema', 0.5], 3, 5, ['samples_epoch_1.png']),
    # --self-condition: the clusters (centroids) travel with the snapshot and
    # G's prior with generator.npz; the pictures draw categories from it.
    'faces_self_condition': (FACES, [*TINY_FACES, '--z-categories', 4, '--mmd', 1,
                                     '--mmd-space', 'code', '--self-condition'], 3, 5,
                             ['samples_epoch_1.png']),
}


@pytest.fixture(scope='module')
def mixture_runs(tmp_path_factory):
    return two_runs('mixture', tmp_path_factory)


@pytest.fixture(scope='module')
def faces_runs(tmp_path_factory):
    return two_runs('faces', tmp_path_factory)


@pytest.fixture(scope='module')
def paper_skip_runs(tmp_path_factory):
    return two_runs('paper_skip', tmp_path_factory)


@pytest.fixture(scope='module')
def faces_ema_runs(tmp_path_factory):
    return two_runs('faces_ema', tmp_path_factory)


@pytest.fixture(scope='module')
def faces_self_condition_runs(tmp_path_factory):
    return two_runs('faces_self_condition', tmp_path_factory)


@pytest.fixture(params=sorted(CASES))
def runs(request):
    return request.getfixturevalue(f'{request.param}_runs')


def two_runs(name, tmp_path_factory):
    """A straight two-epoch run, and one of one epoch resumed for a second."""
    script, args, first, last, pictures = CASES[name]
    tmp = tmp_path_factory.mktemp(name)
    straight, split = tmp / 'straight', tmp / 'split'
    train(script, straight, *args, '--epochs', 2)
    train(script, split, *args, '--epochs', 1)
    epoch_1 = {'losses': losses(split), 'pictures': {
        name: (split / 'plot' / name).read_bytes() for name in pictures}}
    # Only what the snapshot holds travels: no training flag is repeated.
    resumed = train(script, split, '--resume', '--epochs', 2, '--no-progress')
    return dict(straight=straight, split=split, first=first, last=last,
                epoch_1=epoch_1, resumed=resumed)


def test_same_seed_gives_the_same_losses_and_pictures(runs):
    # Two processes with the same --seed (one asked for fewer epochs).
    straight = runs['straight']
    first = runs['epoch_1']['losses']
    assert first and first == losses(straight)[:len(first)]
    for name, data in runs['epoch_1']['pictures'].items():
        assert data == (straight / 'plot' / name).read_bytes(), name  # bytes, not pixels


def test_resume_in_another_process_is_exact(runs):
    straight, split, last = runs['straight'], runs['split'], runs['last']
    assert f'at iteration {runs["first"]},' in runs['resumed'].stdout
    for name in ('generator.npz', 'discriminator.npz'):
        assert_same_arrays(straight / 'model' / name, split / 'model' / name)
    snapshot = f'snapshot_iter_{last}.npz'
    # Everything but wall-clock times: parameters, Adam's m, v and t, k_t,
    # iterators (data order), triggers, the log's and curves' running sums.
    assert_same_arrays(straight / 'model' / snapshot, split / 'model' / snapshot,
                       skip={'_snapshot_elapsed_time', 'extensions/LogReport/_log'})
    k = arrays(split / 'model' / snapshot)['updater/k']
    assert k == arrays(straight / 'model' / snapshot)['updater/k'] and k > 0
    assert losses(split) == losses(straight)
    # Every picture, epoch 2's and the curves included, byte for byte.
    assert sorted(os.listdir(split / 'plot')) == sorted(os.listdir(straight / 'plot'))
    for name in os.listdir(straight / 'plot'):
        assert (straight / 'plot' / name).read_bytes() == (split / 'plot' / name).read_bytes(), \
            name


def test_the_resumed_paper_run_kept_its_skips(paper_skip_runs):
    from began.config import Config
    config = Config.load(str(paper_skip_runs['split'] / 'model'))
    assert (config.arch, config.skip, config.hidden) == ('paper', True, 4)


def test_g_ema_saves_and_draws_the_average_and_trains_g_as_before(faces_runs, faces_ema_runs):
    plain, averaged = faces_runs['straight'] / 'model', faces_ema_runs['straight'] / 'model'
    snapshot = f'snapshot_iter_{faces_runs["last"]}.npz'
    with_average, without = arrays(averaged / snapshot), arrays(plain / snapshot)
    # The same G, D, Adam states and k_t: the average only watches.
    for key, value in without.items():
        if key.startswith('updater/') and key != 'updater/config':
            numpy.testing.assert_array_equal(with_average[key], value, err_msg=key)
    saved = arrays(averaged / 'generator.npz')
    average, trained = 'extensions/GeneratorAverage/average/', 'updater/model:gen/'
    for key, value in saved.items():
        numpy.testing.assert_array_equal(value, with_average[average + key], err_msg=key)
    assert any(not numpy.array_equal(value, with_average[trained + key])
               for key, value in saved.items())
    assert (averaged.parent / 'plot' / 'samples_epoch_2.png').read_bytes() != \
        (plain.parent / 'plot' / 'samples_epoch_2.png').read_bytes()


def test_a_run_without_g_ema_resumes_with_it(faces_runs, tmp_path):
    """The snapshot has no average: it starts from the resumed G."""
    first = f'snapshot_iter_{faces_runs["first"]}.npz'
    (tmp_path / 'model').mkdir()
    shutil.copy(faces_runs['split'] / 'model' / first, tmp_path / 'model' / first)
    resumed = train(FACES, tmp_path, '--resume', '--epochs', 2, '--g-ema', 0.5)
    assert 'g_ema=0.5' in resumed.stdout
    snapshot = arrays(tmp_path / 'model' / f'snapshot_iter_{faces_runs["last"]}.npz')
    saved = arrays(tmp_path / 'model' / 'generator.npz')
    for key, value in saved.items():
        numpy.testing.assert_array_equal(
            value, snapshot['extensions/GeneratorAverage/average/' + key], err_msg=key)
    assert any(not numpy.array_equal(value, snapshot['updater/model:gen/' + key])
               for key, value in saved.items())


def test_truncated_newest_snapshot_is_skipped_with_a_warning(mixture_runs, tmp_path):
    out = tmp_path / 'run'
    shutil.copytree(mixture_runs['straight'], out)
    newest = out / 'model' / 'snapshot_iter_20.npz'
    data = newest.read_bytes()
    newest.write_bytes(data[:len(data) // 2])  # a crash mid-copy, a full disk...
    # Stale temporary files of a killed writer (its pid is gone) are removed.
    finished = subprocess.Popen([sys.executable, '-c', ''])
    finished.wait()
    dead = finished.pid
    stale = [out / 'model' / f'.snapshot_iter_30.npz.tmp-{dead}',
             out / 'model' / f'generator.npz.tmp{dead}']
    for path in stale:
        path.write_bytes(b'half')

    result = train(MIXTURE, out, '--resume', '--epochs', 3, '--no-progress')
    assert f'warning: skipped {newest} is not a readable snapshot' in result.stderr
    assert f'resumed from {out / "model" / "snapshot_iter_10.npz"} at iteration 10' \
        in result.stdout
    assert losses(out)[-1]['iteration'] == 30
    assert read_snapshot(str(newest))['updater/iteration'] == 20  # rewritten whole
    assert not any(path.exists() for path in stale)


def test_sigint_writes_a_snapshot_that_resumes(tmp_path):
    model, plot = tmp_path / 'model', tmp_path / 'plot'
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=ROOT)
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, MIXTURE), *map(str, [
            *TINY_MIXTURE, '--updates-per-epoch', 10 ** 6, '--epochs', 1,
            '--model-dir', model, '--plot-dir', plot])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    wait_for(lambda: (model / 'model.json').exists(), process)
    time.sleep(1.0)  # well inside the training loop
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGINT, stderr
    assert 'Traceback' not in stderr
    iteration = int(stdout.split('snapshot written at iteration ')[1].split(':')[0])
    assert iteration > 0 and (model / f'snapshot_iter_{iteration}.npz').exists()
    assert (model / 'generator.npz').exists()  # plot.py works on a stopped run

    # Continue for 5 more updates: an epoch of iteration + 5 updates.
    result = run_forked(MIXTURE, '--resume', '--updates-per-epoch', iteration + 5,
                        '--model-dir', model, '--plot-dir', plot, '--no-progress')
    assert result.returncode == 0, result.stderr
    assert f'at iteration {iteration},' in result.stdout
    assert losses(tmp_path)[-1]['iteration'] == iteration + 5


def test_kill_9_during_a_snapshot_write_then_resume_loads_the_previous_one(tmp_path):
    """The process kills itself (SIGKILL) when 3,000 bytes of
    snapshot_iter_30.npz are written: the name never holds a partial file,
    and --resume continues from snapshot_iter_20 to the end."""
    model, plot = tmp_path / 'model', tmp_path / 'plot'
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=ROOT,
               **{KILL_PARTWAY: 'snapshot_iter_30.npz:3000'})
    killed = subprocess.run([sys.executable, os.path.join(ROOT, MIXTURE), *map(str, [
        *TINY_MIXTURE, '--epochs', 4, '--plot-interval', 1000, '--model-dir', model,
        '--plot-dir', plot])], capture_output=True, text=True, env=env, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    partial = [name for name in os.listdir(model) if name.startswith('.snapshot_iter_30.npz.tmp')]
    assert len(partial) == 1 and (model / partial[0]).stat().st_size == 3000
    assert [os.path.basename(p) for p in snapshot_files(str(model))] == [
        'snapshot_iter_20.npz', 'snapshot_iter_10.npz']

    result = run_forked(MIXTURE, '--resume', '--model-dir', model, '--plot-dir', plot,
                        '--no-progress')
    assert result.returncode == 0, result.stderr
    assert f'resumed from {model / "snapshot_iter_20.npz"} at iteration 20,' in result.stdout
    assert losses(tmp_path)[-1]['iteration'] == 40
    # The newest three snapshots are kept, and nothing half-written is left.
    assert sorted(os.listdir(model)) == sorted(
        ['model.json', 'generator.npz', 'discriminator.npz', 'log', 'train.lock',
         'snapshot_iter_20.npz', 'snapshot_iter_30.npz', 'snapshot_iter_40.npz'])


def wait_for(condition, process, timeout=60):
    end = time.time() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()[1]
        assert time.time() < end, 'timed out'
        time.sleep(0.05)


# --- in-process: what the snapshot holds ------------------------------------

def make_trainer(tmp_path, config, name, extra=()):
    gen, dis = build_models(config)
    iterator = MixtureIterator(config.batch_size, config.updates_per_epoch, config.seed)
    trainer = build_trainer(config, iterator, gen, dis, chainer.get_device('@numpy'),
                            str(tmp_path / name / 'model'), str(tmp_path / name / 'plot'),
                            log_trigger=(100, 'epoch'), progress=False)  # rows at picture epochs only
    for ext in extra:
        trainer.extend(ext(trainer), trigger=(3, 'iteration'))
    return trainer


def halve_lr(trainer):
    """A learning-rate schedule, as the paper's 'halve when M stalls' would be."""
    return chainer_extensions.ExponentialShift('alpha', 0.5,
                                               optimizer=trainer.updater.get_optimizer('gen'))


def test_adam_hyperparameters_and_a_learning_rate_schedule_survive_resume(tmp_path):
    config = tiny_mixture_config(lr=3e-4, beta1=0.5, epochs=2, updates_per_epoch=5)
    straight = make_trainer(tmp_path, config, 'straight', [halve_lr])
    straight.run()
    first = make_trainer(tmp_path, config.replace(epochs=1), 'first', [halve_lr])
    first.run()
    second = make_trainer(tmp_path, config, 'second', [halve_lr])
    path = str(tmp_path / 'first' / 'model' / 'snapshot_iter_5.npz')
    load_snapshot(second, read_snapshot(path), path)
    second.run()

    for name in ('gen', 'dis'):
        a, b = straight.updater.get_optimizer(name), second.updater.get_optimizer(name)
        for attr in ('alpha', 'beta1', 'beta2', 'eps', 't'):
            assert getattr(a, attr) == getattr(b, attr), (name, attr)
    assert second.updater.get_optimizer('gen').alpha == 3e-4 / 8  # halved at 3, 6, 9
    assert second.updater.get_optimizer('dis').alpha == 3e-4
    for link in ('generator', 'discriminator'):
        for (n, p), (_, q) in zip(sorted(getattr(straight.updater, link).namedparams()),
                                  sorted(getattr(second.updater, link).namedparams())):
            numpy.testing.assert_array_equal(p.array, q.array, err_msg=n)


class SendSignalAt(chainer.training.Extension):
    def __init__(self, iteration, signum):
        self.iteration, self.signum = iteration, signum

    def __call__(self, trainer):
        if trainer.updater.iteration == self.iteration:
            os.kill(os.getpid(), self.signum)


def test_sigterm_stops_after_the_iteration_with_a_snapshot(tmp_path):
    trainer = make_trainer(tmp_path, tiny_mixture_config(epochs=2), 'run')
    trainer.extend(SendSignalAt(7, signal.SIGTERM))
    before = signal.getsignal(signal.SIGTERM)
    assert run(trainer) == signal.SIGTERM
    assert trainer.updater.iteration == 7
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored
    model = tmp_path / 'run' / 'model'
    assert read_snapshot(str(model / 'snapshot_iter_7.npz'))['updater/iteration'] == 7
    assert (model / 'generator.npz').exists()


class SignalDuringAgreement(Solo):
    """A Ctrl-C that lands while the processes agree whether to stop: its
    handler runs as the collective returns, before the agreed value is
    kept (the Ctrl-C hang under mpiexec: the signal was lost)."""

    def __init__(self, iteration):
        self.iteration, self.calls = iteration, 0

    def agreed_signal(self, signum):
        self.calls += 1  # once before each update, and once more to end
        if self.calls == self.iteration + 1:
            signal.raise_signal(signal.SIGINT)  # the handler runs here, at once
        return signum


def test_a_ctrl_c_during_the_stop_agreement_stops_after_the_next_update(tmp_path):
    config = tiny_mixture_config(epochs=1, updates_per_epoch=50)
    gen, dis = build_models(config)
    trainer = build_trainer(config, MixtureIterator(config.batch_size, 50, config.seed),
                            gen, dis, chainer.get_device('@numpy'),
                            str(tmp_path / 'model'), str(tmp_path / 'plot'),
                            progress=False, group=SignalDuringAgreement(7))
    assert run(trainer) == signal.SIGINT
    assert trainer.updater.iteration == 8
    assert read_snapshot(str(tmp_path / 'model' / 'snapshot_iter_8.npz'))[
        'updater/iteration'] == 8


def test_stray_temporary_files_are_never_taken_for_snapshots(tmp_path):
    model = tmp_path / 'model'
    model.mkdir()
    for name in ('.snapshot_iter_90.npz.tmp-1', 'snapshot_iter_5.npz', 'snapshot_iter_x.npz',
                 'tmpsnapshot_iter_70.npz', 'snapshot_iter_12.npz'):
        (model / name).write_bytes(b'')
    assert snapshot_files(str(model)) == [str(model / 'snapshot_iter_12.npz'),
                                          str(model / 'snapshot_iter_5.npz')]
    shutil.rmtree(model)
