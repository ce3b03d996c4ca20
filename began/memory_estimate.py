"""Sizes that cannot fit in memory are refused from an estimate, before
anything is allocated or written: a --size, --hidden or --rows x --cols too
large for this machine is one line, not a MemoryError traceback (or the
system's out-of-memory killer) minutes later.

The estimates are lower bounds (the networks' largest layers, the pictures'
pixels): a refusal is certain, a pass is not a promise."""
import math

from began.errors import ConfigError

FLOAT = 4           # bytes of a float32
TRAINING_COPIES = 4  # weights, gradients, Adam's m and v


def available_bytes():
    """Memory this process could still get: MemAvailable + free swap (Linux),
    or None where unknown."""
    try:
        with open('/proc/meminfo') as f:
            info = {line.split(':')[0]: int(line.split()[1]) * 1024 for line in f}
        return info['MemAvailable'] + info.get('SwapFree', 0)
    except (OSError, KeyError, ValueError, IndexError):
        return None


def network_parameters(config):
    """At least this many parameters in G and D together: their Linear
    layers (and, for the paper's nets, G's convolutions)."""
    if config.arch == 'mlp':
        h, g = config.hidden, 2 * config.hidden
        return (config.n_z * g + g * g + g * 2) + 2 * (2 * h + h * h + h * config.n_h)
    if config.arch == 'blog':
        cells = (config.image_size // 16) ** 2
        return config.n_z * 512 * cells + 2 * 256 * cells * config.n_h
    if config.arch == 'paper':
        n = config.hidden
        scales = max(1, int(math.log2(max(1, config.image_size // 8))) + 1)
        return config.n_z * 64 * n + 2 * scales * 9 * n * n
    return 0


def readable(n):
    for unit in ('bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'):
        if n < 1024 or unit == 'PiB':
            return f'{n:.0f} {unit}' if unit == 'bytes' else f'{n:.1f} {unit}'
        n /= 1024


def check_fits(needed, what, advice, available=None):
    """Raise ConfigError when ``needed`` bytes exceed what is available."""
    available = available_bytes() if available is None else available
    if available is not None and needed > available:
        raise ConfigError(f'{what} needs at least {readable(needed)} of memory, and this '
                          f'machine has {readable(available)} available; {advice}')


# The options that size each architecture's networks (CLI name, Config field).
SIZE_OPTIONS = {'mlp': (('hidden', 'hidden'), ('n-h', 'n_h'), ('n-z', 'n_z')),
                'blog': (('size', 'image_size'), ('n-h', 'n_h'), ('n-z', 'n_z')),
                'paper': (('size', 'image_size'), ('hidden', 'hidden'), ('n-h', 'n_h'),
                          ('n-z', 'n_z'))}


def check_training_fits(config, available=None):
    """The networks' weights, gradients and Adam's state must fit."""
    sizes = ', '.join(f'--{name} {getattr(config, field)}'
                      for name, field in SIZE_OPTIONS.get(config.arch, ()))
    check_fits(network_parameters(config) * FLOAT * TRAINING_COPIES,
               f'training the {config.arch} networks with {sizes}', 'give smaller sizes',
               available)


def check_images_fit(count, size, what, available=None):
    """``count`` generated images of size x size (float32 RGB) must fit."""
    check_fits(count * 3 * size * size * FLOAT, what, 'ask for fewer', available)
