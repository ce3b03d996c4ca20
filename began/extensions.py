"""Trainer extensions both experiments share: the model directory, safe
snapshots, logs and plots that survive a full disk, and the divergence guard."""
import glob
import os
import re
import warnings

import numpy
from chainer import training
from chainer.training import extensions
from chainer.training.extensions import snapshot_writers

from began.errors import DivergenceError
from began.serialization import save_model_dir, save_npz_atomic

SNAPSHOT_PATTERN = 'snapshot_iter_{.updater.iteration}.npz'
SNAPSHOTS_KEPT = 3
# Temporary files of an interrupted atomic write, with the writer's pid:
# snapshots (SnapshotWriter), weights (save_npz_atomic), pictures (save_png, plot_points).
TEMP_FILE = re.compile(r'\.snapshot_iter_\d+\.npz\.tmp-(\d+)|(?:generator|discriminator)'
                       r'\.npz\.tmp(\d+)|.+\.png\.tmp(\d+)\.png')


def snapshot_files(model_dir):
    """Snapshots in a model directory, newest (highest iteration) first."""
    found = []
    for path in glob.glob(os.path.join(model_dir, 'snapshot_iter_*.npz')):
        m = re.fullmatch(r'snapshot_iter_(\d+)\.npz', os.path.basename(path))
        if m:
            found.append((int(m.group(1)), path))
    return [path for _, path in sorted(found, reverse=True)]


def snapshot_path(trainer):
    return os.path.join(trainer.out, SNAPSHOT_PATTERN.format(trainer))


def remove_stale_temp_files(*folders):
    """Delete temporary files that a killed process left behind (their
    process is gone); a live process's files are left alone."""
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            m = TEMP_FILE.fullmatch(name)
            if m and not _alive(int(next(g for g in m.groups() if g))):
                try:
                    os.remove(os.path.join(folder, name))
                except OSError:
                    pass


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but not ours
    return True


class SnapshotWriter(snapshot_writers.Writer):
    """Chainer's snapshot writer made crash- and disk-safe.

    The snapshot goes to a hidden temporary file that is fsynced and then
    renamed over the final name, so the name only ever holds a whole file;
    stale snapshots are deleted only after the new one is in place. A
    failed write (a full disk) warns, keeps the older snapshots and lets
    training go on. Uncompressed: zlib halves the file but took 5 s a
    snapshot of the 16-pixel face networks (102 MB raw) on a CPU core;
    disk is cheaper than training time.
    """

    def __call__(self, filename, outdir, target):
        path = os.path.join(outdir, filename)
        tmp = os.path.join(outdir, f'.{filename}.tmp-{os.getpid()}')
        try:
            save_npz_atomic(path, target, tmp=tmp)
        except OSError as e:
            warnings.warn(f'could not write the snapshot {path}: {e}; the older '
                          f'snapshots are kept')
            return
        self._post_save()  # Chainer's clean-up of all but the newest n_retains


def snapshot():
    """The trainer's snapshot, written atomically; the newest few kept, so a
    crash at any moment leaves a loadable one."""
    return extensions.snapshot(filename=SNAPSHOT_PATTERN, n_retains=SNAPSHOTS_KEPT,
                               writer=SnapshotWriter())


class LogReport(extensions.LogReport):
    """Chainer's LogReport; a failed write of the log file warns and
    training goes on (the entries stay in memory and in the snapshot)."""

    def __call__(self, trainer):
        try:
            super().__call__(trainer)
        except OSError as e:
            warnings.warn(f'could not write the log in {trainer.out}: {e}')
            self._init_summary()  # the entry was recorded; start the next one


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
        # Chainer 7 saves neither the trigger nor the running mean: a resumed
        # run then drew an extra point at its first iteration and averaged
        # only the updates after the resume. (LogReport saves both.)
        self._trigger.serialize(serializer['_trigger'])
        self._summary.serialize(serializer['_summary'])


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
    """Stops training at the first NaN or Inf in a loss or a parameter.

    It runs every iteration before any other extension, so no writer ever
    saves the bad state: the newest snapshot stays the last good one.
    """
    priority = training.PRIORITY_WRITER + 100
    trigger = (1, 'iteration')
    LOSSES = ('loss_real', 'loss_fake', 'loss_d', 'loss_g', 'k')

    def __call__(self, trainer):
        observation = trainer.observation
        bad = [k for k in self.LOSSES
               if k in observation and not numpy.isfinite(float(observation[k]))]
        updater = trainer.updater
        for name, link in (('generator', updater.generator),
                           ('discriminator', updater.discriminator)):
            xp = link.xp
            # One device-to-host transfer per network.
            if not bool(xp.stack([xp.isfinite(p.array).all() for p in link.params()]).all()):
                bad.append(f'{name} parameters')
        if bad:
            kept = snapshot_files(trainer.out)
            where = (f'the last good snapshot {kept[0]} is kept' if kept
                     else 'no snapshot was written yet')
            raise DivergenceError(
                f'training diverged at iteration {updater.iteration}: '
                f'{", ".join(bad)} not finite; {where} (resume with --resume, '
                f'perhaps with a lower --lr)')
