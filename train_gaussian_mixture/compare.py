"""Generated points of several trained mixture models side by side, each
captioned with its mode coverage (e.g. the post's configuration beside the
covering one).

    python compare.py --model-dirs post/model covering/model --labels post covering \\
        --out compare.png
"""
from began.cli import compare_args, guarded


@guarded
def main(argv=None):
    args, labels = compare_args(__doc__.splitlines()[0], argv)
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
