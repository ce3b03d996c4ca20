"""A prepared check of both experiments on a CUDA GPU (and a CPU smoke test).

    benchmarks/gpu_check.sh [WHEEL_DIR] [OPTIONS]      # installs Chainer, then runs this
    python benchmarks/gpu_check.py [--gpu 0] [--steps 300] [--out DIR]
    python benchmarks/gpu_check.py --cpu-only --steps 3  # the same code paths on the CPU

Needs: began (this repository), chainer 7.8.1, numpy, pillow; CuPy for the
GPU (cupy-cuda13x 14 on NumPy 2, or cupy-cuda11x/12x/13x 13). No network,
no datasets: the data are NumPy random draws.

What it does, in order:
  a) compare: COMPARE_STEPS (20) BEGAN updates of each experiment -- the
     mixture MLP (the spec's sizes, batch 16) and the blog conv nets at 32x32
     (the post's sizes, batch 16) -- once on the CPU and once on the GPU, from
     the same initial weights and the same data. CuPy's random streams differ
     from NumPy's, so for this part z and D's input noise are drawn with
     NumPy on the host and sent to the device (began.updater.random_state is
     swapped for the run; began/ is not changed). Reports, per loss, the max
     absolute difference over all steps and the max relative difference over
     the first EARLY (5) steps and over all; passes when every loss is
     finite and the early relative difference is <= RTOL (1e-3). With
     --cpu-only both runs are on the CPU, must agree exactly, and last EARLY
     steps unless --compare-steps says otherwise.
  b) throughput: the blog nets at 96x96, batch 16, for --steps updates on
     synthetic face-like pictures, with the device's own random numbers (as
     training does); reports the warm-up (first WARMUP steps: CuPy compiles
     its kernels then) and steps/s after it. Stops early after --max-seconds.
  c) a 10x10 grid of G's samples after (b): OUT/samples_10x10.png.
  d) a JSON summary, printed last (one line after 'SUMMARY ') and written to
     OUT/summary.json; the per-step losses of (a) go to OUT/compare_losses.json.

OUT is --out, else $OUT, else ./gpu_check_out. Exit status: 0 when every
check passed, 1 when one failed (see "failed" in the summary), 2 when the
device cannot be used (one line on stderr).
"""
import argparse
import contextlib
import copy
import json
import math
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import began  # noqa: E402,F401  (began.compat runs before chainer is imported)
from began import compat  # noqa: E402

import chainer  # noqa: E402
import numpy  # noqa: E402

import began.updater  # noqa: E402
from began.nets import sampling  # noqa: E402
from began.pictures import grids  # noqa: E402
from began.config import Config  # noqa: E402
from began.device import get_device  # noqa: E402
from began.errors import BeganError  # noqa: E402
from began.data.mixture import MixtureIterator  # noqa: E402
from began.nets import build_models  # noqa: E402
from began.rng import derive_seed  # noqa: E402
from began.training.trainer import make_optimizer  # noqa: E402
from began.updater import BeganUpdater  # noqa: E402

LOSSES = ('loss_real', 'loss_fake', 'loss_d', 'loss_g')
# Copies of the experiments' presets (train_gaussian_mixture/train.py and
# train_animeface/train.py), so this script imports neither.
MIXTURE = dict(arch='mlp', dataset='mixture', n_z=256, n_h=128, hidden=64, noise_std=0.1,
               weight_std=0.0, lr=1e-4, beta1=0.9, batch_size=16, updates_per_epoch=500)
BLOG = dict(arch='blog', dataset='toyfaces', n_z=50, n_h=2048, noise_std=0.3,
            weight_std=0.01, lr=1e-4, beta1=0.5, batch_size=16)
COMPARE_STEPS, EARLY, RTOL, WARMUP = 20, 5, 1e-3, 5


# --- data -------------------------------------------------------------------

def face_like_images(n, size, seed):
    """(n, 3, size, size) uint8: a disk of skin colour with two dark eyes on a
    plain background -- enough structure for G to learn something visible."""
    rs = numpy.random.RandomState(seed)
    t = (numpy.arange(size, dtype=numpy.float32) + 0.5) / size
    y, x = t[None, :, None], t[None, None, :]

    def disk(cy, cx, r):
        return ((y - cy[:, None, None]) ** 2 + (x - cx[:, None, None]) ** 2
                <= (r ** 2)[:, None, None])

    cy, cx, r = rs.uniform(0.45, 0.55, n), rs.uniform(0.4, 0.6, n), rs.uniform(0.28, 0.38, n)
    eye_dy, eye_dx, eye_r = 0.25 * r, 0.4 * r, 0.12 * r
    background = rs.uniform(0, 255, (n, 3))
    skin = rs.uniform(150, 255, (n, 3)) * numpy.array([1.0, 0.8, 0.65])
    eyes = disk(cy - eye_dy, cx - eye_dx, eye_r) | disk(cy - eye_dy, cx + eye_dx, eye_r)
    face = disk(cy, cx, r) & ~eyes
    images = numpy.where(face[:, None], skin[:, :, None, None],
                         background[:, :, None, None] * (~eyes[:, None]))
    images = images + rs.normal(0, 6, images.shape)
    return numpy.clip(images, 0, 255).astype(numpy.uint8)


def make_iterator(config, seed):
    if config.arch == 'mlp':
        return MixtureIterator(config.batch_size, config.updates_per_epoch, seed)
    images = face_like_images(max(64, 4 * config.batch_size), config.image_size, seed)
    return chainer.iterators.SerialIterator(images, config.batch_size, shuffle=False)


# --- the same random numbers on every device ----------------------------------

class HostRandomState:
    """The draws of numpy.random.RandomState(seed), sent to ``device``."""

    def __init__(self, seed, device):
        self.rs, self.device = numpy.random.RandomState(seed), device

    def uniform(self, *args, **kwargs):
        return self.device.send(self.rs.uniform(*args, **kwargs))

    def normal(self, *args, **kwargs):
        return self.device.send(self.rs.normal(*args, **kwargs))


@contextlib.contextmanager
def host_random_numbers(device):
    """Make the updater draw z and noise with NumPy, whatever its device."""
    original = began.updater.random_state

    def random_state(xp, seed, stream, *keys):
        return HostRandomState(derive_seed(seed, stream, *keys), device)
    began.updater.random_state = random_state
    try:
        yield
    finally:
        began.updater.random_state = original


# --- training ---------------------------------------------------------------

def fresh_models(config, seed):
    """G and D on the CPU, initialised from ``seed`` (Chainer's initialisers
    draw from NumPy's global generator)."""
    numpy.random.seed(seed)
    return build_models(config)


def train(config, gen, dis, device, steps, seed, max_seconds=None):
    """Up to ``steps`` updates; (losses per step, seconds per step, updater)."""
    updater = BeganUpdater(make_iterator(config, seed), make_optimizer(config, gen),
                           make_optimizer(config, dis), config, device=device)
    losses, seconds = [], []
    start = time.perf_counter()
    for _ in range(steps):
        observation = {}
        t0 = time.perf_counter()
        with chainer.Reporter().scope(observation):
            updater.update()  # reports floats: the step has finished on the device
        seconds.append(time.perf_counter() - t0)
        losses.append({k: float(observation[k]) for k in LOSSES})
        if max_seconds and time.perf_counter() - start > max_seconds:
            break
    return losses, seconds, updater


def compare(name, config, device, steps, seed):
    """The same run on the CPU and on ``device``; differences per loss."""
    gen, dis = fresh_models(config, seed)
    runs = {}
    for where, dev in (('cpu', chainer.get_device('@numpy')), ('device', device)):
        g, d = copy.deepcopy(gen), copy.deepcopy(dis)  # the updater moves them
        with host_random_numbers(dev):
            runs[where], _, _ = train(config, g, d, dev, steps, seed)
    report = {}
    for key in LOSSES:
        a = numpy.array([s[key] for s in runs['cpu']])
        b = numpy.array([s[key] for s in runs['device']])
        rel = numpy.abs(a - b) / numpy.maximum(numpy.abs(a), 1e-8)
        report[key] = {'max_abs_diff': float(numpy.abs(a - b).max()),
                       'max_rel_diff_early': float(rel[:EARLY].max()),
                       'max_rel_diff': float(rel.max()),
                       'first_cpu': float(a[0]), 'last_cpu': float(a[-1]),
                       'last_device': float(b[-1])}
    finite = all(math.isfinite(s[k]) for run in runs.values() for s in run for k in LOSSES)
    worst = max(r['max_rel_diff_early'] for r in report.values())
    ok = finite and worst <= (0.0 if device.xp is numpy else RTOL)
    return {'steps': steps, 'ok': ok, 'finite': finite, 'worst_rel_diff_early': worst,
            'losses': report}, runs


# --- the environment ----------------------------------------------------------

def environment(device):
    info = {'python': platform.python_version(), 'numpy': numpy.__version__,
            'chainer': chainer.__version__, 'compat_patched': compat.PATCHED,
            'device': str(device)}
    cuda = chainer.backends.cuda
    if device.xp is not numpy:
        import cupy
        runtime = cupy.cuda.runtime
        props = runtime.getDeviceProperties(device.device.id)
        info.update(
            cupy=cupy.__version__, cuda_runtime=runtime.runtimeGetVersion(),
            cuda_driver=runtime.driverGetVersion(),
            gpu=props['name'].decode() if isinstance(props['name'], bytes) else props['name'],
            chainer_cudnn=bool(cuda.cudnn_enabled),
            chainer_cudnn_missing=None if cuda.cudnn_enabled else
            str(cuda._resolution_error).strip().splitlines()[0] if cuda._resolution_error
            else 'disabled')
    return info


def memory(device):
    if device.xp is numpy:
        return {}
    import cupy
    pool = cupy.get_default_memory_pool()
    return {'gpu_pool_used_mib': round(pool.used_bytes() / 2 ** 20, 1),
            'gpu_pool_total_mib': round(pool.total_bytes() / 2 ** 20, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--gpu', type=int, default=0, help='CuPy device (default: 0)')
    parser.add_argument('--cpu-only', action='store_true',
                        help='run everything on the CPU (a smoke test without CuPy)')
    parser.add_argument('--steps', type=int, default=300,
                        help='updates of the 96x96 throughput run (default: 300)')
    parser.add_argument('--compare-steps', type=int, default=None,
                        help=f'updates of each CPU/GPU comparison (default: {COMPARE_STEPS}; '
                             f'with --cpu-only {EARLY})')
    parser.add_argument('--size', type=int, default=96, help='throughput image side (96)')
    parser.add_argument('--max-seconds', type=float, default=240,
                        help='stop the throughput run after this long (default: 240)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=os.environ.get('OUT') or 'gpu_check_out',
                        help='output folder (default: $OUT, else ./gpu_check_out)')
    args = parser.parse_args(argv)
    if args.compare_steps is None:
        args.compare_steps = EARLY if args.cpu_only else COMPARE_STEPS
    if min(args.steps, args.compare_steps) < 1:
        parser.error('--steps and --compare-steps must be >= 1')
    started = time.perf_counter()
    try:
        device = get_device(-1 if args.cpu_only else args.gpu)
    except BeganError as e:
        sys.stderr.write(f'error: {e}\n')
        return 2
    os.makedirs(args.out, exist_ok=True)
    summary = {'environment': environment(device)}
    print(json.dumps(summary['environment']), flush=True)

    # a) the same steps on the CPU and on the device
    experiments = {'mixture_mlp': Config(**MIXTURE),
                   'blog_32': Config(**BLOG, image_size=32)}
    summary['compare'], per_step = {}, {}
    for name, config in experiments.items():
        t0 = time.perf_counter()
        result, per_step[name] = compare(name, config.validate(), device,
                                         args.compare_steps, args.seed)
        result['seconds'] = round(time.perf_counter() - t0, 1)
        summary['compare'][name] = result
        print(f'compare {name}: ok={result["ok"]} worst early rel diff '
              f'{result["worst_rel_diff_early"]:.2e} ({result["seconds"]} s)', flush=True)
        for key, r in result['losses'].items():
            print(f'  {key:9s} max abs diff {r["max_abs_diff"]:.3e}  rel early '
                  f'{r["max_rel_diff_early"]:.3e}  rel all {r["max_rel_diff"]:.3e}  '
                  f'cpu {r["first_cpu"]:.5f} -> {r["last_cpu"]:.5f}  '
                  f'device -> {r["last_device"]:.5f}', flush=True)
    with open(os.path.join(args.out, 'compare_losses.json'), 'w') as f:
        json.dump(per_step, f, indent=1)

    # b) throughput at the post's size, with the device's own random numbers
    config = Config(**BLOG, image_size=args.size).validate()
    gen, dis = fresh_models(config, args.seed)
    losses, seconds, updater = train(config, gen, dis, device, args.steps, args.seed,
                                     args.max_seconds)
    # Short runs count only their first step as warm-up.
    warmup = WARMUP if len(seconds) > 2 * WARMUP else min(1, len(seconds) - 1)
    warm, timed = seconds[:warmup], seconds[warmup:]
    finite = all(math.isfinite(s[k]) for s in losses for k in LOSSES)
    summary['throughput'] = {
        'image_size': args.size, 'batch_size': config.batch_size, 'steps': len(losses),
        'warmup_steps': len(warm), 'warmup_s': round(sum(warm), 2),
        'steps_per_s': round(len(timed) / sum(timed), 3),
        'images_per_s': round(config.batch_size * len(timed) / sum(timed), 1),
        'finite': finite, 'first': losses[0], 'last': losses[-1], **memory(device)}
    print(f'throughput {args.size}x{args.size} batch {config.batch_size}: '
          f'{summary["throughput"]["steps_per_s"]} steps/s over {len(timed)} steps '
          f'(warm-up {summary["throughput"]["warmup_s"]} s), losses finite: {finite}',
          flush=True)

    # c) a 10x10 grid of samples from the trained G
    z = sampling.fixed_z(config, 100)
    pictures = grids.to_uint8_images(sampling.generate(updater.generator, z, batch_size=50))
    grid_path = grids.save_png(grids.tile(pictures, 10, 10),
                               os.path.join(args.out, 'samples_10x10.png'))
    summary['grid'] = os.path.abspath(grid_path)

    # d) the summary
    failed = [f'compare {name}' for name, r in summary['compare'].items() if not r['ok']]
    failed += [] if finite else ['throughput losses not finite']
    summary.update(failed=failed, ok=not failed,
                   total_s=round(time.perf_counter() - started, 1))
    with open(os.path.join(args.out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    brief = {'ok': summary['ok'], 'failed': failed, 'device': str(device),
             'env': {k: v for k, v in summary['environment'].items() if k != 'device'},
             'compare': {n: {'ok': r['ok'], 'worst_rel_diff_early': r['worst_rel_diff_early'],
                             'max_abs_diff': {k: v['max_abs_diff']
                                              for k, v in r['losses'].items()}}
                         for n, r in summary['compare'].items()},
             'throughput': {k: summary['throughput'][k] for k in
                            ('image_size', 'steps', 'steps_per_s', 'images_per_s',
                             'warmup_s', 'finite')},
             'grid': summary['grid'], 'total_s': summary['total_s']}
    print('SUMMARY ' + json.dumps(brief), flush=True)
    return 0 if summary['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
