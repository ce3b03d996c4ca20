"""One process against N processes with 1/N of the batch each (CPU): seconds
per BEGAN update of the same global batch (not a test).

    flock /tmp/began-cpu.lock python benchmarks/bench_parallel.py mixture
    flock /tmp/began-cpu.lock python benchmarks/bench_parallel.py faces48 faces96
    flock /tmp/began-cpu.lock python benchmarks/bench_parallel.py mixture mixture_covering

Each case runs `python` (default threads) and `mpiexec -n N python` (1
BLAS/OpenMP thread a process) in turn, --repeats times (interleaved), and
reports the medians. A run times updater.update() alone (no pictures, no
snapshots) after warm-up steps, with the experiment's own networks and
batch 16; in N processes it is process 0's wall time, waits included.
"""
import argparse
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')

# case: (experiment script, Config changes, warm-up updates, timed updates);
# the changes' 'preset' names one of the script's PRESETS.
CASES = {
    'mixture': ('train_gaussian_mixture/train.py', {}, 20, 500),
    # --preset covering: the coverage terms on the whole batch, gathered.
    'mixture_covering': ('train_gaussian_mixture/train.py', dict(preset='covering'), 10, 100),
    'faces48': ('train_animeface/train.py', dict(dataset='toyfaces', image_size=48,
                                                 num_images=64), 3, 20),
    'faces96': ('train_animeface/train.py', dict(dataset='toyfaces', image_size=96,
                                                 num_images=64), 2, 6),
    # The BEGAN paper's nets (--arch paper): convolutions, few parameters, no BN.
    'paper64': ('train_animeface/train.py', dict(dataset='toyfaces', arch='paper',
                                                 image_size=64, num_images=64, n_z=64,
                                                 n_h=64, hidden=64, weight_std=0.0), 2, 6),
}


def worker(case):
    """One run (in each of the processes under mpiexec): prints s/update."""
    import chainer
    from began.config import Config
    from began.device import get_device
    from began.nets import build_models
    from began.training import parallel
    from began.training.trainer import build_trainer
    script, changes, warm, timed = CASES[case]
    experiment = runpy.run_path(os.path.join(ROOT, script))
    name = 'gaussian_mixture' if 'mixture' in script else 'animeface'
    changes = dict(changes)
    preset = experiment['PRESETS'][changes.pop('preset')] if 'preset' in changes else {}
    config = Config(**dict(experiment['PRESET'], experiment=name, **preset,
                           **changes)).validate()
    group = parallel.start()
    device = get_device(-1)
    group.connect(device, config)
    chainer.config.type_check = False
    gen, dis = group.synchronise(*build_models(config))
    iterator, _ = experiment['make_data'](config)
    with tempfile.TemporaryDirectory() as out:
        trainer = build_trainer(config, iterator, gen, dis, device, os.path.join(out, 'm'),
                                os.path.join(out, 'p'), progress=False, group=group)
        group.begin(trainer)
        for _ in range(warm):
            trainer.updater.update()
        times = []
        for _ in range(timed):
            start = time.perf_counter()
            trainer.updater.update()
            times.append(time.perf_counter() - start)
    if group.is_root:
        print(f'SECONDS {statistics.median(times):.6f}', flush=True)


def measure(case, processes):
    one_thread = {name: '1' for name in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS',
                                         'MKL_NUM_THREADS')}
    command = [sys.executable, os.path.abspath(__file__), '--worker', case]
    env = dict(os.environ)
    if processes > 1:
        mpiexec = os.path.join(os.path.dirname(sys.executable), 'mpiexec')
        command = [mpiexec, '-n', str(processes)] + command
        env.update(one_thread)
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    line = [line for line in result.stdout.splitlines() if line.startswith('SECONDS')][0]
    return float(line.split()[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('cases', nargs='*', metavar='CASE',
                        help=f'of {", ".join(sorted(CASES))} (default: all)')
    parser.add_argument('--processes', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--worker', choices=sorted(CASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker)
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f'unknown case(s) {", ".join(sorted(unknown))}')
    n = args.processes
    print(f'| case | 1 process (s/update) | {n} processes x batch/{n} | speed-up |')
    print('| --- | --- | --- | --- |')
    for case in args.cases or sorted(CASES):
        one, many = [], []
        for _ in range(args.repeats):
            one.append(measure(case, 1))
            many.append(measure(case, n))
        a, b = statistics.median(one), statistics.median(many)
        print(f'| {case} | {a:.4f} ({", ".join(f"{t:.4f}" for t in one)}) '
              f'| {b:.4f} ({", ".join(f"{t:.4f}" for t in many)}) | {a / b:.2f}x |',
              flush=True)


if __name__ == '__main__':
    main()
