"""Generated points of several trained mixture models side by side, each
captioned with its mode coverage (e.g. the post's configuration beside the
covering one).

    python compare.py --model-dirs post/model covering/model --labels post covering \\
        --out compare.png
"""
import os
import sys

from began.cli import ArgumentParser, check_writable, guarded
from began.errors import ConfigError


@guarded
def main(argv=None):
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model-dirs', nargs='+', required=True,
                        help='model directories written by train.py')
    parser.add_argument('--labels', nargs='+', help='a caption for each (default: the folders)')
    parser.add_argument('--out', default='plot/compare.png',
                        help='picture to write (default: %(default)s)')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    labels = args.labels or args.model_dirs
    if len(labels) != len(args.model_dirs):
        raise ConfigError(f'{len(args.model_dirs)} model directories but {len(labels)} labels')
    if os.path.isdir(args.out):
        raise ConfigError(f'--out {args.out} is a folder; give the picture\'s file name, '
                          f'e.g. --out {os.path.join(args.out, "compare.png")}')
    check_writable(os.path.dirname(os.path.abspath(args.out)), 'output folder')

    from began.pictures import points as plot_points
    from began.pictures.mixture import METRIC_POINTS, plot_limit, real_points, scored_samples
    from began.training.model_dir import load_model_dir
    panels, limit = [], plot_points.LIMIT
    for model_dir, label in zip(args.model_dirs, labels):
        config, generator, _ = load_model_dir(model_dir, 'gaussian_mixture')
        fake, m = scored_samples(config, generator)
        scores = f'{m["modes"]}/{config.num_mixture} modes, {m["high_quality"]:.1f}% high quality'
        panels.append((f'{label}\n{scores}', fake))   # two lines: panels stay apart
        print(f'{label}: {scores}')
        limit = max(limit, plot_limit(config))
    real = real_points(config, METRIC_POINTS)   # of the last model's mixture
    path = plot_points.scatter(args.out, [('real', real)] + panels,
                               f'{METRIC_POINTS} samples of G each', limit)
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
