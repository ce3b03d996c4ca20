"""Assembling and running a BEGAN Trainer: its extensions, triggers, and a
clean stop on Ctrl-C, SIGTERM or a failing guard."""
import math
import os
import signal
import sys

import chainer
import numpy
from chainer import training
from chainer.training import extensions, triggers
from chainer.training import util as trigger_util

from began import fast_cpu
from began.errors import BeganError, EarlyFailureError
from began.fast_cpu.adam import Adam
from began.training.average import extend_average
from began.training.extensions import LogReport, ModelDirWriter, PlotReport
from began.training.guards import (K_STUCK_MIN_UPDATES, DivergenceGuard, EarlyCheck,
                                   KStuckWarning, iterations_per_epoch)
from began.training.lr_schedule import AnnealLR, HalveLROnStall
from began.training.parallel import Solo
from began.training.snapshots import (remove_stale_temp_files, snapshot, snapshot_path,
                                      with_kept_snapshot)

LOSS_KEYS = ['loss_real', 'loss_fake', 'loss_d', 'loss_g']


def make_optimizer(config, link, lr=None):
    """Adam with gradient-norm clipping, as in the post (``lr``: config.lr;
    Chainer's Adam, its CPU update in cache-sized slices: began.fast_cpu.adam)."""
    optimizer = Adam(alpha=lr or config.lr, beta1=config.beta1)
    optimizer.setup(link)
    optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(config.grad_clip))
    return optimizer


#: Rows of the log (and points of each curve) in a whole run, at most about.
MAX_LOG_ROWS = 5000


def log_interval(iterations_per_epoch, epochs, every=100):
    """Updates between log rows: ``every``, or one epoch when epochs are
    shorter, and coarser when the run is long: Chainer rewrites the whole
    log and redraws every curve at each row, so a row's cost grows with
    the rows before it (measured: benchmarks/results/design_measurements.md)."""
    per_epoch = max(1, int(iterations_per_epoch))
    return max(1, min(every, per_epoch), -(-per_epoch * epochs // MAX_LOG_ROWS))


def picture_trigger(config):
    """Epoch 1, every plot_interval epochs, and the last epoch."""
    points = {1, config.epochs, *range(config.plot_interval, config.epochs + 1,
                                       config.plot_interval)}
    return triggers.ManualScheduleTrigger(sorted(points), 'epoch')


class EitherTrigger:
    """Fires when either trigger fires. Both are called every time, as each
    keeps its own state. The log uses it so that every picture epoch (and
    so the last one) has a row holding that epoch's scores."""

    def __init__(self, first, second):
        self.first = trigger_util.get_trigger(first)
        self.second = trigger_util.get_trigger(second)

    def __call__(self, trainer):
        fired = self.first(trainer)
        return self.second(trainer) or fired

    def serialize(self, serializer):
        for name in ('first', 'second'):
            trigger = getattr(self, name)
            if hasattr(trigger, 'serialize'):
                trigger.serialize(serializer[name])


class StopTrigger:
    """The run's length, plus an early stop: requested by Ctrl-C or SIGTERM
    (``signal``), or by a guard that found the run failing (``failure``).
    The loop then ends after the current iteration's extensions, so the
    snapshot written then is consistent. In a data-parallel run (``group``)
    every process stops after the same iteration.

    run()'s signal handler sets ``received`` at any moment, even while the
    processes agree; it is read here and never written, so a signal that
    lands during one agreement counts at the next (written back, it could
    be lost: the processes then trained on, and the job never ended)."""

    def __init__(self, inner, group=None):
        self.inner, self.signal, self.failure, self.received = inner, None, None, None
        self.group = group or Solo()

    @property
    def requested(self):
        return self.signal is not None or self.failure is not None

    def fail(self, failure):
        """Stop after this update; ``failure``: a BeganError (a failed
        write's), or a guard's message. The first one wins."""
        if self.failure is None:
            self.failure = (failure if isinstance(failure, BeganError)
                            else EarlyFailureError(failure))

    def __call__(self, trainer):
        self.signal = self.group.agreed_signal(self.received)
        self.failure = self.group.agreed_failure(self.failure)
        return self.requested or self.inner(trainer)

    def __getattr__(self, name):  # get_training_length, serialize... of the inner
        if name in ('inner', 'signal', 'failure', 'received', 'group'):
            raise AttributeError(name)
        return getattr(self.inner, name)


def build_trainer(config, iterator, generator, discriminator, device, model_dir,
                  plot_dir, pictures=(), log_trigger=(1, 'epoch'), progress=True,
                  check_examples=None, early_check_updates=None, group=None):
    """A Trainer of ``config``'s BEGAN updater, with the extensions every
    experiment shares.

    ``pictures``: experiment extensions run at picture_trigger(config).
    ``check_examples``: real examples for the early check (None: no check);
    it runs at ``early_check_updates`` or by default after the first epoch
    of at least EARLY_CHECK_MIN_UPDATES updates. (Registered either way, so
    snapshots have the same entries with and without --no-early-check.)
    ``group``: the processes of a data-parallel run (parallel.py); only
    process 0 gets the extensions that write or print.
    """
    group = group or Solo()
    if group.is_root:
        os.makedirs(plot_dir, exist_ok=True)
        remove_stale_temp_files(model_dir, plot_dir)
    updater = make_updater(config, iterator, generator, discriminator, device, group)
    # Trainer.run() makes its out folder: the model directory, process 0's alone.
    trainer = training.Trainer(updater, (config.epochs, 'epoch'),
                               out=model_dir if group.is_root else os.curdir)
    trainer.stop_trigger = StopTrigger(trainer.stop_trigger, group)
    extend_guards(trainer, iterator, check_examples, early_check_updates)
    extend_average(trainer, config)
    if group.is_root:  # the extensions that write or print
        extend_reports(trainer, config, plot_dir, pictures, log_trigger, progress)
    extend_lr_schedules(trainer, config)
    if group.is_root:
        trainer.extend(ModelDirWriter(config, model_dir), trigger=(1, 'epoch'))
        trainer.extend(snapshot(), trigger=(1, 'epoch'), name='snapshot')
    return trainer


def make_updater(config, iterator, generator, discriminator, device, group):
    """The BEGAN updater (the group's kind: one process's, or a data-parallel
    one), with G's and D's Adam."""
    if device.xp is numpy and fast_cpu.enabled():
        fast_cpu.keep_freed_memory()  # each step reuses the last one's big arrays
    return group.updater(iterator, make_optimizer(config, generator),
                         make_optimizer(config, discriminator, config.dis_lr()),
                         config, device=device)


def extend_guards(trainer, iterator, check_examples, early_check_updates):
    """The NaN/Inf stop, the k_t-stuck warning and the post's early check."""
    trainer.extend(DivergenceGuard())
    trainer.extend(KStuckWarning(max(K_STUCK_MIN_UPDATES,
                                     math.ceil(iterations_per_epoch(iterator)))))
    trainer.extend(EarlyCheck(check_examples),
                   trigger=EarlyCheck.trigger_for(iterator, early_check_updates))


def extend_reports(trainer, config, plot_dir, pictures, log_trigger, progress):
    """The log, the printed table, the progress bar, the curves and the
    experiment's pictures."""
    def log_rows():
        return EitherTrigger(log_trigger, picture_trigger(config))

    trainer.extend(LogReport(trigger=log_rows()))
    trainer.extend(extensions.PrintReport(
        ['epoch', 'iteration'] + LOSS_KEYS + ['k', 'M'] +
        [k for ext in pictures for k in getattr(ext, 'report_keys', ())] +
        ['elapsed_time']))
    if progress:
        # A trigger without state: snapshots then hold the same entries with
        # and without --no-progress, and either resumes the other quietly.
        trainer.extend(extensions.ProgressBar(update_interval=10), trigger=lambda _: True)
    for keys, name in ((LOSS_KEYS, 'losses'), (['k'], 'k'), (['M'], 'M'), (['h_std'], 'h')):
        trainer.extend(PlotReport(
            keys, 'iteration', trigger=log_rows(),
            filename=os.path.join(os.path.abspath(plot_dir), f'curve_{name}.png')),
            name=f'PlotReport_{name}')
    for ext in pictures:
        trainer.extend(ext, trigger=picture_trigger(config))


def extend_lr_schedules(trainer, config):
    """Registered on every run (patience 0: off) so every snapshot has their state."""
    trainer.extend(HalveLROnStall(config.lr_patience,
                                  d_ratio=config.dis_lr() / config.lr), name='HalveLROnStall')
    trainer.extend(AnnealLR(config), name='AnnealLR')


# --- running --------------------------------------------------------------

def run(trainer):
    """trainer.run(), stopping early and cleanly when asked.

    Ctrl-C or SIGTERM ends the loop after the current iteration and writes
    a snapshot; a second Ctrl-C interrupts at once. A guard's failure (the
    early check) also ends the loop with a snapshot, then raises
    EarlyFailureError. Returns the number of the signal that stopped
    training, or None when it ran to the end.
    """
    stop = trainer.stop_trigger

    def request_stop(signum, frame):
        if stop.received:
            raise KeyboardInterrupt
        stop.received = signum
        _say(f'\nstopping after this update ({signal.Signals(signum).name}); '
             f'a snapshot will be written\n')

    # The handlers stay until the stop's snapshot is written.
    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        # NaN and Inf are the divergence guard's to report, in one line.
        with numpy.errstate(over='ignore', invalid='ignore', divide='ignore'):
            trainer.run(show_loop_exception_msg=False)
        if not stop.requested or (stop.failure is None and finished(trainer)):
            return None
        path = snapshot_path(trainer)
        # The epoch's own snapshot may be there already; only process 0 writes.
        if stop.group.is_root and not os.path.isfile(path):
            trainer.get_extension('ModelDirWriter')(trainer)  # for plot.py meanwhile
            trainer.get_extension('snapshot')(trainer)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stop.failure is not None:
        raise with_kept_snapshot(stop.failure, trainer, path)
    print(f'snapshot written at iteration {trainer.updater.iteration}: {path}; '
          f'continue with --resume')
    return stop.signal


def _say(text):
    """stdout from a signal handler: print() there raises 'reentrant call'
    when the handler interrupted another print (then the text written
    before it may come after this)."""
    try:
        sys.stdout.flush()
    except RuntimeError:
        pass
    try:
        os.write(sys.stdout.fileno(), text.encode())
    except (AttributeError, OSError, ValueError):  # no file behind stdout
        pass


def finished(trainer):
    """Whether the run reached its length (read without calling the stop
    trigger, which would change its serialized state)."""
    length, unit = trainer.stop_trigger.get_training_length()
    updater = trainer.updater
    return (updater.epoch_detail if unit == 'epoch' else updater.iteration) >= length
