"""The GPU check: the user's own commands on a CUDA GPU, and a short report.

    python benchmarks/gpu_check.py [--gpu 0] [--seed 0] [--out DIR] [--keep]
    python benchmarks/gpu_check.py --cpu-only   # the same sequence on the CPU, tiny sizes
    benchmarks/gpu_check.sh [WHEEL_DIR] [OPTIONS]   # installs Chainer from wheels first

In a temporary folder it runs, each as its own process, what a user runs
(docs/gpu.md lists the commands and what each step checks):

 1. the 8-Gaussian experiment: train.py --gpu N for two epochs with pictures,
    snapshots and the post's early check, then --resume for a third epoch;
    an uninterrupted three-epoch run shows whether the resumed run is exact;
    plot.py --gpu N and analogy.py --gpu N;
 2. the anime-face experiment on the built-in toy faces at 48 px, the same
    way (analogy.py with --images: two faces inverted into z);
 3. --arch paper and --h-penalty, one epoch each;
 4. a comparison with the CPU: the first updates of each experiment on the
    CPU and on the GPU from the same seed. z and D's input noise are then
    drawn on the host for the GPU run too (benchmarks/recorded_run.py
    --host-random: a GPU run draws other random numbers), with TF32 off
    (NVIDIA_TF32_OVERRIDE=0); every loss of the first EARLY updates must
    agree within RTOL (relative);
 5. updates per second on the GPU: the 8-Gaussian run, the faces at 48 px
    and one epoch of faces at 96 px (the post's size), from the time between
    consecutive updates after WARMUP updates (their median), as the user's
    train.py runs them, extensions included.

Every train.py runs under benchmarks/recorded_run.py, which notes each
update's losses and time and changes nothing else. The report (OUT/
gpu_check_report.txt, also printed) says per step ok or what failed, with
the environment and the numbers. The whole check stops starting steps after
--minutes (default 9.5). Exit status: 0 when every step passed, 1 when one
failed, 2 when the device cannot be used (one line on stderr, nothing run).

--cpu-only runs the same sequence with --gpu -1 at tiny sizes (faces at 16
and 32 px instead of 48 and 96), each command in a child forked from this
process rather than a new Python (a second less each): a smoke test for CI;
the comparison's two runs must then agree exactly.
"""
import argparse
import io
import json
import math
import os
import platform
import runpy
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import began  # noqa: E402,F401  (began.compat runs before chainer is imported)

import chainer  # noqa: E402
import numpy  # noqa: E402

from began.device import get_device  # noqa: E402
from began.errors import BeganError  # noqa: E402

MIXTURE = 'train_gaussian_mixture'
FACES = 'train_animeface'
RECORDER = os.path.join(ROOT, 'benchmarks', 'recorded_run.py')
REPORT = 'gpu_check_report.txt'
EARLY, RTOL, WARMUP = 5, 1e-3, 10
MINUTES = 9.5

# Sizes of each step. 'gpu': what the GPU check runs; 'tiny': --cpu-only.
PROFILES = {
    'gpu': dict(
        mixture=['--updates-per-epoch', 150],
        faces=['--size', 48, '--num-images', 1600, '--score-samples', 2000],
        paper=['--size', 64, '--num-images', 320, '--score-samples', 500],
        h_penalty=['--size', 48, '--num-images', 320, '--score-samples', 500],
        compare_updates=20,
        compare_faces=['--size', 48, '--score-samples', 500],
        big_faces=['--size', 96, '--num-images', 3200, '--score-samples', 500],
        analogy=[], face_size=48, big_size=96),
    'tiny': dict(
        mixture=['--updates-per-epoch', 50],
        faces=['--size', 16, '--num-images', 64, '--batch-size', 8, '--n-h', 16,
               '--score-samples', 100],
        paper=['--size', 16, '--num-images', 32, '--batch-size', 8, '--n-h', 16,
               '--hidden', 8, '--score-samples', 100],
        h_penalty=['--size', 16, '--num-images', 32, '--batch-size', 8, '--n-h', 16,
                   '--score-samples', 100],
        compare_updates=EARLY,
        compare_faces=['--size', 16, '--batch-size', 8, '--n-h', 16, '--score-samples', 100],
        big_faces=['--size', 32, '--num-images', 48, '--batch-size', 8, '--n-h', 16,
                   '--score-samples', 100],
        analogy=['--pairs', 3, '--steps', 4, '--invert-steps', 5], face_size=16, big_size=32),
}


class StepFailed(Exception):
    """A step's command failed or wrote something other than expected."""


def expect(condition, message):
    if not condition:
        raise StepFailed(message)


class Check:
    """Runs the steps' commands in ``work`` and keeps each step's result."""

    def __init__(self, gpu, seed, work, deadline, profile, forked=False):
        self.gpu, self.seed, self.work, self.deadline = gpu, seed, work, deadline
        self.forked = forked
        self.profile = PROFILES[profile]
        self.steps = []   # (name, ok, seconds, note)
        self.numbers = {}

    # --- running -------------------------------------------------------------

    def step(self, name, function, *args):
        """Run one step and note how it went; returns what the step returns
        (None when it failed)."""
        start = time.perf_counter()
        if time.time() > self.deadline:
            return self.skip(name, 'out of time')
        try:
            result, note = function(*args), None
            if isinstance(result, tuple):
                result, note = result
            ok = True
        except StepFailed as e:
            result, note, ok = None, str(e), False
        seconds = time.perf_counter() - start
        self.steps.append((name, ok, seconds, note or ''))
        print(f'-- {name}: {"ok" if ok else "FAILED"} ({seconds:.1f} s)'
              f'{": " + note if note else ""}', flush=True)
        return result

    def run(self, script, *args, gpu=None, record=None, host_random=False, env=None):
        """``python SCRIPT ARGS --gpu N`` in the work folder; train.py runs under
        the recorder. Returns (stdout, records or None); a failure raises."""
        gpu = self.gpu if gpu is None else gpu
        command = [sys.executable]
        if record:
            record = os.path.join(self.work, record + '.json')
            command += [RECORDER, record] + (['--host-random'] if host_random else [])
        command += [os.path.join(ROOT, script), *map(str, args), '--gpu', str(gpu)]
        shown = ' '.join([script, *map(str, args), '--gpu', str(gpu)])
        print(f'$ {shown}', flush=True)
        environment = dict(os.environ, MPLBACKEND='Agg', **(env or {}))
        environment['PYTHONPATH'] = os.pathsep.join(
            [ROOT] + ([environment['PYTHONPATH']] if environment.get('PYTHONPATH') else []))
        timeout = max(1.0, self.deadline - time.time())
        launch = launch_forked if self.forked else launch_process
        done = launch(command, self.work, environment, timeout)
        if done is None:
            raise StepFailed(f'{shown}: out of time after {timeout:.0f} s')
        with open(os.path.join(self.work, 'commands.log'), 'a') as log:
            log.write(f'$ {shown}\n{done.stdout}{done.stderr}\n')
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            raise StepFailed(f'{shown}: exit status {done.returncode}: '
                             f'{lines[-1] if lines else "(no message)"}')
        records = None
        if record:
            with open(record) as f:
                records = json.load(f)
            expect(records['updates'], f'{shown}: no update was recorded')
            expect(all(math.isfinite(v) for row in records['updates'] for v in row[3:]),
                   f'{shown}: a loss is not finite')
        return done.stdout, records

    def path(self, *parts):
        return os.path.join(self.work, *map(str, parts))

    def expect_files(self, folder, *names):
        missing = [n for n in names if not os.path.isfile(self.path(folder, n))]
        expect(not missing, f'{folder}: missing {", ".join(missing)}')

    def log(self, folder):
        with open(self.path(folder, 'log')) as f:
            return json.load(f)

    # --- the steps -------------------------------------------------------------

    def train(self, experiment, name, options, epochs, updates_per_epoch, extra=()):
        """A new run of train.py: model, snapshots, pictures and log written."""
        model, plot = f'{name}/model', f'{name}/plot'
        _, records = self.run(f'{experiment}/train.py', *options, '--epochs', epochs,
                              '--plot-interval', 1, '--seed', self.seed,
                              '--model-dir', self.path(model), '--plot-dir', self.path(plot),
                              *extra, record=name)
        self.check_run(experiment, model, plot, records, range(1, epochs + 1),
                       updates_per_epoch)
        return records

    def check_run(self, experiment, model, plot, records, epochs, updates_per_epoch):
        last = epochs[-1] * updates_per_epoch
        expect(records['updates'][-1][0] == last,
               f'{model}: ended at update {records["updates"][-1][0]}, not {last}')
        self.expect_files(model, 'model.json', 'generator.npz', 'discriminator.npz', 'log',
                          *(f'snapshot_iter_{e * updates_per_epoch}.npz' for e in epochs[-3:]))
        pictures = (['scatter', 'kde'] if experiment == MIXTURE else
                    ['samples', 'reconstruction_real', 'reconstruction_fake'])
        self.expect_files(plot, 'curve_losses.png', 'curve_k.png', 'curve_M.png',
                          'curve_h.png', *(f'{p}_epoch_{e}.png' for p in pictures
                                           for e in epochs))
        log = self.log(model)
        expect(log[-1]['iteration'] == last, f'{model}/log: last row at '
                                              f'{log[-1]["iteration"]}, not {last}')
        scores = ['modes', 'high_quality'] if experiment == MIXTURE else ['speckle',
                                                                          'face_modes']
        for key in scores + ['h_std']:
            expect(key in log[-1] and math.isfinite(log[-1][key]),
                   f'{model}/log: no finite {key} in the last row')

    def mixture(self):
        options = self.profile['mixture']
        per_epoch = options[options.index('--updates-per-epoch') + 1]
        records = self.train(MIXTURE, 'mixture', options, 2, per_epoch,
                             ['--early-check-updates', per_epoch])
        self.numbers['mixture'] = updates_per_second(records)
        return per_epoch, (f'{2 * per_epoch} updates; early check at {per_epoch} passed; '
                           f'{rate_text(self.numbers["mixture"])}')

    def faces(self):
        options = self.profile['faces']
        per_epoch = int(options[options.index('--num-images') + 1]) // batch_size(options)
        records = self.train(FACES, 'faces', [*options, '--dataset', 'toyfaces'], 2, per_epoch)
        key = f'faces {self.profile["face_size"]} px'
        self.numbers[key] = updates_per_second(records)
        return per_epoch, f'{2 * per_epoch} updates; {rate_text(self.numbers[key])}'

    def resume(self, experiment, name, per_epoch):
        """--resume for a third epoch: it starts where the snapshot stopped."""
        model, plot = f'{name}/model', f'{name}/plot'
        stdout, records = self.run(f'{experiment}/train.py', '--resume', '--epochs', 3,
                                   '--model-dir', self.path(model),
                                   '--plot-dir', self.path(plot), record=f'{name}_resumed')
        expect(f'at iteration {2 * per_epoch},' in stdout,
               f'{model}: the resume did not start at iteration {2 * per_epoch}')
        expect(records['updates'][0][0] == 2 * per_epoch + 1,
               f'{model}: the resumed run began with update {records["updates"][0][0]}')
        self.check_run(experiment, model, plot, records, [1, 2, 3], per_epoch)
        return records, f'updates {2 * per_epoch + 1}-{3 * per_epoch}'

    def resume_exact(self, experiment, name, options, resumed):
        """An uninterrupted three-epoch run against the resumed one."""
        _, records = self.run(f'{experiment}/train.py', *options, '--epochs', 3,
                              '--plot-interval', 1, '--seed', self.seed,
                              '--model-dir', self.path(f'{name}_whole/model'),
                              '--plot-dir', self.path(f'{name}_whole/plot'),
                              record=f'{name}_whole')
        whole = {row[0]: row[3:] for row in records['updates']}
        diff = max(abs(a - b) for row in resumed['updates']
                   for a, b in zip(row[3:], whole[row[0]]))
        rel = max(abs(a - b) / max(abs(b), 1e-8) for row in resumed['updates']
                  for a, b in zip(row[3:], whole[row[0]]))
        # The CPU resumes bit for bit; a GPU may sum in another order.
        expect(rel <= (0.0 if self.gpu < 0 else RTOL),
               f'resumed losses differ from the uninterrupted run by up to {rel:.2e} '
               f'(relative)')
        return None, ('the resumed updates equal the uninterrupted run\'s bit for bit'
                      if diff == 0 else f'the resumed updates differ from the '
                      f'uninterrupted run\'s by up to {diff:.2e} ({rel:.2e} relative)')

    def mixture_scripts(self):
        out = self.path('mixture/final')
        self.run(f'{MIXTURE}/plot.py', '--model-dir', self.path('mixture/model'), '--out', out,
                 '--seed', self.seed)
        self.run(f'{MIXTURE}/analogy.py', '--model-dir', self.path('mixture/model'),
                 '--out', out, '--seed', self.seed)
        self.expect_files('mixture/final', 'scatter_final.png', 'kde_final.png', 'analogy.png')

    def face_scripts(self):
        from PIL import Image
        from began.data.toyfaces import make_toyfaces
        images, _ = make_toyfaces(2, self.profile['face_size'], seed=self.seed + 1)
        paths = [self.path(f'face_{i}.png') for i in range(2)]
        for image, path in zip(images, paths):
            Image.fromarray(image).save(path)
        out = self.path('faces/final')
        self.run(f'{FACES}/plot.py', '--model-dir', self.path('faces/model'), '--out', out,
                 '--seed', self.seed)
        stdout, _ = self.run(f'{FACES}/analogy.py', '--model-dir', self.path('faces/model'),
                             '--out', out, '--seed', self.seed, *self.profile['analogy'],
                             '--images', *paths)
        expect(stdout.count('inverted') == 2, 'analogy.py did not invert both images')
        self.expect_files('faces/final', 'samples.png', 'analogy_z.png', 'analogy_h.png',
                          'analogy_images.png')

    def variant(self, name, options):
        """One epoch of the faces with other networks or another loss."""
        per_epoch = int(options[options.index('--num-images') + 1]) // batch_size(options)
        self.train(FACES, name, [*options, '--dataset', 'toyfaces'], 1, per_epoch)
        with open(self.path(name, 'model', 'model.json')) as f:
            return None, f'{per_epoch} updates; model.json: ' + ', '.join(
                f'{k} {v}' for k, v in json.load(f).items()
                if k in ('arch', 'image_size', 'h_penalty'))

    def compare(self, experiment, name, options):
        """The first updates on the CPU and on the device, with the same
        random numbers; TF32 off."""
        runs = {}
        for where, gpu in (('cpu', -1), ('device', self.gpu)):
            _, records = self.run(
                f'{experiment}/train.py', *options, '--epochs', 1, '--seed', self.seed,
                '--no-progress', '--no-early-check',
                '--model-dir', self.path(f'compare_{name}_{where}/model'),
                '--plot-dir', self.path(f'compare_{name}_{where}/plot'),
                gpu=gpu, record=f'compare_{name}_{where}', host_random=where == 'device',
                env={'NVIDIA_TF32_OVERRIDE': '0'})
            runs[where] = numpy.array([row[3:] for row in records['updates']])
            if where == 'device':  # the updater must still draw through rng.random_state
                expect(records['host_random_calls'] == len(records['updates']),
                       f'{records["host_random_calls"]} host draws for '
                       f'{len(records["updates"])} updates: the updater no longer draws '
                       f'through began.rng.random_state')
        cpu, device = runs['cpu'], runs['device']
        expect(cpu.shape == device.shape, f'{len(cpu)} CPU updates, {len(device)} on the device')
        rel = numpy.abs(cpu - device) / numpy.maximum(numpy.abs(cpu), 1e-8)
        early, first, whole = rel[:EARLY].max(), rel[0].max(), rel.max()
        self.numbers[f'compare {name}'] = dict(first=float(first), early=float(early),
                                               all=float(whole), updates=len(rel))
        tolerance = 0.0 if self.gpu < 0 else RTOL
        note = (f'largest relative difference of a loss: update 1 {first:.1e}, updates 1-'
                f'{min(EARLY, len(rel))} {early:.1e} (tolerance {tolerance:g}), updates 1-'
                f'{len(rel)} {whole:.1e}')
        expect(early <= tolerance, note)
        return None, note

    def timing(self):
        options = self.profile['big_faces']
        per_epoch = int(options[options.index('--num-images') + 1]) // batch_size(options)
        records = self.train(FACES, 'faces_big', [*options, '--dataset', 'toyfaces'], 1,
                             per_epoch)
        key = f'faces {self.profile["big_size"]} px'
        self.numbers[key] = updates_per_second(records)
        return None, f'{per_epoch} updates; {rate_text(self.numbers[key])}'

    def skip(self, name, why):
        self.steps.append((name, False, 0.0, f'not run: {why}'))
        print(f'-- {name}: not run ({why})', flush=True)

    def all(self):
        profile = self.profile
        per_epoch = self.step('mixture: train.py, 2 epochs', self.mixture)
        if per_epoch:
            resumed = self.step('mixture: train.py --resume, epoch 3', self.resume, MIXTURE,
                                'mixture', per_epoch)
            if resumed:
                self.step('mixture: resumed = uninterrupted', self.resume_exact, MIXTURE,
                          'mixture', profile['mixture'], resumed)
            else:
                self.skip('mixture: resumed = uninterrupted', 'no resumed run')
            self.step('mixture: plot.py, analogy.py', self.mixture_scripts)
        else:
            for name in ('mixture: train.py --resume, epoch 3',
                         'mixture: resumed = uninterrupted', 'mixture: plot.py, analogy.py'):
                self.skip(name, 'no trained model')
        per_epoch = self.step(f'faces {profile["face_size"]} px: train.py, 2 epochs',
                              self.faces)
        for name, function, *args in (
                ('faces: train.py --resume, epoch 3', self.resume, FACES, 'faces', per_epoch),
                ('faces: plot.py, analogy.py --images', self.face_scripts)):
            if per_epoch:
                self.step(name, function, *args)
            else:
                self.skip(name, 'no trained model')
        self.step('faces: --arch paper', self.variant, 'paper',
                  [*profile['paper'], '--arch', 'paper'])
        self.step('faces: --h-penalty 0.01', self.variant, 'h_penalty',
                  [*profile['h_penalty'], '--h-penalty', 0.01])
        updates = profile['compare_updates']
        self.step(f'compare with the CPU: mixture, {updates} updates', self.compare, MIXTURE,
                  'mixture', ['--updates-per-epoch', updates])
        faces = profile['compare_faces']
        self.step(f'compare with the CPU: faces, {updates} updates', self.compare, FACES,
                  'faces', [*faces, '--num-images', updates * batch_size(faces),
                            '--dataset', 'toyfaces'])
        self.step(f'faces {profile["big_size"]} px: train.py, 1 epoch (timing)', self.timing)


def launch_process(command, cwd, env, timeout):
    """The command in a new Python: a CompletedProcess, or None when out of time."""
    try:
        return subprocess.run(command, cwd=cwd, env=env, text=True, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def launch_forked(command, cwd, env, timeout):
    """The command in a child forked from this process, as the test suite runs
    scripts: its own process, exit status and output, without importing
    Chainer again (about a second a command). CPU only: a CUDA context does
    not survive a fork."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdout = io.TextIOWrapper(io.FileIO(1, 'w', closefd=False), line_buffering=True)
            sys.stderr = io.TextIOWrapper(io.FileIO(2, 'w', closefd=False), line_buffering=True)
            sys.argv = command[1:]
            sys.path[0] = os.path.dirname(command[1])
            runpy.run_path(command[1], run_name='__main__')
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if isinstance(e.code, str):
                sys.stderr.write(e.code + '\n')
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    end = time.time() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.02)
    out.seek(0)
    err.seek(0)
    return subprocess.CompletedProcess(command, os.waitstatus_to_exitcode(status),
                                       out.read().decode(), err.read().decode())


def batch_size(options):
    return int(options[options.index('--batch-size') + 1]) if '--batch-size' in options else 16


def updates_per_second(records):
    """1 / the median time between consecutive updates after WARMUP (the
    first updates compile CuPy's kernels), extensions in between included."""
    starts = [row[1] for row in records['updates']]
    skip = WARMUP if len(starts) > 2 * WARMUP else 1
    gaps = numpy.diff(starts[skip:]) if len(starts) > skip + 1 else numpy.diff(starts)
    return dict(updates_per_s=round(1 / statistics.median(gaps), 2) if len(gaps) else None,
                update_ms=round(1000 * statistics.median(row[2] for row in
                                                         records['updates'][skip:]), 2),
                warmup_updates=skip,
                warmup_s=round(starts[skip] if len(starts) > skip else 0.0, 2),
                gpu_pool_mib=records.get('gpu_pool_mib'))


def rate_text(rate):
    return (f'{rate["updates_per_s"]} updates/s (an update alone {rate["update_ms"]} ms; '
            f'the first {rate["warmup_updates"]} update(s) {rate["warmup_s"]} s'
            + (f'; CuPy pool {rate["gpu_pool_mib"]} MiB)' if rate['gpu_pool_mib'] else ')'))


# --- the environment and the report --------------------------------------------------

def environment(device):
    info = dict(python=platform.python_version(), numpy=numpy.__version__,
                chainer=chainer.__version__, device=str(device))
    cuda = chainer.backends.cuda
    if device.xp is not numpy:
        import cupy
        runtime = cupy.cuda.runtime
        name = runtime.getDeviceProperties(device.device.id)['name']
        missing = getattr(cuda, '_resolution_error', None)
        info.update(gpu=name.decode() if isinstance(name, bytes) else name,
                    cupy=cupy.__version__, cuda_runtime=runtime.runtimeGetVersion(),
                    cuda_driver=runtime.driverGetVersion(),
                    cudnn=('on' if cuda.cudnn_enabled else
                           'off: ' + (first_line(missing) if missing else 'CHAINER_CUDNN=0')),
                    tf32=os.environ.get('NVIDIA_TF32_OVERRIDE', 'default'))
    return info


def first_line(error):
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f'{type(error).__name__}: {lines[0] if lines else ""}'


def report(check, info, total, work, kept):
    passed = sum(ok for _, ok, _, _ in check.steps)
    ok = passed == len(check.steps)
    lines = [f'began GPU check: {"PASS" if ok else "FAIL"} ({passed}/{len(check.steps)} '
             f'steps) in {total:.0f} s, seed {check.seed}',
             'environment: ' + ', '.join(f'{k} {v}' for k, v in info.items())]
    for name, step_ok, seconds, note in check.steps:
        lines.append(f'{"ok  " if step_ok else "FAIL"} {seconds:6.1f} s  {name}'
                     + (f': {note}' if note else ''))
    rates = {k: v for k, v in check.numbers.items() if not k.startswith('compare')}
    lines.append('updates/s on ' + info['device'] + ': ' + '; '.join(
        f'{k} {v["updates_per_s"]}' for k, v in rates.items()))
    lines.append('numbers: ' + json.dumps(check.numbers))
    lines.append(f'work folder: {work}' + ('' if kept else ' (removed)'))
    return ok, '\n'.join(lines) + '\n'


def preload():
    """Import what the scripts import, once, before they are forked."""
    os.environ['MPLBACKEND'] = 'Agg'
    import matplotlib.pyplot  # noqa: F401
    import PIL.Image  # noqa: F401
    import began.cli  # noqa: F401
    import began.pictures.images  # noqa: F401
    import began.pictures.mixture  # noqa: F401
    import began.training.trainer  # noqa: F401
    import began.data.image_sets  # noqa: F401
    import began.metrics.face_modes  # noqa: F401


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--gpu', type=int, default=0, help='CuPy device (default: 0)')
    parser.add_argument('--cpu-only', action='store_true',
                        help='the same sequence on the CPU, at tiny sizes (a smoke test)')
    parser.add_argument('--seed', type=int, default=0,
                        help="every run's --seed: initial weights, data, z (default: 0)")
    parser.add_argument('--out', default=os.environ.get('OUT') or '.',
                        help=f'folder of {REPORT} (default: $OUT, else the current one)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the runs (models, pictures, commands.log) in '
                             'OUT/gpu_check_work instead of a temporary folder')
    parser.add_argument('--minutes', type=float, default=MINUTES,
                        help='start no step after this long (default: %(default)s)')
    args = parser.parse_args(argv)
    start = time.perf_counter()
    gpu = -1 if args.cpu_only else args.gpu
    try:
        device = get_device(gpu)   # the probe: one line and nothing run when it fails
    except BeganError as e:
        sys.stderr.write(f'error: {e}\n')
        return 2
    info = environment(device)
    print('environment: ' + json.dumps(info), flush=True)
    os.makedirs(args.out, exist_ok=True)
    if args.keep:
        work = os.path.abspath(os.path.join(args.out, 'gpu_check_work'))
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    else:
        work = tempfile.mkdtemp(prefix='gpu_check_')
    if args.cpu_only:
        preload()
    check = Check(gpu, args.seed, work, time.time() + 60 * args.minutes,
                  'tiny' if args.cpu_only else 'gpu', forked=args.cpu_only)
    try:
        check.all()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    ok, text = report(check, info, time.perf_counter() - start, work, args.keep)
    path = os.path.join(args.out, REPORT)
    with open(path, 'w') as f:
        f.write(text)
    print(text + f'(written to {path})', flush=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
