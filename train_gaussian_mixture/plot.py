"""Scatter and KDE of a trained mixture model: true vs generated points,
and D's reconstructions of real points.

    python plot.py --model-dir model --out plot
"""
from began.cli import ArgumentParser, guarded, load_main, open_output
from began.pictures.mixture import draw


@guarded
def main(argv=None):
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    config, generator, discriminator, args = load_main(parser, 'gaussian_mixture', argv)
    open_output(args.out)
    metrics, paths = draw(config.replace(seed=args.seed), generator, discriminator,
                          args.out, 'final')
    print(f'{metrics["modes"]}/{config.num_mixture} modes captured, '
          f'{metrics["high_quality"]:.1f}% high-quality samples')
    for path in paths:
        print(f'wrote {path}')


if __name__ == '__main__':
    main()
