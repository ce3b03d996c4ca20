"""Assembling and running a BEGAN Trainer; resuming it from a snapshot."""
import json
import os
import signal
import zipfile

import chainer
import numpy
from chainer import serializers, training
from chainer.training import extensions, triggers

from began.config import Config
from began.errors import ConfigError, ModelLoadError
from began.extensions import (DivergenceGuard, ModelDirWriter, PlotReport, snapshot,
                               snapshot_files)
from began.updater import BeganUpdater

LOSS_KEYS = ['loss_real', 'loss_fake', 'loss_d', 'loss_g']


def make_optimizer(config, link):
    """Adam with gradient-norm clipping, as in the post."""
    optimizer = chainer.optimizers.Adam(alpha=config.lr, beta1=config.beta1)
    optimizer.setup(link)
    optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(config.grad_clip))
    return optimizer


def picture_trigger(config):
    """Epoch 1, every plot_interval epochs, and the last epoch."""
    points = {1, config.epochs, *range(config.plot_interval, config.epochs + 1,
                                       config.plot_interval)}
    return triggers.ManualScheduleTrigger(sorted(points), 'epoch')


class StopTrigger:
    """The run's length, plus a stop requested by Ctrl-C or SIGTERM: the
    loop then ends after a whole update, where a snapshot is consistent."""

    def __init__(self, inner):
        self.inner, self.requested = inner, False

    def __call__(self, trainer):
        return self.requested or self.inner(trainer)

    def __getattr__(self, name):  # get_training_length etc. for ProgressBar
        return getattr(self.inner, name)


def build_trainer(config, iterator, generator, discriminator, device, model_dir,
                  plot_dir, pictures=(), log_trigger=(1, 'epoch'), progress=True):
    """A Trainer with the extensions every experiment shares.

    ``pictures``: experiment extensions run at picture_trigger(config).
    """
    os.makedirs(plot_dir, exist_ok=True)
    updater = BeganUpdater(iterator, make_optimizer(config, generator),
                           make_optimizer(config, discriminator), config, device=device)
    trainer = training.Trainer(updater, (config.epochs, 'epoch'), out=model_dir)
    trainer.stop_trigger = StopTrigger(trainer.stop_trigger)

    trainer.extend(DivergenceGuard())
    trainer.extend(extensions.LogReport(trigger=log_trigger))
    trainer.extend(extensions.PrintReport(
        ['epoch', 'iteration'] + LOSS_KEYS + ['k', 'M'] +
        [k for ext in pictures for k in getattr(ext, 'report_keys', ())] +
        ['elapsed_time']))
    if progress:
        trainer.extend(extensions.ProgressBar(update_interval=10))
    for keys, name in ((LOSS_KEYS, 'losses'), (['k'], 'k'), (['M'], 'M')):
        trainer.extend(PlotReport(
            keys, 'iteration', trigger=log_trigger,
            filename=os.path.join(os.path.abspath(plot_dir), f'curve_{name}.png')),
            name=f'PlotReport_{name}')
    for ext in pictures:
        trainer.extend(ext, trigger=picture_trigger(config))
    trainer.extend(ModelDirWriter(config, model_dir), trigger=(1, 'epoch'))
    trainer.extend(snapshot(), trigger=(1, 'epoch'), name='snapshot')
    return trainer


# --- resuming -------------------------------------------------------------

def resolve_resume(resume, model_dir):
    """--resume PATH, or 'auto': the newest snapshot in the model directory."""
    if resume is None:
        return None
    if resume != 'auto':
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
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as e:
        if 'pickle' in str(e):
            raise ModelLoadError(f'{path} holds a pickled object; refusing to load '
                                 f'it (it could run code)') from None
        raise ModelLoadError(f'{path} is not a readable snapshot ({e})') from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ModelLoadError(f'{path} is not a readable snapshot ({e})') from None


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
            print(f'warning: skipped {message}')
        return path, arrays, config
    raise ModelLoadError('no loadable snapshot: ' + '; '.join(errors))


def load_snapshot(trainer, arrays, path):
    try:
        serializers.NpzDeserializer(arrays).load(trainer)
    except (KeyError, ValueError) as e:
        raise ModelLoadError(f'{path} does not fit these networks ({e}); was it '
                             f'saved with another architecture or size?') from None


# --- running --------------------------------------------------------------

def run(trainer):
    """trainer.run() where Ctrl-C or SIGTERM ends the loop after the current
    update and writes a snapshot; a second Ctrl-C interrupts at once.
    Returns True when training stopped early on request."""
    stop = trainer.stop_trigger

    def request_stop(signum, frame):
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested = True
        print(f'\nstopping after this update ({signal.Signals(signum).name}); '
              f'a snapshot will be written', flush=True)

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        trainer.run(show_loop_exception_msg=False)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stop.requested and not stop.inner(trainer):
        trainer.get_extension('snapshot')(trainer)
        print(f'snapshot written at iteration {trainer.updater.iteration}; '
              f'continue with --resume')
        return True
    return False
