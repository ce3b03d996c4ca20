"""What every script stands on: argparse whose bad values are one line,
user-fixable errors and warnings printed as one line each, and the check
that an output folder can be written before the first write. Low in the
tree, so that the library's own command lines (pictures/html_index.py) need
not reach up to cli.py."""
import argparse
import errno
import os
import sys
import warnings

from began.errors import BeganError, ConfigError


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad value is one line, not usage + error."""

    def error(self, message):
        self.exit(2, f'{self.prog}: error: {message} (see --help)\n')


def fail(message):
    """Print a one-line error and exit with status 2."""
    sys.stderr.write(f'error: {message}\n')
    sys.exit(2)


def one_line_warning(message, category, filename, lineno, file=None, line=None):
    """warnings.showwarning for the scripts: 'warning: ...', no source line."""
    (file or sys.stderr).write(f'warning: {message}\n')


# A disk that is full or read-only: the user's to fix, not a bug.
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def guarded(main):
    """Run ``main``; user-fixable errors become one line on stderr (status
    2), among them a full or read-only disk wherever a script meets it (the
    files written before stay whole: every writer writes atomically),
    warnings one line each, and Ctrl-C outside the training loop (which
    handles it itself) a one-line notice (status 130)."""
    def wrapper(argv=None):
        with warnings.catch_warnings():
            warnings.showwarning = one_line_warning
            try:
                return main(argv)
            except BeganError as e:
                fail(str(e))
            except OSError as e:
                if e.errno not in DISK_ERRNOS:
                    raise
                fail(f'could not write {e.filename or "an output file"} ({e.strerror})')
            except KeyboardInterrupt:
                sys.stderr.write('error: interrupted (snapshots already written are kept)\n')
                sys.exit(130)
    wrapper.__doc__ = main.__doc__
    return wrapper


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def open_output(path, what='output folder'):
    """Make the output folder: the first write, once every input was read."""
    check_writable(path, what)
    os.makedirs(path, exist_ok=True)
    return path


def check_writable(path, what):
    """Raise ConfigError unless ``path`` is a folder we can write in, or one
    we could make. Creates nothing: a probe file is written in the nearest
    existing folder and removed."""
    existing = os.path.abspath(path)
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        where = '' if existing == os.path.abspath(path) else f'{existing} '
        raise ConfigError(f'cannot write to the {what} {path} ({where}is a file, not a folder)')
    probe = os.path.join(existing, f'.write-test-{os.getpid()}')
    try:
        with open(probe, 'w'):
            pass
        os.remove(probe)
    except OSError as e:
        raise ConfigError(f'cannot write to the {what} {path} ({e.strerror or e})') from None
