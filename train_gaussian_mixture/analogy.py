"""Generator outputs along straight lines between pairs of z, drawn over the
true density: how G's output moves (and jumps between modes) as z moves.

    python analogy.py --model-dir model --out plot --pairs 8 --steps 20
"""
import os

import numpy

from began.pictures import points as plot_points
from began.cli import ArgumentParser, guarded, load_main, open_output, positive_int
from began.pictures.mixture import real_points
from began.nets import category_weights
from began.rng import random_state, sample_z
from began.nets.sampling import generate, lerp


@guarded
def main(argv=None):
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pairs', type=positive_int, default=8, help='lines (default: %(default)s)')
    parser.add_argument('--steps', type=positive_int, default=20,
                        help='points along each line (default: %(default)s)')
    config, generator, _, args = load_main(parser, 'gaussian_mixture', argv)
    open_output(args.out)
    rs = random_state(numpy, args.seed, 'plot', 2)
    ends = sample_z(rs, 2 * args.pairs, config.n_z, config.z_categories,
                    weights=category_weights(generator))
    z = numpy.concatenate([lerp(ends[2 * i], ends[2 * i + 1], args.steps)
                           for i in range(args.pairs)])
    paths = generate(generator, z).reshape(args.pairs, args.steps, 2)
    path = plot_points.interpolations(os.path.join(args.out, 'analogy.png'), paths,
                                      real_points(config))
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
