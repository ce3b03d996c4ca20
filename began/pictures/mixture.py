"""The 8-Gaussian experiment's pictures and mode metrics, as a Trainer extension."""
import os
import warnings

import chainer
import numpy
from chainer import training

from began.pictures import points as plot_points
from began.data.mixture import sample_mixture
from began.metrics.mixture_modes import mode_metrics
from began.rng import random_state
from began.nets.sampling import fixed_z, generate, reconstruct
from began.training.average import generator_shown

NUM_POINTS = 10000      # points drawn in each picture
METRIC_POINTS = 2500    # samples scored, as in VEEGAN / PacGAN


def mixture_params(config):
    return dict(num_mixture=config.num_mixture, radius=config.mixture_radius,
                std=config.mixture_std, shape=config.mixture_shape)


def plot_limit(config):
    """Axes at [-4, 4] (the post's ring, comparable across runs), wider
    when the modes reach further (the grid of 25 reaches +-4)."""
    return max(plot_points.LIMIT, config.mixture_radius + 1.0)


def real_points(config, n=NUM_POINTS):
    return sample_mixture(random_state(numpy, config.seed, 'plot', 1), n,
                          **mixture_params(config))


def scored_samples(config, generator):
    """METRIC_POINTS samples of G (the same z for a given seed) and their
    mode metrics."""
    fake = generate(generator, fixed_z(config, METRIC_POINTS, generator=generator))
    return fake, mode_metrics(fake, **mixture_params(config))


def sample_metrics(config, generator):
    return scored_samples(config, generator)[1]


def draw(config, generator, discriminator, plot_dir, tag):
    """Scatter and KDE of G's samples and of D's reconstructions of real
    points; returns the mode metrics of scored_samples, the 2,500 samples
    that compare.py and benchmarks/mode_coverage.py score too (not the
    picture's first 2,500: with --z-categories their categories are other
    draws, and the scores differ)."""
    real = real_points(config)
    fake = generate(generator, fixed_z(config, NUM_POINTS, generator=generator))
    rec = reconstruct(discriminator, real)
    metrics = sample_metrics(config, generator)
    title = (f'{tag}: {metrics["modes"]}/{config.num_mixture} modes, '
             f'{metrics["high_quality"]:.1f}% high quality')
    panels = [('real', real), ('generated G(z)', fake), ('reconstructed D(x)', rec)]
    limit = plot_limit(config)
    paths = [plot_points.scatter(os.path.join(plot_dir, f'scatter_{tag}.png'), panels, title,
                                 limit),
             plot_points.density(os.path.join(plot_dir, f'kde_{tag}.png'), panels, title,
                                 limit)]
    return metrics, paths


class MixturePictures(training.Extension):
    """At the trigger's epochs: pictures in plot_dir, and 'modes',
    'high_quality' and 'mode_kl' reported into the log beside the losses."""
    priority = training.PRIORITY_WRITER
    report_keys = ('modes', 'high_quality', 'mode_kl')

    def __init__(self, config, plot_dir):
        self.config, self.plot_dir = config, plot_dir

    def __call__(self, trainer):
        updater = trainer.updater
        tag = f'epoch_{updater.epoch}'
        generator = generator_shown(trainer)
        try:
            metrics, _ = draw(self.config, generator, updater.discriminator,
                              self.plot_dir, tag)
        except OSError as e:
            # A full disk must not end a long run: the pictures are not the model.
            warnings.warn(f'could not write the {tag} pictures to {self.plot_dir}: {e}')
            metrics = sample_metrics(self.config, generator)
        chainer.report({'modes': metrics['modes'], 'high_quality': metrics['high_quality'],
                        'mode_kl': metrics['kl']})
