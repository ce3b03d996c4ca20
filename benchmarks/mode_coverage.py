"""Mode coverage of BEGAN on three 2-D toys, over several seeds (not a test).

    python benchmarks/mode_coverage.py                       # the post's configuration
    python benchmarks/mode_coverage.py --preset covering     # the covering one
    python benchmarks/mode_coverage.py --quick               # a first look (1 seed, short)
    python benchmarks/mode_coverage.py --name try1 -- --pull-away 0.1   # any train.py options

Toys: (a) the post's ring (8 modes, radius 2, std 0.04), (b) VEEGAN's ring
(radius 1, std 0.01), (c) the grid of 25 (centres {-4,-2,0,2,4}^2, std 0.05).
Each run is train_gaussian_mixture/train.py in its own process; then 2,500
samples of G are scored as VEEGAN and PacGAN do (modes captured, % high
quality within 3 std of a mode) with the KL between the generated and true
mode histograms. Each finished run is one line of RESULTS/runs.jsonl, written
as it ends; a sweep that is cut off continues where it stopped (a cut run
resumes from its snapshot; Ctrl-C stops the training in progress with one).
RESULTS/table.md (mean and spread over seeds, published rows beside) and
RESULTS/scatter.png are rewritten after each run.
RESULTS is benchmarks/results/mode_coverage/NAME (NAME: the preset, or --name).
The same command in a second terminal uses a second core: each run is
claimed by one process (a lock that ends with it), the other takes the next.
"""
import argparse
import contextlib
import fcntl
import json
import math
import os
import sys
import time

import numpy

from training_run import run_training

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, 'train_gaussian_mixture', 'train.py')
TOYS = {  # name: (caption, train.py options)
    'post': ('ring of 8, radius 2, std 0.04 (the post)',
             ['--mixture', 'ring', '--num-mixture', '8', '--mixture-radius', '2',
              '--mixture-std', '0.04']),
    'veegan': ('ring of 8, radius 1, std 0.01 (VEEGAN)',
               ['--mixture', 'ring', '--num-mixture', '8', '--mixture-radius', '1',
                '--mixture-std', '0.01']),
    'grid': ('grid of 25, std 0.05',
             ['--mixture', 'grid', '--num-mixture', '25', '--mixture-radius', '4',
              '--mixture-std', '0.05']),
}
# Published rows (2,500 samples; modes captured / % high quality), as
# collected in the PacGAN (Lin et al. 2018) and GDPP (Elfeki et al. 2019)
# papers; none reports an auto-encoder-discriminator GAN on these toys.
PUBLISHED = {
    'veegan': [('GAN', 1.0, 99.3), ('Unrolled GAN', 7.6, 35.6), ('VEEGAN', 8.0, 52.9),
               ('WGAN-GP', 6.8, 59.6), ('PacGAN4', 7.8, 95.9), ('GDPP', 8.0, 71.7)],
    'grid': [('VEEGAN', 24.6, 40.0), ('PacGAN4', 24.8, 93.6), ('GDPP', 24.8, 68.5)],
}
SAMPLES = 2500   # began.pictures.mixture.METRIC_POINTS, which score() draws
PERFECT_HQ = 100 * (1 - math.exp(-4.5))   # a perfect sampler: 98.9%


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', default='post',
                        help="train.py's --preset (default: %(default)s)")
    parser.add_argument('--name', help='results folder name (default: the preset)')
    parser.add_argument('--seeds', type=int, default=5, help='seeds 0..N-1 (default: 5)')
    parser.add_argument('--toys', default='post,veegan,grid',
                        help='comma-separated, of post, veegan, grid (default: all)')
    parser.add_argument('--updates', type=int, default=None,
                        help="updates a run (default: the preset's epochs x 500)")
    parser.add_argument('--quick', action='store_true',
                        help='a first look: 1 seed, 5,000 updates, results in NAME-quick')
    parser.add_argument('--results', default=os.path.join(ROOT, 'benchmarks', 'results',
                                                          'mode_coverage'),
                        help='parent folder of the results (default: %(default)s)')
    parser.add_argument('--work', default=os.path.join(ROOT, 'benchmarks', 'work'),
                        help='model directories of the runs (default: %(default)s)')
    parser.add_argument('extra', nargs='*', help='train.py options, after --')
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.updates = 1, args.updates or 5000
    args.name = (args.name or args.preset) + ('-quick' if args.quick else '')
    args.toys = args.toys.split(',')
    unknown = set(args.toys) - set(TOYS)
    if unknown:
        parser.error(f'unknown toy(s) {", ".join(sorted(unknown))}; choose of {", ".join(TOYS)}')
    return args


# --- one run ------------------------------------------------------------------

def train_command(args, toy, seed, model_dir, plot_dir, resume=None):
    preset = [] if args.preset == 'post' else ['--preset', args.preset]
    command = [sys.executable, TRAIN, *preset, *TOYS[toy][1],
               '--seed', str(seed), '--no-progress', '--no-early-check',
               '--model-dir', model_dir, '--plot-dir', plot_dir, *args.extra]
    if args.updates:
        epochs = max(1, args.updates // 500)
        command += ['--updates-per-epoch', str(args.updates // epochs), '--epochs', str(epochs),
                    '--plot-interval', str(epochs)]
    if resume is None:
        resume = any(name.startswith('snapshot_iter_') for name in os.listdir(model_dir))
    if resume:
        command.append('--resume')   # a run that was cut off continues
    return command


def score(model_dir):
    """Mode metrics of SAMPLES points of the trained G, and the points."""
    from began.pictures.mixture import scored_samples
    from began.training.model_dir import load_model_dir
    config, generator, _ = load_model_dir(model_dir, 'gaussian_mixture')
    points, metrics = scored_samples(config, generator)
    return config, metrics, points


def last_k(model_dir):
    with open(os.path.join(model_dir, 'log')) as f:
        return json.load(f)[-1]['k']


def run_one(args, toy, seed):
    work = os.path.join(args.work, args.name, f'{toy}_seed{seed}')
    model_dir, plot_dir = os.path.join(work, 'model'), os.path.join(work, 'plot')
    os.makedirs(model_dir, exist_ok=True)
    command = train_command(args, toy, seed, model_dir, plot_dir)
    start = time.time()
    with open(os.path.join(work, 'train.out'), 'a') as out:
        status = run_training(command, out)
    if status != 0:
        sys.exit(f'error: {toy} seed {seed} failed (status {status}); see '
                 f'{os.path.join(work, "train.out")}')
    config, metrics, points = score(model_dir)
    numpy.save(os.path.join(work, 'points.npy'), points)
    return dict(toy=toy, seed=seed, **metrics, k=last_k(model_dir),
                updates=config.epochs * config.updates_per_epoch,
                seconds=round(time.time() - start, 1), options=command[2:],
                config=config.to_dict())


# --- the table and the picture ---------------------------------------------------

def read_runs(path):
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def mean_sd(values, digits):
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return 'n/a'
    mean, sd = numpy.mean(values), numpy.std(values)
    return f'{mean:.{digits}f} ± {sd:.{digits}f}'


def points_path(args, run):
    """Where a run's scored samples are saved (in its work folder)."""
    return os.path.join(args.work, args.name, f'{run["toy"]}_seed{run["seed"]}', 'points.npy')


def number(value, digits):
    return 'n/a' if math.isnan(value) else f'{value:.{digits}f}'


def rescored(args, run):
    """A run recorded before the spread and well-covered columns existed,
    scored again from its saved points when its work folder still holds
    them (otherwise as it was: those columns read n/a)."""
    if 'spread' in run:
        return run
    path = points_path(args, run)
    if not os.path.isfile(path):
        return run
    from began.metrics.mixture_modes import mode_metrics
    c = run['config']
    return dict(run, **mode_metrics(numpy.load(path), c['num_mixture'], c['mixture_radius'],
                                    c['mixture_std'], c['mixture_shape']))


def table(args, runs):
    options = ' '.join(comparable(runs[0]['options'])) if runs else ''
    lines = [f'# Mode coverage: `{args.name}`', '',
             f'BEGAN, `{os.path.relpath(TRAIN, ROOT)} --preset {args.preset}'
             f'{" " + " ".join(args.extra) if args.extra else ""}`; '
             f'{SAMPLES} samples of G scored after each run; mean ± sd over seeds '
             f'(modes: also min-max). High quality: within 3 std of a mode (a perfect '
             f'sampler: {PERFECT_HQ:.1f}%). KL: KL(generated || true) of the high-quality '
             f'samples\' mode histogram (0 is perfect; n/a: no high-quality sample). '
             f'Spread: the std of the high-quality samples about their mode over the true '
             f'std (a perfect sampler: 0.97; n/a: a run scored before it was measured). '
             f'Well covered: modes holding at least a quarter of their expected share of '
             f'the samples (a line through a mode captures it, but does not cover it well).',
             '',
             '| toy | configuration | seeds | updates | modes | min-max | high quality % | KL | '
             'spread | well covered | k at the end |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for toy in args.toys:
        done = [r for r in runs if r['toy'] == toy]
        if done:
            modes = [r['modes'] for r in done]
            lines.append(
                f'| {TOYS[toy][0]} | BEGAN `{args.name}` | {len(done)} | {done[0]["updates"]} | '
                f'{mean_sd(modes, 1)} | {min(modes)}-{max(modes)} | '
                f'{mean_sd([r["high_quality"] for r in done], 1)} | '
                f'{mean_sd([r["kl"] for r in done], 2)} | '
                f'{mean_sd([r.get("spread", math.nan) for r in done], 2)} | '
                f'{mean_sd([r.get("well_covered", math.nan) for r in done], 1)} | '
                f'{mean_sd([r["k"] for r in done], 3)} |')
        for name, modes, hq in PUBLISHED.get(toy, ()):
            lines.append(f'| {TOYS[toy][0]} | {name} (published) | | | {modes} | | {hq} | | | '
                         f'| |')
    lines += ['', 'Per run:', '',
              '| toy | seed | modes | high quality % | KL | spread | well covered | k | seconds |',
              '|---|---|---|---|---|---|---|---|---|']
    for r in sorted(runs, key=lambda r: (args.toys.index(r['toy']) if r['toy'] in args.toys
                                         else 99, r['seed'])):
        lines.append(f'| {r["toy"]} | {r["seed"]} | {r["modes"]} | {r["high_quality"]:.1f} | '
                     f'{r["kl"]:.3f} | {number(r.get("spread", math.nan), 2)} | '
                     f'{r.get("well_covered", "n/a")} | {r["k"]:.3f} | {r["seconds"]} |')
    lines += ['', f'Each run: `train.py {options} --seed N`', '']
    return '\n'.join(lines)


def picture(args, runs, path):
    """One scatter panel per finished run: toys in rows, seeds in columns."""
    from matplotlib.figure import Figure
    from began.data.mixture import mode_centers
    cols = max(1, args.seeds)
    fig = Figure(figsize=(2.6 * max(cols, 3), 2.8 * len(args.toys)))
    for row, toy in enumerate(args.toys):
        for r in (r for r in runs if r['toy'] == toy and r['seed'] < cols):
            points = numpy.load(points_path(args, r))
            c = r['config']
            centers = mode_centers(c['num_mixture'], c['mixture_radius'], c['mixture_shape'])
            ax = fig.add_subplot(len(args.toys), cols, row * cols + r['seed'] + 1)
            ax.scatter(points[:, 0], points[:, 1], s=1, alpha=0.3, linewidths=0)
            ax.scatter(centers[:, 0], centers[:, 1], s=6, c='red', marker='x', linewidths=0.6)
            limit = c['mixture_radius'] * 1.5
            ax.set_xlim(-limit, limit)
            ax.set_ylim(-limit, limit)
            ax.set_aspect('equal')
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f'{toy} seed {r["seed"]}: {r["modes"]}/{c["num_mixture"]}, '
                         f'{r["high_quality"]:.1f}% HQ', fontsize=8)
    fig.suptitle(f'BEGAN {args.name}: {SAMPLES} samples of G (x: the true modes)', fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def comparable(options):
    """A run's train.py options without those naming its seed and folders."""
    kept, it = [], iter(options)
    for option in it:
        if option in ('--seed', '--model-dir', '--plot-dir'):
            next(it, None)
        elif option != '--resume':
            kept.append(option)
    return kept


def check_same_options(args, runs):
    """A results folder holds one configuration: refuse to mix in another."""
    for r in runs:
        mine = comparable(train_command(args, r['toy'], r['seed'], '', '', resume=False)[2:])
        if comparable(r['options']) != mine:
            sys.exit(f'error: {args.name} holds runs made with other options '
                     f'({" ".join(comparable(r["options"]))}); give another --name')


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out = os.path.join(args.results, args.name)
    os.makedirs(out, exist_ok=True)
    runs_path = os.path.join(out, 'runs.jsonl')
    check_same_options(args, read_runs(runs_path))
    for toy in args.toys:
        for seed in range(args.seeds):
            with claim(args, toy, seed) as mine:
                # Another sweep of the same name (a second terminal: a
                # second core) may hold this run or have finished it.
                if not mine or any(r['toy'] == toy and r['seed'] == seed
                                   for r in read_runs(runs_path)):
                    continue
                print(f'{args.name}: {toy} seed {seed} ...', flush=True)
                result = run_one(args, toy, seed)
                with open(runs_path, 'a') as f:
                    f.write(json.dumps(result) + '\n')
            print(f'  {result["modes"]} modes, {result["high_quality"]:.1f}% high quality, '
                  f'KL {result["kl"]:.3f}, k {result["k"]:.3f} ({result["seconds"]} s)',
                  flush=True)
            write_results(args, out, runs_path)
    write_results(args, out, runs_path)   # also when every run was already done
    print(f'table: {os.path.join(out, "table.md")}')


@contextlib.contextmanager
def claim(args, toy, seed):
    """Yields whether this process holds the run (toy, seed) of this sweep:
    an exclusive lock on a file in its work folder, which the system drops
    when the process ends, so a cut-off sweep leaves no stale claim."""
    os.makedirs(os.path.join(args.work, args.name), exist_ok=True)
    with open(os.path.join(args.work, args.name, f'{toy}_seed{seed}.lock'), 'w') as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def write_results(args, out, runs_path):
    runs = [rescored(args, r) for r in read_runs(runs_path) if r['toy'] in args.toys]
    if runs:
        with open(os.path.join(out, 'table.md'), 'w') as f:
            f.write(table(args, runs))
        if all(os.path.isfile(points_path(args, r)) for r in runs):
            picture(args, runs, os.path.join(out, 'scatter.png'))
        # else the work folders are gone: the picture drawn while they were
        # there stays


if __name__ == '__main__':
    main()
