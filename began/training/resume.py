"""What a resume does besides loading the snapshot: it ends at once when the
run already has its --epochs, and when it branches from an older snapshot
it moves the old branch's newer snapshots aside, so that the next plain
--resume continues this branch."""
import os
import re
import time

from began.config import CONFIG_FILE
from began.training.model_dir import DISCRIMINATOR_FILE, GENERATOR_FILE, write_error
from began.training.snapshots import snapshot_files

# The old branch's model files, moved aside with its snapshots.
BRANCH_FILES = (CONFIG_FILE, GENERATOR_FILE, DISCRIMINATOR_FILE, 'log')


def nothing_left(trainer, path):
    """Whether the resumed run already trained its --epochs; if so, says
    so in one line (the caller ends with status 0: the run is complete)."""
    updater, epochs = trainer.updater, trainer.stop_trigger.get_training_length()[0]
    if updater.epoch_detail < epochs:
        return False
    done = f'{updater.epoch_detail:g}'
    print(f'nothing to train: {path} already holds {done} epoch(s) (iteration '
          f'{updater.iteration}) and --epochs is {epochs}; give --epochs above {done} to '
          f'train on')
    return True


def iteration_of(path):
    m = re.fullmatch(r'snapshot_iter_(\d+)\.npz', os.path.basename(path))
    return int(m.group(1)) if m else None


def set_aside_newer(trainer, path):
    """Resuming ``path`` at iteration i while the model directory holds
    snapshots after i (another branch): move them, with that branch's
    model.json, weights and log, into model_dir/abandoned-<time>/, say so
    in one line, and write this branch's model files at once. Returns the
    folder, or None when there was nothing newer."""
    model_dir, iteration = trainer.out, trainer.updater.iteration
    newer = [p for p in snapshot_files(model_dir) if iteration_of(p) > iteration]
    if not newer:
        return None
    folder = os.path.join(model_dir, time.strftime('abandoned-%Y%m%d-%H%M%S'))
    suffix = 1
    while os.path.lexists(folder):
        folder = f'{folder.rsplit("+", 1)[0]}+{suffix}'
        suffix += 1
    moved = newer + [os.path.join(model_dir, name) for name in BRANCH_FILES
                     if os.path.isfile(os.path.join(model_dir, name))]
    try:
        os.makedirs(folder)
        for old in moved:
            os.replace(old, os.path.join(folder, os.path.basename(old)))
    except OSError as e:
        raise write_error(folder, e) from None
    print(f'branching from {path} (iteration {iteration}): moved the other branch\'s '
          f'newer snapshot(s) {", ".join(os.path.basename(p) for p in newer)} and its model '
          f'files to {folder}')
    trainer.get_extension('ModelDirWriter')(trainer)  # this branch's, for plot.py meanwhile
    return folder
