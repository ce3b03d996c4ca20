"""Snapshots: written atomically (the newest few kept, so a crash at any
moment leaves a loadable one), found, and read back to resume a run."""
import glob
import json
import os
import re
import sys
import warnings

from chainer import serializers
from chainer.training import extensions
from chainer.training.extensions import snapshot_writers

from began.config import Config
from began.errors import ConfigError, ModelLoadError
from began.training.model_dir import read_npz, save_npz_atomic

SNAPSHOT_PATTERN = 'snapshot_iter_{.updater.iteration}.npz'
SNAPSHOTS_KEPT = 3
# Temporary files of an interrupted atomic write, with the writer's pid:
# snapshots (SnapshotWriter), weights (save_npz_atomic), pictures (grids.save_png, pictures.points).
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


# --- resuming -------------------------------------------------------------

def resolve_resume(resume, model_dir):
    """--resume PATH, or 'auto': the newest snapshot in the model directory."""
    if resume is None:
        return None
    if resume != 'auto':
        if os.path.isdir(resume):
            raise ModelLoadError(f'--resume {resume} is a folder; give a snapshot file, or '
                                 f'--resume alone with --model-dir {resume}')
        if not os.path.isfile(resume):
            raise ModelLoadError(f'snapshot not found: {resume}')
        return [resume]
    found = snapshot_files(model_dir)
    if not found:
        raise ModelLoadError(f'no snapshot to resume from in {model_dir}')
    return found


def read_snapshot(path):
    """All arrays of a snapshot, read whole (so a truncated file fails here,
    before anything is loaded) and with pickling disabled."""
    return read_npz(path, 'snapshot')


def snapshot_config(arrays, path):
    """The Config a snapshot was trained with."""
    if 'updater/config' not in arrays:
        raise ModelLoadError(f'{path} is not a snapshot of this project')
    try:
        return Config.from_dict(json.loads(str(arrays['updater/config'])), source=path)
    except (ValueError, ConfigError) as e:
        raise ModelLoadError(f'{path}: its stored configuration is unusable ({e})') from None


def open_resume_snapshot(candidates, experiment):
    """(path, arrays, config) of the first candidate that reads whole;
    unreadable newer ones are skipped with a warning."""
    errors = []
    for path in candidates:
        try:
            arrays = read_snapshot(path)
            config = snapshot_config(arrays, path)
        except ModelLoadError as e:
            if len(candidates) == 1:
                raise
            errors.append(str(e))
            continue
        if config.experiment != experiment:
            raise ModelLoadError(f'{path} is a snapshot of the {config.experiment} '
                                 f'experiment, not of {experiment}')
        for message in errors:
            print(f'warning: skipped {message}', file=sys.stderr)
        return path, arrays, config
    raise ModelLoadError('no loadable snapshot: ' + '; '.join(errors))


def load_snapshot(trainer, arrays, path):
    try:
        serializers.NpzDeserializer(arrays).load(trainer)
    except KeyError as e:
        problem = f'missing {e}'
    except ValueError as e:
        problem = str(e).strip().splitlines()[0]
    else:
        return
    raise ModelLoadError(f'{path} does not fit this run ({problem}); was it saved '
                         f'with another architecture, size or version?')
