"""This project's BEGAN training step against a PyTorch reference of the
same networks and the same step, on the CPU (a benchmark, not a test).

    benchmarks/setup_torch_venv            # once: PyTorch in its own .venv-torch
    flock /tmp/began-cpu.lock python benchmarks/bench_vs_torch.py \\
        --out benchmarks/results/vs_torch.md

Two worker processes, one per side (vs_torch/chainer_worker.py in this
project's venv, vs_torch/torch_worker.py in .venv-torch), each limited to the
same number of threads, are driven alternately by this one (A/B interleaved:
the order flips every repeat), so both see the same machine load. PyTorch
starts from the Chainer nets' initial weights, after checking that it
computes the same outputs from them. Reported: the median seconds a step
(and the range) of each, their ratio, the matrix-product FLOPs of a step
that wastes no work, the share of this machine's measured sgemm speed each
reaches, and each worker's peak memory (resident, libraries included).
Cases: the post's 96x96 nets with k_t > 0 and with k_t = 0 (no weight
gradient from D's fake branch needed), the demo's 48x48, and the mixture
experiment's updates per second. BEGAN_FAST_CPU=0 in the environment runs
this project's side on Chainer's own kernels; --threads 1 compares one
thread a side (steadier on a busy machine); --openblas-coretype SkylakeX
gives NumPy's OpenBLAS its AVX-512 kernels; --project DIR runs this
project's side from another checkout, e.g. an older commit's for a
'before' table:

    mkdir /tmp/base && git archive COMMIT | tar -x -C /tmp/base
    python benchmarks/bench_vs_torch.py --project /tmp/base --out before.md
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

from began.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

WORKERS = os.path.join(HERE, 'vs_torch')
K = 0.05  # a k_t > 0 held fixed, so every step does the same work


def preset(path):
    """An experiment's PRESET, read from its train.py."""
    namespace = {}
    with open(os.path.join(ROOT, path)) as f:
        source = f.read()
    start = source.index('PRESET = dict(')
    exec(source[start:source.index(')\n', start) + 2], namespace)
    return namespace['PRESET']


def cases(args):
    faces = dict(preset('train_animeface/train.py'), experiment='animeface',
                 dataset='toyfaces', num_images=64)
    mixture = dict(preset('train_gaussian_mixture/train.py'), experiment='gaussian_mixture')
    table = {
        '96': ('96x96, k_t > 0', dict(faces, image_size=96), K, args.steps),
        '96k0': ('96x96, k_t = 0', dict(faces, image_size=96), 0.0, args.steps),
        '48': ('48x48 (the demo), k_t > 0', dict(faces, image_size=48), K, 3 * args.steps),
        'mixture': ('8 Gaussians (MLPs), k_t > 0', mixture, K, args.mixture_steps),
    }
    for name in args.cases:
        title, config, k, steps = table[name]
        yield name, title, Config(**config).validate().to_dict(), k, steps


class Worker:
    def __init__(self, side, python, threads, extra_env=()):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
                   OPENBLAS_NUM_THREADS=str(threads), MPLBACKEND='Agg', **dict(extra_env))
        script = os.path.join(WORKERS, f'{side}_worker.py')
        self.side = side
        self.process = subprocess.Popen([python, script], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env,
                                        cwd=WORKERS)

    def ask(self, cmd, **kwargs):
        self.process.stdin.write(json.dumps(dict(kwargs, cmd=cmd)) + '\n')
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            sys.exit(f'error: the {self.side} worker stopped (see its messages above)')
        return json.loads(line)

    def close(self):
        self.ask('quit')
        self.process.wait()


def measure_case(args, title, config, k, steps, sgemm):
    extra = {'OPENBLAS_CORETYPE': args.openblas_coretype} if args.openblas_coretype else {}
    if args.project:  # its began before the one installed in this venv
        extra['PYTHONPATH'] = os.path.abspath(args.project)
    # args.gpu (benchmarks/gpu_check.py): both sides on that GPU.
    gpu = getattr(args, 'gpu', -1)
    on = ({}, {}) if gpu < 0 else ({'device': f'@cupy:{gpu}'}, {'device': f'cuda:{gpu}'})
    workers = {'chainer': Worker('chainer', sys.executable, args.threads, extra),
               'torch': Worker('torch', args.torch_python, args.threads)}
    try:
        if not sgemm:
            for side, w in workers.items():
                answer = w.ask('sgemm')
                sgemm[side], sgemm[side + '_kernels'] = answer['gflops'], answer.get('kernels')
        built = workers['chainer'].ask('build', config=config, k=k, **on[0])
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'start.npz')
            workers['chainer'].ask('dump', path=path)
            check = workers['torch'].ask('build', config=config, k=k, weights=path, **on[1])
        if check['max_abs_diff'] > 1e-3:
            sys.exit(f'error: {title}: the PyTorch nets compute other outputs than the '
                     f'Chainer nets (relative difference {check["max_abs_diff"]:.2g})')
        flops = workers['chainer'].ask('flops')
        seconds = {side: [] for side in workers}
        for w in workers.values():  # warm-up: the heap grows for the first steps
            w.ask('steps', n=max(3, steps // 2))
        for repeat in range(args.repeats):
            order = list(workers) if repeat % 2 == 0 else list(workers)[::-1]
            for side in order:
                time.sleep(0.2)  # let the other side's idle threads go to sleep
                seconds[side].append(workers[side].ask('steps', n=steps)['seconds'] / steps)
        peak = {side: w.ask('peak')['peak_mib'] for side, w in workers.items()}
    finally:
        for w in workers.values():
            w.close()
    print(f'{title}: ' + ', '.join(f'{s} {statistics.median(v):.4f} s/step' for s, v in
                                   seconds.items()) + f' (check {check["max_abs_diff"]:.1e})',
          flush=True)
    return dict(title=title, seconds=seconds, peak=peak, flops=flops['step_flops'],
                check=check['max_abs_diff'], fast_cpu=built['fast_cpu'],
                torch=check['torch'], threads=check['threads'], steps=steps)


class OtherLoad:
    """How busy the CPUs were with other processes than these workers while
    measuring (a mean over cores: 0 = idle, 1 = all cores busy), from
    /proc/stat and the workers' own CPU time. Anything above ~0.05 makes the
    absolute numbers too slow, the ratios less so (A/B interleaving)."""

    def __enter__(self):
        self.start = self.busy(), time.monotonic(), os.times()
        return self

    def __exit__(self, *exc):
        busy, now, times = self.busy(), time.monotonic(), os.times()
        ours = sum(b - a for a, b in zip(self.start[2][:4], times[:4]))
        cores = os.cpu_count()
        self.value = max(0.0, (busy - self.start[0] - ours) / ((now - self.start[1]) * cores))

    @staticmethod
    def busy():
        try:
            with open('/proc/stat') as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except OSError:
            return 0.0
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf('SC_CLK_TCK')


def cpu_name():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def spread(values, scale=1.0, digits=3):
    m = statistics.median(values) * scale
    return f'{m:.{digits}f} ({min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f})'


def markdown(args, results, sgemm, other_load):
    import chainer
    import numpy
    first = results[0]
    lines = [
        "# This project's BEGAN step vs PyTorch's, on the CPU",
        '',
        f'`python benchmarks/bench_vs_torch.py` ({datetime.date.today()}): {cpu_name()}, '
        f'{os.cpu_count()} cores, {args.threads} threads a side; Chainer {chainer.__version__}, '
        f'NumPy {numpy.__version__} vs PyTorch {first["torch"]}; this project\'s fast CPU '
        f'kernels: {fast_cpu_text(first["fast_cpu"])}. Batch 16, median of {args.repeats} '
        f'interleaved repeats (range in brackets). Other processes kept '
        f'{100 * other_load:.0f}% of the CPUs busy meanwhile.',
        f'sgemm (2048^2 float32): NumPy/OpenBLAS {sgemm["chainer"]:.0f} GFLOP/s '
        f'({sgemm.get("chainer_kernels") or "its own choice of"} kernels), PyTorch '
        f'{sgemm["torch"]:.0f} GFLOP/s; the floor is a step\'s FLOPs at the NumPy speed.',
        '',
        '| case | this project, s/step | PyTorch, s/step | PyTorch / this | GFLOP a step '
        '| floor, s | this, % of sgemm | PyTorch, % of sgemm | peak MiB, this / PyTorch |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ]
    for r in results:
        ours, theirs = (statistics.median(r['seconds'][s]) for s in ('chainer', 'torch'))
        gflop = r['flops'] / 1e9
        floor = gflop / sgemm['chainer']
        mixture = r['title'].startswith('8 Gaussians')
        cells = ([f'{1 / v:,.0f} updates/s' for v in (ours, theirs)] if mixture else
                 [spread(r['seconds'][s]) for s in ('chainer', 'torch')])
        lines.append(
            f'| {r["title"]} | {cells[0]} | {cells[1]} | {theirs / ours:.2f} | '
            f'{gflop:.3g} | {floor:.3g} | {100 * floor / ours:.0f}% | '
            f'{100 * floor / theirs:.0f}% | {r["peak"]["chainer"]:.0f} / '
            f'{r["peak"]["torch"]:.0f} |')
    lines += ['', 'PyTorch / this > 1: this project is faster. Each PyTorch net computed '
              'the Chainer net\'s outputs from the same weights to a relative '
              f'{max(r["check"] for r in results):.0e} or better.', '']
    return '\n'.join(lines)


def fast_cpu_text(flag):
    return {None: 'none (Chainer\'s own)', True: 'on', False: 'off (Chainer\'s own)'}[flag]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=os.path.join(HERE, 'results', 'vs_torch.md'),
                        help='markdown table to write (default: %(default)s)')
    parser.add_argument('--cases', nargs='*', default=['96', '96k0', '48', 'mixture'],
                        choices=['96', '96k0', '48', 'mixture'])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--steps', type=int, default=2,
                        help='steps a repeat at 96x96 (x3 at 48x48)')
    parser.add_argument('--mixture-steps', type=int, default=200)
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    parser.add_argument('--openblas-coretype', default=None, metavar='NAME',
                        help="OPENBLAS_CORETYPE for this project's side (e.g. SkylakeX: "
                             "OpenBLAS's AVX-512 kernels; default: as the environment says)")
    parser.add_argument('--project', default=None, metavar='DIR',
                        help="run this project's side from another checkout (e.g. an older "
                             "commit's, for a 'before' table)")
    parser.add_argument('--torch-python', default=os.path.join(ROOT, '.venv-torch', 'bin',
                                                               'python'),
                        help='python of the PyTorch venv (benchmarks/setup_torch_venv)')
    args = parser.parse_args()
    if not os.path.exists(args.torch_python):
        sys.exit(f'error: no PyTorch venv at {args.torch_python}; run '
                 f'benchmarks/setup_torch_venv first')
    sgemm, results = {}, []
    with OtherLoad() as load:
        for _, title, config, k, steps in cases(args):
            results.append(measure_case(args, title, config, k, steps, sgemm))
    text = markdown(args, results, sgemm, load.value)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
