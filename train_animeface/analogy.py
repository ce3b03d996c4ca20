"""Interpolations of a trained model, as in the post:

- analogy_z.png: G along straight lines between pairs of z (20 x 10);
- analogy_h.png: the decoder alone along lines between D's codes h of the
  same pairs' images (the post's "interpolation in the discriminator");
- with --images a.png b.png: each image is inverted into z (Adam on
  |x - G(z)|, from the closest of --invert-candidates draws of z), then G
  between the two z (analogy_images.png, first and last columns the real
  images; analogy_images.txt: how close G(z) came to each, and for a
  toy-face model what it reads as, which run/demo's page shows with it).

    python analogy.py --model-dir model --out plot
    python analogy.py --images a.png b.png
"""
import os

import numpy

from began.cli import ArgumentParser, guarded, load_main, open_output, positive_int
from began.data.image_folder import read_image, to_float
from began.nets.invert import invert
from began.pictures.images import (h_interpolations, interpolation_grid, save,
                                   z_interpolations)
from began.nets import category_weights
from began.rng import random_state, sample_z
from began.training.model_dir import write_atomic
from began.nets.sampling import generate, lerp


def image_interpolation(generator, paths, x, steps, seed, invert_steps, categories=0,
                        toy_faces=False, candidates=1):
    """(Real a, G between the inverted z of a and b, real b: one row; a line
    on each inversion). With --z-categories, z keeps to the prior's support
    (its one-hot part in [0, scale]) and the line names the category z
    settled on; for a toy-face model, what the face reader reads in the
    image and in G(z)."""
    z, error = invert(generator, x, invert_steps, seed=seed, categories=categories,
                      candidates=candidates)
    row = generate(generator, lerp(z[0], z[1], steps))
    if toy_faces:   # the two images, then G(z) of each: one pass of the reader
        read = readings(numpy.concatenate([x, row[[0, -1]]]))
    lines = []
    for i, (path, e) in enumerate(zip(paths, error)):
        line = f'inverted {path}: mean |x - G(z)| = {e:.3f}'
        if categories:
            line += f', category {int(numpy.argmax(z[i, :categories]))} of {categories}'
        if toy_faces:
            line += f'; reads as {read[i]}, G(z) as {read[2 + i]}'
        lines.append(line)
    return numpy.concatenate([x[:1], row, x[1:]])[None], lines


def readings(images):
    """'hair pink, eyes blue' for each image (N, 3, H, W) in [-1, 1], as the
    toy-face reader reads it; where a colour does not read cleanly, the
    nearest one and its RGB distance ('hair unclear (nearest blue, 80 away)',
    clean below CLEAN_THRESHOLD): a muted blue reads apart from a wrong colour."""
    from began.data.toyfaces import EYE_COLORS, HAIR_COLORS
    from began.metrics.face_modes import CLEAN_THRESHOLD, read_factors
    factors = read_factors(images)

    def name(key, colors, i):
        colour, distance = colors[factors[key][i]][0], factors[f'{key}_dist'][i]
        if distance < CLEAN_THRESHOLD:
            return colour
        return f'unclear (nearest {colour}, {distance:.0f} away)'
    return [f'hair {name("hair", HAIR_COLORS, i)}, eyes {name("eye", EYE_COLORS, i)}'
            for i in range(len(images))]


@guarded
def main(argv=None):
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pairs', type=positive_int, default=20, help='(default: %(default)s)')
    parser.add_argument('--steps', type=positive_int, default=10, help='(default: %(default)s)')
    parser.add_argument('--images', nargs=2, metavar=('A', 'B'),
                        help='interpolate between these two real images')
    parser.add_argument('--invert-steps', type=positive_int, default=500,
                        help='Adam steps that fit z to each image (default: %(default)s)')
    parser.add_argument('--invert-candidates', type=positive_int, default=1000,
                        help='draws of the prior; each image is fitted from the one whose '
                        'G(z) is closest (default: %(default)s)')
    config, generator, discriminator, args = load_main(parser, 'animeface', argv)
    size = config.image_size
    if args.images:
        real = to_float(numpy.stack([read_image(p, size) for p in args.images]))
    open_output(args.out)

    ends = sample_z(random_state(numpy, args.seed, 'plot', 6), 2 * args.pairs, config.n_z,
                    config.z_categories, weights=category_weights(generator))
    pairs = list(zip(ends[0::2], ends[1::2]))
    outputs = {'analogy_z.png': z_interpolations(generator, pairs, args.steps)}
    images = generate(generator, ends)
    outputs['analogy_h.png'] = h_interpolations(
        discriminator, list(zip(images[0::2], images[1::2])), args.steps)
    if args.images:
        outputs['analogy_images.png'], lines = image_interpolation(
            generator, args.images, real, args.steps, args.seed, args.invert_steps,
            config.z_categories, config.dataset == 'toyfaces', args.invert_candidates)
        text = ''.join(line + '\n' for line in lines)
        print(text, end='')
        write_atomic(os.path.join(args.out, 'analogy_images.txt'), lambda f: f.write(text),
                     mode='w')
    for name, grid in outputs.items():
        print(f'wrote {save(interpolation_grid(grid), os.path.join(args.out, name), size)}')


if __name__ == '__main__':
    main()
