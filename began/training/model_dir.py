"""Saving and loading weights, snapshots and model directories safely.

Chainer's own ``load_npz`` lets NumPy unpickle objects, so a crafted file
could run code when loaded. People share trained model directories, so every
load here reads with pickling disabled and refuses a file that needs it.
Every save writes a temporary file and renames it, so a crash at any moment
leaves the previous file whole; a save that fails (a full disk) removes its
temporary file and raises WriteError, which stops training.
"""
import contextlib
import gc
import json
import os
import signal
import sys
import warnings
import zipfile
import zlib

import numpy
from chainer import serializers

from began.config import CONFIG_FILE, Config
from began.errors import BeganError, ConfigError, ModelLoadError

GENERATOR_FILE = 'generator.npz'
DISCRIMINATOR_FILE = 'discriminator.npz'


class WriteError(BeganError):
    """A model, log or snapshot file that could not be written (a full or
    read-only disk): the run stops rather than lose its work silently."""


def write_error(path, error):
    """WriteError for the OSError ``error`` met writing ``path``."""
    return WriteError(f'could not write {path} ({error.strerror or error})')


def write_atomic(path, write, tmp=None, mode='wb'):
    """write(file) to a temporary file (``tmp``, default beside ``path``),
    fsynced, then renamed: the name only ever holds a whole file. An
    OSError becomes WriteError, the temporary file removed."""
    tmp = tmp or f'{path}.tmp{os.getpid()}'
    try:
        try:
            with open(tmp, mode) as f:
                write(killed_partway(f, path))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            return path
        except OSError as e:
            error = write_error(path, e)
            _collect_quietly(e)
        except BaseException as e:  # a second Ctrl-C mid-write: it goes on up
            _collect_quietly(e)
            raise
        raise error  # outside the except: the OSError's frames are gone
    finally:
        with contextlib.suppress(OSError):
            os.remove(tmp)


def _collect_quietly(error):
    """NumPy's zip writer that failed mid-write (a full disk, an interrupt)
    stays in the error's frames; collected later, its __del__ fails again on the closed
    file and Python prints "Exception ignored in ZipFile.__del__" with a
    traceback. The failure is reported once (WriteError, or the interrupt's
    one line): collect it now, quietly."""
    hook, sys.unraisablehook = sys.unraisablehook, lambda unraisable: None
    try:
        while error is not None:
            error.__traceback__ = None
            error = error.__context__
        gc.collect()
    finally:
        sys.unraisablehook = hook


def save_npz_atomic(path, obj, tmp=None):
    """``serializers.save_npz`` (uncompressed) through write_atomic."""
    return write_atomic(path, lambda f: serializers.save_npz(f, obj, compression=False), tmp)


def save_config(model_dir, config):
    """model.json through write_atomic."""
    text = json.dumps(config.to_dict(), indent=2, sort_keys=True) + '\n'
    return write_atomic(os.path.join(model_dir, CONFIG_FILE), lambda f: f.write(text),
                        mode='w')


#: Tests only: "NAME:N" kills this process (SIGKILL) once N bytes of the file
#: named NAME are written: a crash in the middle of a save, at a chosen byte.
KILL_PARTWAY = 'BEGAN_TEST_KILL_PARTWAY'


def killed_partway(f, path):
    """``f``, or, when the test variable KILL_PARTWAY names ``path``'s file,
    ``f`` whose N-th byte written is its process's last."""
    name, _, at = os.environ.get(KILL_PARTWAY, '').partition(':')
    return _KilledPartway(f, int(at)) if name == os.path.basename(path) else f


class _KilledPartway:
    def __init__(self, f, left):
        self._f, self._left = f, left

    def write(self, data):
        if len(data) >= self._left:
            self._f.write(data[:self._left])
            self._f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        self._left -= len(data)
        return self._f.write(data)

    def __getattr__(self, name):  # tell, seek, flush... of the file
        return getattr(self._f, name)


def read_npz(path, what='.npz file'):
    """Every array of an .npz file, read whole with pickling disabled.

    Reading every entry up front means a file that holds a pickled object
    is refused whichever entry holds it (NumPy raises before unpickling
    anything), and a truncated file fails here, before anything is loaded.
    """
    if not os.path.isfile(path):
        raise ModelLoadError(f'file not found: {path}')
    if not zipfile.is_zipfile(path):
        # Checked first: NumPy would try to unpickle a file that is no archive.
        raise ModelLoadError(f'{path} is not a readable {what} (not a whole .npz '
                             f'archive: truncated, or another kind of file)')
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as e:
        if 'pickle' in str(e):
            raise ModelLoadError(f'{path} holds a pickled object; refusing to load it '
                                 f'(it could run code)') from None
        raise ModelLoadError(f'{path} is not a readable {what} ({_first_line(e)})') from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, zlib.error) as e:
        raise ModelLoadError(f'{path} is not a readable {what} ({_first_line(e)})') from None


def load_npz_safe(path, obj, strict=True):
    """Load ``path`` into ``obj`` with pickling disabled.

    Raises ModelLoadError, one line, for a missing, corrupt or pickled file,
    and for weights of other networks (names or shapes that differ).
    """
    arrays = read_npz(path)
    try:
        serializers.NpzDeserializer(arrays, strict=strict).load(obj)
    except KeyError as e:
        problem = f'missing {e}'
    except (ValueError, TypeError) as e:
        problem = _first_line(e)
    else:
        return
    raise ModelLoadError(f'{path} does not fit these networks ({problem}); was it saved '
                         f'by another architecture, size or experiment?')


def _first_line(e):
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def save_model_dir(model_dir, config, generator, discriminator):
    """model.json + generator.npz + discriminator.npz, each written atomically."""
    try:
        os.makedirs(model_dir, exist_ok=True)
    except OSError as e:
        raise write_error(model_dir, e) from None
    save_config(model_dir, config)
    save_npz_atomic(os.path.join(model_dir, GENERATOR_FILE), generator)
    save_npz_atomic(os.path.join(model_dir, DISCRIMINATOR_FILE), discriminator)


def load_model_dir(model_dir, experiment=None):
    """(config, generator, discriminator) read back from a model directory."""
    from began.nets import build_models
    if not os.path.exists(model_dir):
        raise ConfigError(f'model directory not found: {model_dir}')
    if not os.path.isdir(model_dir):
        raise ConfigError(f'model directory is not a folder: {model_dir}')
    config = Config.load(model_dir)
    if experiment is not None and config.experiment != experiment:
        raise ConfigError(f'{model_dir} holds a model of the {config.experiment} '
                          f'experiment, not of {experiment}')
    generator, discriminator = build_models(config)
    for name, link in ((GENERATOR_FILE, generator), (DISCRIMINATOR_FILE, discriminator)):
        path = os.path.join(model_dir, name)
        load_npz_safe(path, link)
        if not all(numpy.isfinite(param.array).all() for param in link.params()):
            warnings.warn(f'{path} holds NaN or Inf weights (the run diverged?); what it '
                          f'draws and the scores of its samples mean nothing')
    return config, generator, discriminator
