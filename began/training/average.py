"""G's weights averaged over the updates (--g-ema): the generator a run
shows, scores and saves, while training goes on with G itself.

An exponential moving average of a GAN generator's weights draws better
samples than the last update's weights (Yazici et al., ICLR 2019; ProGAN,
StyleGAN): each update moves G a little along D's latest push, and the
average leaves those moves out. Training itself does not change.
"""
import chainer
from chainer import training

NAME = 'GeneratorAverage'


class GeneratorAverage(training.Extension):
    """After every update, average <- d average + (1 - d) G for every float
    array of G (weights and batch-norm statistics), where d is ``decay``, or
    (1 + t) / (10 + t) at update t while that is smaller, so the first
    updates' random weights fade out of a short run."""
    # After the divergence guard (which stops a run before any writer saves
    # a NaN), before every picture and writer: they read this update's average.
    priority = training.PRIORITY_WRITER + 50
    trigger = (1, 'iteration')

    def __init__(self, generator, decay):
        self.generator, self.decay = generator, decay
        self.average = generator.copy(mode='copy')

    def __call__(self, trainer):
        t = trainer.updater.iteration
        d = min(self.decay, (1.0 + t) / (10.0 + t))
        for average, current in _arrays(self.average, self.generator):
            average *= d
            average += (1 - d) * current

    def restart(self):
        """The average becomes G itself."""
        for average, current in _arrays(self.average, self.generator):
            average[...] = current

    def serialize(self, serializer):
        try:
            self.average.serialize(serializer['average'])
        except KeyError:
            # A snapshot of a run without --g-ema: the average starts from
            # the resumed G (Trainer loads the updater before extensions).
            self.restart()


def _arrays(average, generator):
    """(average's array, G's array) of every float parameter and statistic."""
    mine = dict(average.namedparams())
    for name, param in generator.namedparams():
        if param.array is not None:
            yield mine[name].array, param.array
    mine = dict(average.namedlinks())
    for name, link in generator.namedlinks():
        for key in link._persistent:  # Chainer 7 lists them only here
            value = getattr(link, key)
            if isinstance(value, chainer.get_array_types()) and value.dtype.kind == 'f':
                yield getattr(mine[name], key), value


def generator_shown(trainer):
    """The generator whose samples a run draws, scores and saves: G's
    average with --g-ema, G itself without."""
    try:
        return trainer.get_extension(NAME).average
    except ValueError:
        return trainer.updater.generator


def extend_average(trainer, config):
    """Register the average when --g-ema is on (on every process: each holds
    the same G, and each resumes it from the snapshot)."""
    if config.g_ema > 0:
        trainer.extend(GeneratorAverage(trainer.updater.generator, config.g_ema), name=NAME)
