"""Trainer extensions both experiments share: the model directory, safe
snapshots and the divergence guard."""
import glob
import os
import re
import warnings

import numpy
from chainer import training
from chainer.training import extensions

from began.errors import DivergenceError
from began.serialization import save_model_dir

SNAPSHOT_PATTERN = 'snapshot_iter_{.updater.iteration}.npz'
SNAPSHOTS_KEPT = 3


def snapshot_files(model_dir):
    """Snapshots in a model directory, newest (highest iteration) first."""
    found = []
    for path in glob.glob(os.path.join(model_dir, 'snapshot_iter_*.npz')):
        m = re.fullmatch(r'snapshot_iter_(\d+)\.npz', os.path.basename(path))
        if m:
            found.append((int(m.group(1)), path))
    return [path for _, path in sorted(found, reverse=True)]


def snapshot():
    """Chainer's snapshot: written to a temporary file and renamed, the
    newest few kept, so a crash at any moment leaves a loadable one."""
    return extensions.snapshot(filename=SNAPSHOT_PATTERN, n_retains=SNAPSHOTS_KEPT)


class PlotReport(extensions.PlotReport):
    """Chainer's PlotReport, writing to an absolute path outside the model
    directory; a failed write (full disk) warns and training goes on."""

    def __call__(self, trainer):
        try:
            super().__call__(trainer)
        except OSError as e:
            warnings.warn(f'could not write {self._file_name}: {e}')

    def serialize(self, serializer):
        # Chainer keys the curve's data by the file name; use the base name so
        # a snapshot still loads when --plot-dir changes.
        full, self._file_name = self._file_name, os.path.basename(self._file_name)
        try:
            super().serialize(serializer)
        finally:
            self._file_name = full


class ModelDirWriter(training.Extension):
    """model.json + generator.npz + discriminator.npz, every epoch."""
    priority = training.PRIORITY_WRITER - 10

    def __init__(self, config, model_dir):
        self.config, self.model_dir = config, model_dir

    def __call__(self, trainer):
        updater = trainer.updater
        try:
            save_model_dir(self.model_dir, self.config, updater.generator,
                           updater.discriminator)
        except OSError as e:
            warnings.warn(f'could not write the model to {self.model_dir}: {e}')


class DivergenceGuard(training.Extension):
    """Stops training at the first NaN or Inf in a loss or a parameter,
    before any writer can save the bad state."""
    priority = training.PRIORITY_WRITER + 100
    trigger = (1, 'iteration')
    LOSSES = ('loss_real', 'loss_fake', 'loss_d', 'loss_g', 'k')

    def __call__(self, trainer):
        observation = trainer.observation
        bad = [k for k in self.LOSSES
               if k in observation and not numpy.isfinite(float(observation[k]))]
        if not bad:
            updater = trainer.updater
            for name, link in (('generator', updater.generator),
                               ('discriminator', updater.discriminator)):
                # One sum per parameter: finite exactly when every element is.
                if not all(bool(link.xp.isfinite(p.array.sum())) for p in link.params()):
                    bad.append(f'{name} parameters')
        if bad:
            kept = snapshot_files(trainer.out)
            where = f'the last good snapshot is {kept[0]}' if kept else 'no snapshot was written yet'
            raise DivergenceError(
                f'training diverged at iteration {trainer.updater.iteration}: '
                f'{", ".join(bad)} not finite; {where} (resume with --resume, '
                f'perhaps with a lower --lr)')
