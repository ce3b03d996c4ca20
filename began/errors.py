"""Errors a user can fix: the command-line scripts print them as one line."""


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
