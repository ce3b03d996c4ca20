"""Saving and loading weights, snapshots and model directories safely.

Chainer's own ``load_npz`` lets NumPy unpickle objects, so a crafted file
could run code when loaded. People share trained model directories, so every
load here reads with pickling disabled and refuses a file that needs it.
Every save writes a temporary file and renames it, so a crash at any moment
leaves the previous file whole.
"""
import os
import zipfile

import numpy
from chainer import serializers

from began.config import Config
from began.errors import ConfigError, ModelLoadError

GENERATOR_FILE = 'generator.npz'
DISCRIMINATOR_FILE = 'discriminator.npz'


def save_npz_atomic(path, obj):
    """``serializers.save_npz`` through a temporary file and a rename."""
    tmp = f'{path}.tmp{os.getpid()}'
    try:
        with open(tmp, 'wb') as f:
            serializers.save_npz(f, obj, compression=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_npz_safe(path, obj, strict=True):
    """Load ``path`` into ``obj`` with pickling disabled.

    Raises ModelLoadError, one line, for a missing, corrupt or pickled file,
    and for weights of other networks (names or shapes that differ).
    """
    if not os.path.isfile(path):
        raise ModelLoadError(f'file not found: {path}')
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            serializers.NpzDeserializer(npz, strict=strict).load(obj)
    except ValueError as e:
        if 'allow_pickle' in str(e) or 'pickled' in str(e):
            raise ModelLoadError(
                f'{path} holds a pickled object; refusing to load it '
                f'(it could run code)') from None
        raise ModelLoadError(f'{path} does not fit these networks ({_first_line(e)})') from None
    except KeyError as e:
        raise ModelLoadError(
            f'{path} does not fit these networks (missing {_first_line(e)}); '
            f'was it saved by another architecture, size or experiment?') from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ModelLoadError(f'{path} is not a readable .npz file ({_first_line(e)})') from None


def _first_line(e):
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def save_model_dir(model_dir, config, generator, discriminator):
    """model.json + generator.npz + discriminator.npz, each written atomically."""
    os.makedirs(model_dir, exist_ok=True)
    config.save(model_dir)
    save_npz_atomic(os.path.join(model_dir, GENERATOR_FILE), generator)
    save_npz_atomic(os.path.join(model_dir, DISCRIMINATOR_FILE), discriminator)


def load_model_dir(model_dir, experiment=None):
    """(config, generator, discriminator) read back from a model directory."""
    from began.models import build_models
    if not os.path.isdir(model_dir):
        raise ConfigError(f'model directory not found: {model_dir}')
    config = Config.load(model_dir)
    if experiment is not None and config.experiment != experiment:
        raise ConfigError(f'{model_dir} holds a {config.experiment} model, '
                          f'not a {experiment} one')
    generator, discriminator = build_models(config)
    load_npz_safe(os.path.join(model_dir, GENERATOR_FILE), generator)
    load_npz_safe(os.path.join(model_dir, DISCRIMINATOR_FILE), discriminator)
    return config, generator, discriminator
