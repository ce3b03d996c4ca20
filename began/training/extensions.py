"""Trainer extensions both experiments share: the model directory writer,
a log whose failed write stops training, and curves that survive a full
disk."""
import os
import warnings

from chainer import training
from chainer.training import extensions

from began.training.average import generator_shown
from began.training.model_dir import WriteError, save_model_dir, write_error


def stop_for(trainer, error):
    """A model, log or snapshot that cannot be written is a failure, not a
    warning: training stops after this update, with a snapshot attempt."""
    trainer.stop_trigger.fail(error)


class LogReport(extensions.LogReport):
    """Chainer's LogReport; a failed write of the log file stops training
    (the entry stays in memory and in the stopping snapshot)."""

    def __call__(self, trainer):
        try:
            super().__call__(trainer)
        except OSError as e:
            self._init_summary()  # the entry was recorded; start the next one
            stop_for(trainer, write_error(os.path.join(trainer.out, self._log_name), e))


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
    """model.json + generator.npz (G's average with --g-ema) +
    discriminator.npz, every epoch; a failed write stops training."""
    priority = training.PRIORITY_WRITER - 10

    def __init__(self, config, model_dir):
        self.config, self.model_dir = config, model_dir

    def __call__(self, trainer):
        try:
            save_model_dir(self.model_dir, self.config, generator_shown(trainer),
                           trainer.updater.discriminator)
        except WriteError as e:
            stop_for(trainer, e)
