"""The GPU check: the user's own commands on a CUDA GPU, and a short report.

    python benchmarks/gpu_check.py [--gpu 0] [--seed 0] [--out DIR] [--keep]
    python benchmarks/gpu_check.py --cpu-only   # the same sequence on the CPU, tiny sizes
    benchmarks/gpu_check.sh [WHEEL_DIR] [OPTIONS]   # installs Chainer from wheels first

Each command runs as its own process, as a user runs it (docs/gpu.md lists
the commands and what each step checks), in order of value, so that a short
budget skips the least:

 1. import Chainer and CuPy, and the device probe of --gpu N;
 2. the user's own run: train_animeface/train.py at 96x96 (the post's size;
    the built-in toy faces) for two epochs with pictures and snapshots, then
    --resume for a third, plot.py and analogy.py --images (two faces
    inverted into z);
 3. the 8-Gaussian experiment the same way (with the post's early check),
    and an uninterrupted three-epoch run that shows whether the resumed run
    is exact;
 4. a comparison with the CPU: the first updates of each experiment on the
    CPU and on the GPU from the same seed. z and D's input noise are then
    drawn on the host for the GPU run too (benchmarks/recorded_run.py
    --host-random: a GPU run draws other random numbers), with TF32 off
    (NVIDIA_TF32_OVERRIDE=0); every loss of the first EARLY updates must
    agree within RTOL (relative);
 5. updates per second: the faces at 48 px (one epoch of train.py), and
    this project's step beside PyTorch's (benchmarks/vs_torch: the same
    networks, weights and step) on the same device at 48 and 96 px;
 6. --preset covering on the ring (the mode-coverage terms, MMD included),
    --arch paper, --h-penalty with G's average (--g-ema), and the faces'
    self-conditioned covering run (run/demo's), shortened.

Every train.py runs under benchmarks/recorded_run.py, which notes each
update's losses and time and changes nothing else. The report (OUT/
gpu_check_report.txt) says per step ok, FAIL (with the exception or the
command's last line) or skip, with the environment and the numbers; it is
rewritten after every step and names the step running, so it tells what
happened even when the check is killed. No step starts after --minutes
(default 7.5) and a command still running then is stopped. Exit status: 0
when no step failed, 1 when one did, 2 when the device cannot be used (one
line on stderr; the report says the same).

The runs live in a temporary folder, never under --out (snapshots are large):
--keep keeps that folder and copies its small files (logs, model.json, the
recorded losses, the final pictures) to OUT/gpu_check_files; without it only
commands.log is copied.

--cpu-only runs the same sequence with --gpu -1 at tiny sizes (faces at 32
and 16 px instead of 96 and 48), each command in a child forked from this
process rather than a new Python (a second less each): a smoke test for CI;
the comparison's two runs must then agree exactly.
"""
import argparse
import importlib.util
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import types

import numpy

from forked import run_forked

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

chainer = None  # imported by the first step, so that its failure is reported too

MIXTURE = 'train_gaussian_mixture'
FACES = 'train_animeface'
RECORDER = os.path.join(ROOT, 'benchmarks', 'recorded_run.py')
REPORT = 'gpu_check_report.txt'
SMALL_FILES = 'gpu_check_files'
SMALL = 2 ** 20   # bytes: what --keep copies to OUT at most, a file
EARLY, RTOL, WARMUP = 5, 1e-3, 10
MINUTES = 7.5

# Sizes of each step. 'gpu': what the GPU check runs; 'tiny': --cpu-only.
PROFILES = {
    'gpu': dict(
        big_faces=['--size', 96, '--num-images', 1600, '--score-samples', 500],
        mixture=['--updates-per-epoch', 150],
        compare_updates=20,
        compare_faces=['--size', 48, '--score-samples', 500],
        faces=['--size', 48, '--num-images', 3200, '--score-samples', 500],
        torch_sizes=[48, 96], torch_steps=20,
        covering=['--updates-per-epoch', 250, '--anneal-epochs', 1],
        paper=['--size', 64, '--num-images', 320, '--score-samples', 500],
        h_penalty=['--size', 48, '--num-images', 320, '--score-samples', 500],
        faces_covering=['--size', 32, '--num-images', 640, '--batch-size', 16,
                        '--score-samples', 500],
        analogy=[], face_size=48, big_size=96),
    'tiny': dict(
        big_faces=['--size', 32, '--num-images', 48, '--batch-size', 8, '--n-h', 16,
                   '--score-samples', 100],
        mixture=['--updates-per-epoch', 50],
        compare_updates=EARLY,
        compare_faces=['--size', 16, '--batch-size', 8, '--n-h', 16, '--score-samples', 100],
        faces=['--size', 16, '--num-images', 64, '--batch-size', 8, '--n-h', 16,
               '--score-samples', 100],
        torch_sizes=[16, 32], torch_steps=2,
        covering=['--updates-per-epoch', 10, '--anneal-epochs', 1, '--mmd-batch', 64],
        paper=['--size', 16, '--num-images', 32, '--batch-size', 8, '--n-h', 16,
               '--hidden', 8, '--score-samples', 100],
        h_penalty=['--size', 16, '--num-images', 32, '--batch-size', 8, '--n-h', 16,
                   '--score-samples', 100],
        faces_covering=['--size', 16, '--num-images', 32, '--batch-size', 8, '--n-h', 16,
                        '--score-samples', 100],
        analogy=['--pairs', 3, '--steps', 4, '--invert-steps', 5], face_size=16, big_size=32),
}


class StepFailed(Exception):
    """A step's command failed or wrote something other than expected."""


class Skipped(Exception):
    """A step that cannot run here and is no failure (no PyTorch installed)."""


def expect(condition, message):
    if not condition:
        raise StepFailed(message)


class Check:
    """Runs the steps' commands in ``work`` and keeps each step's result,
    rewriting the report after each."""

    def __init__(self, gpu, seed, work, deadline, profile, report_path, forked=False):
        self.gpu, self.seed, self.work, self.deadline = gpu, seed, work, deadline
        self.report_path, self.forked = report_path, forked
        self.profile = PROFILES[profile]
        self.steps = []   # (name, status 'ok' / 'FAIL' / 'skip', seconds, note)
        self.numbers, self.info = {}, {}
        self.running, self.began = None, time.perf_counter()

    # --- running -------------------------------------------------------------

    def step(self, name, function, *args, timed=True):
        """Run one step and note how it went; returns what the step returns
        (None when it failed). Any exception fails the step, not the check.
        A ``timed`` step does not start after the deadline, nor any after a stop."""
        if STOPS:   # (a stop whose exception some library code swallowed)
            raise Stopped(STOPS[0])
        if timed and time.time() > self.deadline:
            return self.skip(name, 'out of time')
        start = time.perf_counter()
        self.running = name
        self.write_report()
        result, note, status, stopped = None, None, 'ok', None
        try:
            result = function(*args)
            if isinstance(result, tuple):
                result, note = result
        except Skipped as e:
            note, status = f'skipped: {e}', 'skip'
        except StepFailed as e:
            note, status = str(e), 'FAIL'
        except Exception as e:
            note, status = first_line(e), 'FAIL'
            self.note_traceback(name)
        except Stopped as e:   # SIGTERM: noted, then the check ends
            note, status, stopped = f'stopped by {e}', 'FAIL', e
        self.running = None
        seconds = time.perf_counter() - start
        self.steps.append((name, status, seconds, note or ''))
        self.write_report()
        print(f'-- {name}: {status} ({seconds:.1f} s){": " + note if note else ""}', flush=True)
        if stopped:
            raise stopped
        return result

    def note_stop(self, signal_name):
        """A stop that step() did not note (it came between two steps, or
        between a step's end and its note) still fails the check: a stopped
        check never reads PASS."""
        if not any(note.startswith('stopped by ') for *_, note in self.steps):
            self.steps.append((self.running or '(between two steps)', 'FAIL', 0.0,
                               f'stopped by {signal_name}'))
        self.running = None

    def skip(self, name, why):
        self.steps.append((name, 'FAIL', 0.0, f'not run: {why}'))
        print(f'-- {name}: not run ({why})', flush=True)
        self.write_report()

    def note_traceback(self, name):
        os.makedirs(self.work, exist_ok=True)
        with open(os.path.join(self.work, 'commands.log'), 'a') as log:
            log.write(f'# {name}: {traceback.format_exc()}\n')

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

    def import_and_probe(self):
        """Chainer (through began.compat) and CuPy import, and --gpu N passes
        the device probe; the environment goes into the report."""
        global chainer
        import began  # noqa: F401  (began.compat runs before chainer is imported)
        import chainer as imported
        chainer = imported
        from began.device import get_device
        from began.errors import BeganError
        try:
            device = get_device(self.gpu)
        except BeganError as e:  # one line: the check ends here
            raise StepFailed(f'error: {e}') from None
        self.info = environment(device)
        print('environment: ' + json.dumps(self.info), flush=True)
        return device, ', '.join(f'{k} {v}' for k, v in self.info.items())

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

    def faces(self, name, options, epochs, key):
        """train.py on the toy faces; its updates per second noted as ``key``."""
        per_epoch = int(options[options.index('--num-images') + 1]) // batch_size(options)
        records = self.train(FACES, name, [*options, '--dataset', 'toyfaces'], epochs,
                             per_epoch)
        self.numbers[key] = updates_per_second(records)
        return per_epoch, f'{epochs * per_epoch} updates; {rate_text(self.numbers[key])}'

    def mixture(self):
        options = self.profile['mixture']
        per_epoch = options[options.index('--updates-per-epoch') + 1]
        records = self.train(MIXTURE, 'mixture', options, 2, per_epoch,
                             ['--early-check-updates', per_epoch])
        self.numbers['mixture'] = updates_per_second(records)
        return per_epoch, (f'{2 * per_epoch} updates; early check at {per_epoch} passed; '
                           f'{rate_text(self.numbers["mixture"])}')

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

    def face_scripts(self, name, size):
        from PIL import Image
        from began.data.toyfaces import make_toyfaces
        images, _ = make_toyfaces(2, size, seed=self.seed + 1)
        paths = [self.path(f'face_{i}.png') for i in range(2)]
        for image, path in zip(images, paths):
            Image.fromarray(image).save(path)
        out = self.path(f'{name}/final')
        self.run(f'{FACES}/plot.py', '--model-dir', self.path(f'{name}/model'), '--out', out,
                 '--seed', self.seed)
        stdout, _ = self.run(f'{FACES}/analogy.py', '--model-dir', self.path(f'{name}/model'),
                             '--out', out, '--seed', self.seed, *self.profile['analogy'],
                             '--images', *paths)
        expect(stdout.count('inverted') == 2, 'analogy.py did not invert both images')
        self.expect_files(f'{name}/final', 'samples.png', 'analogy_z.png', 'analogy_h.png',
                          'analogy_images.png')

    def variant(self, name, options):
        """One epoch of the faces with other networks or another loss."""
        per_epoch = int(options[options.index('--num-images') + 1]) // batch_size(options)
        self.train(FACES, name, [*options, '--dataset', 'toyfaces'], 1, per_epoch)
        with open(self.path(name, 'model', 'model.json')) as f:
            return None, f'{per_epoch} updates; model.json: ' + ', '.join(
                f'{k} {v}' for k, v in json.load(f).items()
                if k in ('arch', 'image_size', 'h_penalty', 'g_ema', 'self_condition', 'mmd'))

    def covering(self):
        """--preset covering on the ring, shortened to two epochs (the
        second annealed): one-hot z categories, the MMD, G's own rate."""
        options = self.profile['covering']
        per_epoch = options[options.index('--updates-per-epoch') + 1]
        records = self.train(MIXTURE, 'covering', ['--preset', 'covering', *options,
                                                    '--no-early-check'], 2, per_epoch)
        with open(self.path('covering', 'model', 'model.json')) as f:
            config = json.load(f)
        expect(config['mmd'] > 0 and config['z_categories'] > 0,
               f'covering/model.json: mmd {config["mmd"]}, z_categories '
               f'{config["z_categories"]}: not the covering preset')
        last = self.log('covering/model')[-1]
        self.numbers['covering'] = updates_per_second(records)
        return None, (f'{2 * per_epoch} updates (mmd {config["mmd"]}, mmd-batch '
                      f'{config["mmd_batch"]}); modes {last["modes"]:g}, high quality '
                      f'{last["high_quality"]:.3f}; {rate_text(self.numbers["covering"])}')

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

    def beside_torch(self):
        """This project's step and PyTorch's (benchmarks/vs_torch: the same
        networks from the same weights, the same step) on this device, at
        the sizes of the profile, interleaved; TF32 off on both sides."""
        if importlib.util.find_spec('torch') is None:
            raise Skipped('PyTorch is not installed in this Python')
        import bench_vs_torch
        from began.config import Config
        args = types.SimpleNamespace(gpu=self.gpu, threads=os.cpu_count(), repeats=3,
                                     openblas_coretype=None, project=None,
                                     torch_python=sys.executable)
        faces = dict(bench_vs_torch.preset(f'{FACES}/train.py'), experiment='animeface',
                     dataset='toyfaces', num_images=64)
        notes, saved = [], os.environ.get('NVIDIA_TF32_OVERRIDE')
        os.environ['NVIDIA_TF32_OVERRIDE'] = '0'   # the workers inherit it
        try:
            for size in self.profile['torch_sizes']:
                expect(time.time() < self.deadline - 30, f'{size} px: out of time')
                config = Config(**dict(faces, image_size=size)).validate().to_dict()
                try:
                    result = bench_vs_torch.measure_case(
                        args, f'{size}x{size}', config, bench_vs_torch.K,
                        self.profile['torch_steps'], {'chainer': None, 'torch': None})
                except SystemExit as e:  # a worker stopped, or the nets disagree
                    raise StepFailed(f'{size} px: {e}') from None
                rates = {side: round(1 / statistics.median(v), 2)
                         for side, v in result['seconds'].items()}
                self.numbers[f'pytorch {size} px'] = dict(
                    this_project_updates_per_s=rates['chainer'],
                    pytorch_updates_per_s=rates['torch'], torch=result['torch'],
                    outputs_check=result['check'])
                notes.append(f'{size} px: this project {rates["chainer"]}, PyTorch '
                             f'{rates["torch"]} updates/s (PyTorch {result["torch"]})')
        finally:
            if saved is None:
                os.environ.pop('NVIDIA_TF32_OVERRIDE', None)
            else:
                os.environ['NVIDIA_TF32_OVERRIDE'] = saved
        return None, '; '.join(notes)

    def all(self):
        profile = self.profile
        big, small = profile['big_size'], profile['face_size']
        # The user's own run first: the post's size, its scripts.
        per_epoch = self.step(f'faces {big} px: train.py, 2 epochs', self.faces, 'faces',
                              profile['big_faces'], 2, f'faces {big} px')
        for name, function, *args in (
                ('faces: train.py --resume, epoch 3', self.resume, FACES, 'faces', per_epoch),
                ('faces: plot.py, analogy.py --images', self.face_scripts, 'faces', big)):
            if per_epoch:
                self.step(name, function, *args)
            else:
                self.skip(name, 'no trained model')
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
        updates = profile['compare_updates']
        self.step(f'compare with the CPU: mixture, {updates} updates', self.compare, MIXTURE,
                  'mixture', ['--updates-per-epoch', updates])
        faces = profile['compare_faces']
        self.step(f'compare with the CPU: faces, {updates} updates', self.compare, FACES,
                  'faces', [*faces, '--num-images', updates * batch_size(faces),
                            '--dataset', 'toyfaces'])
        self.step(f'faces {small} px: train.py, 1 epoch (timing)', self.faces, 'faces_small',
                  profile['faces'], 1, f'faces {small} px')
        self.step('beside PyTorch on this device: '
                  + ', '.join(f'{s} px' for s in profile['torch_sizes']), self.beside_torch)
        self.step('mixture: --preset covering, 2 epochs', self.covering)
        self.step('faces: --arch paper', self.variant, 'paper',
                  [*profile['paper'], '--arch', 'paper'])
        self.step('faces: --h-penalty 0.01 --g-ema 0.99', self.variant, 'h_penalty',
                  [*profile['h_penalty'], '--h-penalty', 0.01, '--g-ema', 0.99])
        # run/demo's covering run: the clusters and G's prior on the device
        self.step('faces: --preset covering --self-condition', self.variant,
                  'faces_covering', [*profile['faces_covering'], '--preset', 'covering',
                                     '--self-condition', '--mmd', 0.25, '--anneal-epochs', 0])

    # --- the report ------------------------------------------------------------

    def report(self, final=False):
        failed = sum(status == 'FAIL' for _, status, _, _ in self.steps)
        skipped = sum(status == 'skip' for _, status, _, _ in self.steps)
        passed = len(self.steps) - failed - skipped
        verdict = ('PASS' if not failed else 'FAIL') if final else 'UNFINISHED'
        lines = [f'began GPU check: {verdict} ({passed}/{len(self.steps) - skipped} steps'
                 f'{f", {skipped} skipped" if skipped else ""}) in '
                 f'{time.perf_counter() - self.began:.0f} s, seed {self.seed}',
                 'environment: ' + (', '.join(f'{k} {v}' for k, v in self.info.items())
                                    or '(not known yet)')]
        for name, status, seconds, note in self.steps:
            lines.append(f'{status:4} {seconds:6.1f} s  {name}' + (f': {note}' if note else ''))
        if self.running:
            lines.append(f'running: {self.running} (the check stopped here if this is the '
                         f'last line of a final report)')
        rates = {k: v['updates_per_s'] for k, v in self.numbers.items()
                 if isinstance(v, dict) and 'updates_per_s' in v}
        rates.update({f'{k} (PyTorch; this project\'s step {v["this_project_updates_per_s"]})':
                      v['pytorch_updates_per_s'] for k, v in self.numbers.items()
                      if k.startswith('pytorch')})
        lines.append(f'updates/s on {self.info.get("device", "?")}: '
                     + '; '.join(f'{k} {v}' for k, v in rates.items()))
        lines.append('numbers: ' + json.dumps(self.numbers))
        return not failed, '\n'.join(lines) + '\n'

    def write_report(self, final=False):
        """The report, replaced whole (a kill never leaves half of it)."""
        ok, text = self.report(final)
        partial = self.report_path + '.partial'
        with open(partial, 'w') as f:
            f.write(text)
        os.replace(partial, self.report_path)
        return ok, text


def launch_process(command, cwd, env, timeout):
    """The command in a new Python: a CompletedProcess, or None when out of time."""
    try:
        return subprocess.run(command, cwd=cwd, env=env, text=True, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def launch_forked(command, cwd, env, timeout):
    """The command in a child forked from this process, as the test suite runs
    scripts (forked.py): without importing Chainer again. CPU only."""
    return run_forked(command, cwd, env, timeout)


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


def copy_small_files(work, out, everything):
    """commands.log, and with ``everything`` each small file of the runs
    (logs, model.json, recorded losses, final pictures; never a snapshot or
    weights), to OUT/gpu_check_files. Returns the folder."""
    target = os.path.join(out, SMALL_FILES)
    shutil.rmtree(target, ignore_errors=True)
    for folder, _, files in os.walk(work):
        for name in files:
            source = os.path.join(folder, name)
            relative = os.path.relpath(source, work)
            wanted = relative == 'commands.log' or (
                everything and not name.endswith('.npz') and os.path.getsize(source) <= SMALL
                and (name in ('log', 'model.json') or name.endswith('.json')
                     or '/final/' in f'/{relative}'))
            if wanted:
                os.makedirs(os.path.dirname(os.path.join(target, relative)), exist_ok=True)
                shutil.copyfile(source, os.path.join(target, relative))
    return target


class Stopped(BaseException):
    """SIGTERM (a timeout's kill): the report is still written."""


STOPS = []   # the signals received: a stop whose exception was swallowed still counts


def stop(signum, frame):
    STOPS.append(signal.Signals(signum).name)
    raise Stopped(STOPS[-1])


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
                        help='keep the runs in their temporary folder, and copy their small '
                             f'files (logs, model.json, final pictures) to OUT/{SMALL_FILES}')
    parser.add_argument('--minutes', type=float, default=MINUTES,
                        help='start no step after this long, and stop the one running then '
                             '(default: %(default)s)')
    args = parser.parse_args(argv)
    gpu = -1 if args.cpu_only else args.gpu
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix='gpu_check_')
    check = Check(gpu, args.seed, work, time.time() + 60 * args.minutes,
                  'tiny' if args.cpu_only else 'gpu', os.path.join(args.out, REPORT),
                  forked=args.cpu_only)
    signal.signal(signal.SIGTERM, stop)
    usable = False
    try:
        usable = check.step('import and probe', check.import_and_probe,
                            timed=False) is not None
        if usable:
            if args.cpu_only:
                preload()
            check.all()
    except Stopped:
        pass   # (noted below, with any stop that was swallowed on the way)
    finally:
        if STOPS:
            check.note_stop(STOPS[0])
        copied = copy_small_files(work, args.out, args.keep)
        if args.keep:
            print(f'the runs are kept in {work}; small files copied to {copied}')
        else:
            shutil.rmtree(work, ignore_errors=True)
        ok, text = check.write_report(final=True)
    if not usable:
        note = check.steps[0][3]
        sys.stderr.write(f'{note if note.startswith("error: ") else "error: " + note}\n')
        return 2
    print(text + f'(written to {check.report_path})', flush=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
