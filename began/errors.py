"""Errors a user can fix: the command-line scripts print them as one line."""
import os
import sys
import warnings


class BeganError(Exception):
    """Base of every error that is the input's fault, not the code's."""


class ConfigError(BeganError, ValueError):
    """A hyperparameter or model.json value that cannot work."""


class ModelLoadError(BeganError):
    """A weights file or snapshot that cannot be loaded into these networks."""


class DeviceError(BeganError):
    """A --gpu value this machine cannot honour."""


class DivergenceError(BeganError):
    """Training produced NaN or Inf."""


class EarlyFailureError(BeganError):
    """D did not learn to reconstruct real data in the first epoch."""


class DataError(BeganError, ValueError):
    """Training data that cannot be used: a missing or empty folder, say."""


def warn_caller(message, category):
    """warnings.warn, attributed to the first caller outside the began
    package (the user's line that asked for the work), however deep in
    began the warning arose."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    level, frame = 2, sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)
