"""Sample grids from a trained model directory, and a grid of real images.

    python plot.py --model-dir model --out plot --rows 10 --cols 10
    python plot.py --image-dir /path/to/faces      # also a grid of real images
"""
import os

from began.cli import ArgumentParser, guarded, load_main, open_output, positive_int
from began.data.image_sets import pick
from began.memory_estimate import check_images_fit
from began.pictures.grids import tile
from began.data.image_folder import ImageFolderDataset
from began.pictures.images import sample_grid, save
from began.nets import category_weights
from began.rng import random_state, sample_z

import numpy


@guarded
def main(argv=None):
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=positive_int, default=10, help='(default: %(default)s)')
    parser.add_argument('--cols', type=positive_int, default=10, help='(default: %(default)s)')
    parser.add_argument('--image-dir', help='also draw a grid of these real images')
    config, generator, _, args = load_main(parser, 'animeface', argv)
    n = args.rows * args.cols
    check_images_fit(n, config.image_size, f'--rows {args.rows} --cols {args.cols} ({n} '
                                           f'images of {config.image_size}x{config.image_size})')
    if args.image_dir:
        real = pick(ImageFolderDataset(args.image_dir, config.image_size), n, args.seed)
    open_output(args.out)
    z = sample_z(random_state(numpy, args.seed, 'plot', 5), n, config.n_z, config.z_categories,
                 weights=category_weights(generator))
    path = save(sample_grid(generator, z, args.rows, args.cols),
                os.path.join(args.out, 'samples.png'), config.image_size)
    print(f'wrote {path}')
    if args.image_dir:
        path = save(tile(real.transpose(0, 2, 3, 1), args.rows, args.cols),
                    os.path.join(args.out, 'real.png'), config.image_size)
        print(f'wrote {path}')


if __name__ == '__main__':
    main()
