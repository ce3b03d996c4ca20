"""Snapshots: written atomically (the newest few kept, so a crash at any
moment leaves a loadable one), found, and read back to resume a run."""
import glob
import json
import os
import re
import sys
import zipfile

from chainer import serializers
from chainer.training.extensions import _snapshot, snapshot_writers

from began.config import Config
from began.errors import ConfigError, DataError, ModelLoadError
from began.training.model_dir import WriteError, read_npz, save_npz_atomic

SNAPSHOT_PATTERN = 'snapshot_iter_{.updater.iteration}.npz'
SNAPSHOTS_KEPT = 3
# Temporary files of an interrupted atomic write, with the writer's pid:
# snapshots (SnapshotWriter), weights and model.json (write_atomic), pictures
# (grids.save_png, pictures.points).
TEMP_FILE = re.compile(r'\.snapshot_iter_\d+\.npz\.tmp-(\d+)|(?:generator\.npz|discriminator'
                       r'\.npz|model\.json)\.tmp(\d+)|.+\.png\.tmp(\d+)\.png')


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
    failed write (a full disk) keeps the older snapshots and stops
    training. Uncompressed: zlib would halve the file at a cost in
    training time that disk space does not have
    (benchmarks/results/design_measurements.md).
    """

    def __call__(self, filename, outdir, target):
        path = os.path.join(outdir, filename)
        tmp = os.path.join(outdir, f'.{filename}.tmp-{os.getpid()}')
        save_npz_atomic(path, target, tmp=tmp)  # WriteError: Snapshot stops training
        remove_older_snapshots(outdir)


def remove_older_snapshots(model_dir, kept=SNAPSHOTS_KEPT):
    """Delete all but the newest ``kept`` snapshots (by iteration: a
    resume that branches sets the other branch's aside). A file that is no
    whole archive (garbage, half a copy) is neither counted nor deleted:
    it is not one of ours to keep."""
    whole = [path for path in snapshot_files(model_dir) if zipfile.is_zipfile(path)]
    for path in whole[kept:]:
        try:
            os.remove(path)
        except OSError:
            pass  # removed meanwhile, or a read-only folder: nothing is lost


def with_kept_snapshot(failure, trainer, path):
    """The error that stopped training, saying which snapshot is kept:
    ``path`` (this iteration's) when written, else the newest before it."""
    kept = [path] if os.path.isfile(path) else snapshot_files(trainer.out)
    where = (f'the snapshot {kept[0]} is kept' if kept else 'no snapshot was written')
    failure.args = (f'{failure}; training stopped at iteration {trainer.updater.iteration}; '
                    f'{where}',)
    return failure


class Snapshot(_snapshot._Snapshot):
    """Chainer's snapshot extension; a failed write stops training."""

    def __call__(self, trainer):
        try:
            super().__call__(trainer)
        except WriteError as e:
            trainer.stop_trigger.fail(e)


def snapshot():
    """The trainer's snapshot, written atomically; the newest few kept, so a
    crash at any moment leaves a loadable one."""
    return Snapshot(filename=SNAPSHOT_PATTERN, writer=SnapshotWriter())


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


def check_same_data(trainer, arrays, path):
    """Refuse, in plain words, a snapshot whose data order was made for a
    data set of another size (images added to or removed from the folder)."""
    dataset = getattr(trainer.updater.get_iterator('main'), 'dataset', None)
    order = arrays.get('updater/iterator:main/order')
    if dataset is None or order is None or len(order) == len(dataset):
        return
    config = trainer.updater.config
    now = (f'the image folder {config.image_dir} now holds {len(dataset)} images'
           if config.dataset == 'folder' else
           f'the data set now holds {len(dataset)} images (--num-images {config.num_images})')
    raise DataError(f'{now}; the snapshot {path} was made with {len(order)}, and its data '
                    f'order cannot go on over other images; put the images back as they '
                    f'were, or start a new run in another --model-dir')


def load_snapshot(trainer, arrays, path):
    check_same_data(trainer, arrays, path)
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
