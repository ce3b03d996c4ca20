"""Mode coverage of BEGAN on the built-in toy faces (not a test).

    python benchmarks/face_coverage.py                          # the post's configuration
    python benchmarks/face_coverage.py --preset covering        # the covering one
    python benchmarks/face_coverage.py --name mine -- --code-matching 1   # any train.py options

One run of train_animeface/train.py on 10,000 toy faces (8 hair x 6 eye
colours = 48 modes) at 32x32 (the post's configuration: 2,500 updates, 4
epochs of 625, unless --epochs; a preset: its own run length), then the face
score of its last epoch (10,000 samples): face_modes (of 48 with a clean
reading), face_clean (% of faces whose hair and eye colour read cleanly),
face_kl (KL of the generated mode histogram to the true one). Writes
RESULTS/NAME/{result.json, table.md, samples.png} (NAME: --name, or the
preset) and RESULTS/table.md: the real toy faces' own scores first, then
every configuration in RESULTS. Ctrl-C (or SIGTERM) stops the training
after its update in progress, with a snapshot; the same command continues
it (as it continues a run that was cut off, from its last snapshot).
"""
import argparse
import glob
import json
import os
import shutil
import sys

from training_run import run_training

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, 'train_animeface', 'train.py')
IMAGES, SIZE = 10000, 32
POST_EPOCHS = 4
REAL = 'real.json'   # the real faces' scores, in RESULTS (computed once)
REAL_SEED = 0        # whose real faces the table's first row scores, whatever the runs' seeds


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', default='post',
                        help="train.py's --preset (default: %(default)s)")
    parser.add_argument('--name', help='results folder name (default: the preset)')
    parser.add_argument('--epochs', type=int, default=None,
                        help=f'epochs of {IMAGES // 16} updates (default: {POST_EPOCHS} for the '
                             f"post's configuration, a preset's own otherwise)")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--images', type=int, default=IMAGES,
                        help='toy faces to train on (default: %(default)s)')
    parser.add_argument('--score-samples', type=int, default=10000,
                        help='generated faces scored at the end (default: %(default)s)')
    parser.add_argument('--results', default=os.path.join(ROOT, 'benchmarks', 'results',
                                                          'face_coverage'))
    parser.add_argument('--work', default=os.path.join(ROOT, 'benchmarks', 'work', 'faces'))
    parser.add_argument('extra', nargs='*', help='train.py options, after --')
    args = parser.parse_args(argv)
    args.name = args.name or args.preset
    if args.epochs is None and args.preset == 'post':
        args.epochs = POST_EPOCHS
    return args


def train(args, model_dir, plot_dir, log_path):
    """Train (or continue) the run; its train.py options."""
    preset = [] if args.preset == 'post' else ['--preset', args.preset]
    length = [] if args.epochs is None else ['--epochs', str(args.epochs),
                                             '--plot-interval', str(args.epochs)]
    options = [*preset, '--dataset', 'toyfaces', '--num-images', str(args.images),
               '--size', str(SIZE), *length, '--score-samples', str(args.score_samples),
               '--seed', str(args.seed), *args.extra]
    command = [sys.executable, TRAIN, *options, '--no-progress', '--no-early-check',
               '--model-dir', model_dir, '--plot-dir', plot_dir]
    if glob.glob(os.path.join(model_dir, 'snapshot_iter_*.npz')):
        command.append('--resume')
    with open(log_path, 'a') as log:
        status = run_training(command, log)
    if status != 0:
        sys.exit(f'error: training failed (status {status}); see {log_path}')
    return options


def real_scores(args):
    """The face score of the real toy faces a seed-0 run trains on (as many
    as the runs' samples scored): what a perfect G would get. Each seed draws
    its own faces; one seed's stand for all, so that a run of another seed
    leaves the table's first row as it was."""
    path = os.path.join(args.results, REAL)
    key = dict(images=args.images, size=SIZE, seed=REAL_SEED)
    if os.path.isfile(path):
        with open(path) as f:
            saved = json.load(f)
        if saved.get('of') == key:
            return saved
    from began.data.toyfaces import make_toyfaces
    from began.metrics.face_modes import report
    images, _ = make_toyfaces(min(args.images, args.score_samples), SIZE, REAL_SEED)
    scores = dict(report(images), of=key)
    with open(path, 'w') as f:
        json.dump(scores, f, indent=2)
    return scores


def scores(r):
    """face_modes | face_clean | face_kl, as table cells."""
    kl = r.get('face_kl')
    return f'{r["face_modes"]:.0f} | {r["face_clean"]:.1f} | {"n/a" if kl is None else f"{kl:.3f}"}'



def beyond_the_data(options):
    """A run's train.py options without those that name its data and score."""
    kept, it = [], iter(options)
    for option in it:
        if option in ('--dataset', '--size', '--num-images', '--score-samples'):
            next(it, None)
        else:
            kept.append(option)
    return kept


def write_table(args):
    """RESULTS/table.md: the real faces, then every configuration run here
    (the post's first, then the covering preset, then the others by name)."""
    real = real_scores(args)
    names = sorted((os.path.basename(os.path.dirname(p))
                    for p in glob.glob(os.path.join(args.results, '*', 'result.json'))),
                   key=lambda n: ({'post': 0, 'covering': 1}.get(n, 2), n))
    lines = [f'# Toy faces, {SIZE}x{SIZE}: mode coverage', '',
             f'BEGAN (`train_animeface/train.py`) on {args.images} toy faces (48 modes: 8 hair '
             f'x 6 eye colours); the score of 10,000 samples of G at the end of each run. '
             f'The first row scores {min(args.images, args.score_samples)} of the real faces '
             f'themselves (seed {REAL_SEED}\'s): what a G that draws the data would score.', '',
             '| configuration | updates | face_modes (of 48) | face_clean % | face_kl | '
             'options (on top of the data) | samples |',
             '|---|---|---|---|---|---|---|',
             f'| the real toy faces | | {scores(real)} | | |']
    for name in names:
        with open(os.path.join(args.results, name, 'result.json')) as f:
            r = json.load(f)
        options = ' '.join(beyond_the_data(r['options']))
        lines.append(f'| `{name}` | {r["iteration"]} | {scores(r)} | `{options}` | '
                     f'[{name}/samples.png]({name}/samples.png) |')
    with open(os.path.join(args.results, 'table.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    work, out = os.path.join(args.work, args.name), os.path.join(args.results, args.name)
    model_dir, plot_dir = os.path.join(work, 'model'), os.path.join(work, 'plot')
    os.makedirs(model_dir, exist_ok=True)
    options = train(args, model_dir, plot_dir, os.path.join(work, 'train.out'))
    os.makedirs(out, exist_ok=True)   # only for a run that trained: no empty results folder
    with open(os.path.join(model_dir, 'log')) as f:
        last = json.load(f)[-1]
    with open(os.path.join(model_dir, 'model.json')) as f:
        epochs = json.load(f)['epochs']
    result = {key: last.get(key) for key in ('iteration', 'face_modes', 'face_clean', 'face_kl',
                                             'k', 'loss_real', 'loss_fake', 'speckle')}
    result['options'] = options
    with open(os.path.join(out, 'result.json'), 'w') as f:
        json.dump(result, f, indent=2)
    shutil.copy(os.path.join(plot_dir, f'samples_epoch_{epochs}.png'),
                os.path.join(out, 'samples.png'))
    with open(os.path.join(out, 'table.md'), 'w') as f:
        f.write(f'# Toy faces, {SIZE}x{SIZE}: `{args.name}`\n\n'
                f'`train_animeface/train.py {" ".join(options)}`\n\n'
                '| updates | face_modes (of 48) | face_clean % | face_kl | k at the end |\n'
                '|---|---|---|---|---|\n'
                f'| {result["iteration"]} | {scores(result)} | {result["k"]:.4f} |\n\n'
                'Samples of the last epoch: samples.png\n')
    write_table(args)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
