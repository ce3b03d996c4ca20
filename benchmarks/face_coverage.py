"""Mode coverage of BEGAN on the built-in toy faces (not a test).

    python benchmarks/face_coverage.py                          # the post's configuration
    python benchmarks/face_coverage.py --name mine -- --code-matching 1   # any train.py options

One run of train_animeface/train.py on 10,000 toy faces (8 hair x 6 eye
colours = 48 modes) at 32x32 for a fixed number of updates (default 2,500:
4 epochs of 625), then the face score of its last epoch (10,000 samples):
face_modes (of 48 with a clean reading), face_clean (% of faces whose hair and
eye colour read cleanly), face_kl (KL of the generated mode histogram to the
true one). Writes benchmarks/results/face_coverage/NAME/{result.json, table.md,
samples.png}; a run that was cut off resumes from its snapshot.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, 'train_animeface', 'train.py')
IMAGES, SIZE = 10000, 32
UPDATES_PER_EPOCH = IMAGES // 16


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--name', default='post', help='results folder name (default: post)')
    parser.add_argument('--epochs', type=int, default=4,
                        help=f'epochs of {UPDATES_PER_EPOCH} updates (default: 4)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--results', default=os.path.join(ROOT, 'benchmarks', 'results',
                                                          'face_coverage'))
    parser.add_argument('--work', default=os.path.join(ROOT, 'benchmarks', 'work', 'faces'))
    parser.add_argument('extra', nargs='*', help='train.py options, after --')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    work, out = os.path.join(args.work, args.name), os.path.join(args.results, args.name)
    model_dir, plot_dir = os.path.join(work, 'model'), os.path.join(work, 'plot')
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    options = ['--dataset', 'toyfaces', '--num-images', str(IMAGES), '--size', str(SIZE),
               '--epochs', str(args.epochs), '--plot-interval', str(args.epochs),
               '--score-samples', '10000', '--seed', str(args.seed), *args.extra]
    command = [sys.executable, TRAIN, *options, '--no-progress', '--no-early-check',
               '--model-dir', model_dir, '--plot-dir', plot_dir]
    if glob.glob(os.path.join(model_dir, 'snapshot_iter_*.npz')):
        command.append('--resume')
    with open(os.path.join(work, 'train.out'), 'a') as log:
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
    if status != 0:
        sys.exit(f'error: training failed (status {status}); see {work}/train.out')
    with open(os.path.join(model_dir, 'log')) as f:
        last = json.load(f)[-1]
    result = {key: last[key] for key in ('iteration', 'face_modes', 'face_clean', 'face_kl',
                                         'k', 'loss_real', 'loss_fake', 'speckle')}
    result['options'] = options
    with open(os.path.join(out, 'result.json'), 'w') as f:
        json.dump(result, f, indent=2)
    shutil.copy(os.path.join(plot_dir, f'samples_epoch_{args.epochs}.png'),
                os.path.join(out, 'samples.png'))
    with open(os.path.join(out, 'table.md'), 'w') as f:
        f.write(f'# Toy faces, {SIZE}x{SIZE}: `{args.name}`\n\n'
                f'`train_animeface/train.py {" ".join(options)}`\n\n'
                '| updates | face_modes (of 48) | face_clean % | face_kl | k at the end |\n'
                '|---|---|---|---|---|\n'
                f'| {result["iteration"]} | {result["face_modes"]} | '
                f'{result["face_clean"]:.1f} | {result["face_kl"]:.3f} | {result["k"]:.4f} |\n\n'
                'Samples of the last epoch: samples.png\n')
    print(json.dumps(result))


if __name__ == '__main__':
    main()
