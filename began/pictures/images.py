"""Pictures of an image model: sample grids, reconstructions and
interpolations, and the Trainer extension that draws them during training."""
import os
import warnings

import chainer
import numpy
from chainer import training

from began.pictures.grids import display_scale, save_png, tile, to_uint8_images
from began.data.image_folder import to_float
from began.nets.sampling import decode, encode, fixed_z, generate, lerp, reconstruct
from began.metrics.speckle import speckle_ratio
from began.training.average import generator_shown


def sample_grid(generator, z, rows, cols):
    """rows x cols generator samples as one uint8 picture."""
    return tile(to_uint8_images(generate(generator, z[:rows * cols])), rows, cols)


def reconstruction_grid(discriminator, x, cols=10):
    """Each input beside D's reconstruction of it: pairs of columns."""
    x = to_float(x) if x.dtype == numpy.uint8 else x
    rec = reconstruct(discriminator, x)
    pairs = numpy.stack([x, rec], 1).reshape((-1,) + x.shape[1:])
    return tile(to_uint8_images(pairs), -(-len(pairs) // (2 * cols)), 2 * cols)


def interpolation_grid(images):
    """(rows, steps, 3, H, W) floats -> a rows x steps picture."""
    rows, steps = images.shape[:2]
    return tile(to_uint8_images(images.reshape((-1,) + images.shape[2:])), rows, steps)


def z_interpolations(generator, z_pairs, steps):
    """G along straight lines in z: (pairs, steps, 3, H, W)."""
    z = numpy.concatenate([lerp(a, b, steps) for a, b in z_pairs])
    return generate(generator, z).reshape((len(z_pairs), steps) + _image_shape(generator, z))


def h_interpolations(discriminator, x_pairs, steps):
    """The decoder alone along straight lines in h between the encodings of
    two images: (pairs, steps, 3, H, W)."""
    ends = encode(discriminator, numpy.concatenate([numpy.stack(p) for p in x_pairs]))
    h = numpy.concatenate([lerp(ends[2 * i], ends[2 * i + 1], steps)
                           for i in range(len(x_pairs))])
    out = decode(discriminator, h)
    return out.reshape((len(x_pairs), steps) + out.shape[1:])


def _image_shape(generator, z):
    return generate(generator, z[:1]).shape[1:]


def save(picture, path, image_size):
    return save_png(picture, path, scale=display_scale(image_size))


class ImagePictures(training.Extension):
    """At the trigger's epochs: a 10x10 grid of G(z) from one fixed z (so
    grids compare across epochs) and D's reconstructions of 100 real and
    100 generated images; the speckle ratio of those samples is reported
    into the log. With ``score`` (generated images -> dict of the
    ``score_keys``), its values are reported into the log."""
    priority = training.PRIORITY_WRITER

    def __init__(self, config, plot_dir, real_images, score=None, score_keys=(),
                 score_samples=10000):
        self.config, self.plot_dir = config, plot_dir
        self.real = real_images[:100]
        self.score, self.report_keys = score, ('speckle',) + tuple(score_keys)
        self.score_samples = score_samples

    def __call__(self, trainer):
        updater = trainer.updater
        gen, dis = generator_shown(trainer), updater.discriminator
        epoch = updater.epoch
        fake = generate(gen, fixed_z(self.config, 100, generator=gen))
        pictures = {
            f'samples_epoch_{epoch}.png': tile(to_uint8_images(fake), 10, 10),
            f'reconstruction_real_epoch_{epoch}.png': reconstruction_grid(dis, self.real),
            f'reconstruction_fake_epoch_{epoch}.png': reconstruction_grid(dis, fake),
        }
        for name, picture in pictures.items():
            path = os.path.join(self.plot_dir, name)
            try:
                save(picture, path, self.config.image_size)
            except OSError as e:
                # A full disk must not end a long run: the pictures are not the model.
                warnings.warn(f'could not write {path}: {e}')
        chainer.report({'speckle': speckle_ratio(fake, to_float(self.real))})
        if self.score is not None:
            z = fixed_z(self.config, self.score_samples, key=1, generator=gen)
            chainer.report(self.score(generate(gen, z)))
