"""Early warnings that a run is failing, as Trainer extensions.

EarlyCheck is the post's tip: "if D cannot reconstruct real data after the
first epoch, stop and revise the hyperparameters". D's reconstruction error
of a fixed set of real examples is compared with a trivial auto-encoder that
outputs the mean example whatever its input (error mean |x - mean(x)|).

KStuckWarning warns once when k_t is pinned at 0 or 1 for a long stretch, a
known sign that D and G are out of balance.

DivergenceGuard stops training at the first NaN or Inf.
"""
import math
import warnings

import chainer
import numpy
from chainer import training
from chainer.training import triggers

from began.data.image_folder import to_float
from began.errors import DivergenceError
from began.nets.sampling import reconstruct
from began.training.snapshots import snapshot_files

# D must get below this fraction of the baseline's error: it splits the gap
# between the ratios of runs that learn and of runs that cannot, after 500
# updates (issue #6; the ratios: benchmarks/results/design_measurements.md).
EARLY_CHECK_MARGIN = 0.7
# The default check is at the end of the first epoch that has at least this
# many updates: epoch 1 of both of the post's experiments (500 and ~2,900
# updates), while a short smoke test with tiny epochs is not judged too early.
EARLY_CHECK_MIN_UPDATES = 500
CHECK_EXAMPLES = 500      # mixture points; image sets use their 100 picture examples
K_STUCK_MIN_UPDATES = 1000


class ImbalanceWarning(UserWarning):
    """k_t stayed at 0 or 1 for a long stretch."""


def iterations_per_epoch(iterator):
    """Updates in one epoch of a MixtureIterator or a SerialIterator."""
    if hasattr(iterator, 'updates_per_epoch'):
        return iterator.updates_per_epoch
    return len(iterator.dataset) / iterator.batch_size


def check_examples(config, dataset):
    """The real examples the early check reconstructs: fresh mixture points,
    or the dataset's 100 picture examples (as in the reconstruction grids)."""
    if dataset is None:
        from began.pictures.mixture import real_points
        return real_points(config, CHECK_EXAMPLES)
    from began.data.image_sets import pick
    return pick(dataset, 100, config.seed)


def reconstruction_ratio(discriminator, x):
    """(D's error, the mean-example baseline's error) on examples x, both
    mean |.| over all values; D in test mode, without input noise."""
    x = to_float(x) if x.dtype == numpy.uint8 else numpy.asarray(x, numpy.float32)
    error = float(numpy.abs(reconstruct(discriminator, x) - x).mean())
    baseline = float(numpy.abs(x - x.mean(axis=0, keepdims=True)).mean())
    return error, baseline


class EarlyCheck(training.Extension):
    """Stops the run once, early, when D has not beaten the baseline.

    Runs after the pictures and the model writer and before the snapshot
    (which is written as usual), so the user keeps everything of that epoch
    to look at; the stop itself goes through the trainer's StopTrigger.
    """
    priority = -50  # after every writer but the snapshot (-100)

    def __init__(self, examples, margin=EARLY_CHECK_MARGIN):
        self.examples, self.margin = examples, margin  # examples None: disabled

    @staticmethod
    def trigger_for(iterator, updates=None):
        """At ``updates`` updates, or at the end of the first epoch that has
        at least EARLY_CHECK_MIN_UPDATES."""
        if updates:
            return triggers.ManualScheduleTrigger(updates, 'iteration')
        epoch = max(1, math.ceil(EARLY_CHECK_MIN_UPDATES / iterations_per_epoch(iterator)
                                 - 1e-9))
        return triggers.ManualScheduleTrigger(epoch, 'epoch')

    def __call__(self, trainer):
        if self.examples is None:
            return
        updater = trainer.updater
        error, baseline = reconstruction_ratio(updater.discriminator, self.examples)
        if error < self.margin * baseline:
            return
        trainer.stop_trigger.fail(
            f'early check failed at iteration {updater.iteration}: D does not reconstruct '
            f'real data (error {error:.4f}, while always outputting their mean gives '
            f'{baseline:.4f}; D must get below {self.margin:g} of that); revise the '
            f'hyperparameters, e.g. --lr, --noise-std, --batch-size or --gamma, and start '
            f'again (or pass --no-early-check)')


class KStuckWarning(training.Extension):
    """Warns once when k_t has been exactly 0 or exactly 1 for ``stretch``
    updates in a row (default max(1000, one epoch)); not when lambda_k is 0,
    which holds k_t where the run chose to put it (e.g. --preset covering)."""
    trigger = (1, 'iteration')

    def __init__(self, stretch):
        self.stretch = int(stretch)
        self.since, self.warned = -1, False

    def __call__(self, trainer):
        updater = trainer.updater
        if updater.k not in (0.0, 1.0) or updater.config.lambda_k == 0:
            self.since = -1
            return
        if self.since < 0:
            self.since = updater.iteration
        if not self.warned and updater.iteration - self.since + 1 >= self.stretch:
            self.warned = True
            effect = ('D ignores the fakes' if updater.k == 0
                      else 'D pushes the fakes away at full strength')
            # With coverage terms on (--preset covering) k_t at 0 is their
            # usual state, not a setting to change: say what to look at.
            advice = ('; with coverage terms on, as in --preset covering, this is usual: '
                      'their pull trains G, and the mode scores say whether it covers '
                      'the data' if updater.k == 0 and updater.config.batch_coupled_terms()
                      else '; consider another --gamma or --lr')
            warnings.warn(
                f'k_t has been exactly {updater.k:g} for {self.stretch} updates '
                f'(iterations {self.since}-{updater.iteration}): D and G are out of balance '
                f'({effect}){advice}', ImbalanceWarning)

    def serialize(self, serializer):
        try:
            self.since = int(serializer('since', self.since))
            self.warned = bool(serializer('warned', self.warned))
        except KeyError:  # a snapshot from before this extension existed
            pass


def all_finite(groups):
    """For each group of parameters, whether every value is finite.

    One sum a parameter, reduced on the parameters' device and read back in
    one transfer: a sum is finite when every value is (NaN and Inf carry
    through). A group whose sum is not finite is checked value by value, so
    a sum that merely overflowed is no false alarm.
    """
    xp = chainer.backend.get_array_module(groups[0][0].array)
    sums = xp.stack([xp.stack([p.array.sum() for p in group]).sum() for group in groups])
    finite = numpy.isfinite(chainer.backend.CpuDevice().send(sums)).tolist()
    return [ok or all(bool(xp.isfinite(p.array).all()) for p in group)
            for ok, group in zip(finite, groups)]


class DivergenceGuard(training.Extension):
    """Stops training at the first NaN or Inf in a loss or a parameter.

    It runs every iteration before any other extension. The losses it reads
    are the step's reported floats (read from the device once, by the
    updater): free. The parameters, a reduction of every one on the device
    and a wait for it, are checked every ``interval`` updates, at each
    epoch's end (where the snapshot, the model directory and the pictures
    are written) and when a stop is requested (a snapshot follows), so no
    writer ever saves a bad state: the newest snapshot stays the last good
    one. A NaN in the parameters in between shows in the next step's losses.
    """
    priority = training.PRIORITY_WRITER + 100
    trigger = (1, 'iteration')
    LOSSES = ('loss_real', 'loss_fake', 'loss_d', 'loss_g', 'k')
    INTERVAL = 100

    def __init__(self, interval=INTERVAL):
        self.interval = interval

    def __call__(self, trainer):
        observation = trainer.observation
        bad = [k for k in self.LOSSES
               if k in observation and not math.isfinite(float(observation[k]))]
        updater = trainer.updater
        if bad or self.parameters_due(trainer):
            networks = (('generator', updater.generator),
                        ('discriminator', updater.discriminator))
            finite = all_finite([list(link.params()) for _, link in networks])
            bad += [f'{name} parameters' for (name, _), ok in zip(networks, finite) if not ok]
        if bad:
            kept = snapshot_files(trainer.out)
            where = (f'the last good snapshot {kept[0]} is kept (resume with --resume, '
                     f'perhaps with a lower --lr)' if kept else
                     'no snapshot was written yet (start again, perhaps with a lower --lr)')
            raise DivergenceError(
                f'training diverged at iteration {updater.iteration}: '
                f'{", ".join(bad)} not finite; {where}')

    def parameters_due(self, trainer):
        updater = trainer.updater
        return (updater.iteration % self.interval == 0 or updater.is_new_epoch
                or getattr(trainer.stop_trigger, 'requested', False))
