"""Scatter and KDE of a trained mixture model: true vs generated points,
and D's reconstructions of real points.

    python plot.py --model-dir model --out plot
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from began.cli import ArgumentParser, guarded, load_main, open_output  # noqa: E402
from began.pictures.mixture import draw  # noqa: E402


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
