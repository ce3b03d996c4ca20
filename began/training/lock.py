"""One training run per model directory.

A run holds ``fcntl.flock`` on ``train.lock`` in its model directory from
its first write to its end. The kernel drops the lock when the process
ends however it ends (kill -9 included), so a dead run never leaves a
stale lock. The file holds the holder's PID, for the refusal's message.
The file itself is never removed: removing it while another run waits to
open it would let two runs lock two different files.
"""
import fcntl
import os
import socket

from began.errors import ConfigError
from began.training.snapshots import snapshot_files

LOCK_FILE = 'train.lock'


class ModelDirBusy(ConfigError):
    """Another run holds the model directory."""


def _holder(fd):
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode(errors='replace').strip()
    except OSError:
        text = ''
    return text or 'unknown'


def _refusal(model_dir, fd):
    return ModelDirBusy(f'{model_dir} is in use by another training run (PID '
                        f'{_holder(fd)}, {LOCK_FILE}); wait for it to end or give '
                        f'another --model-dir')


def check_free(model_dir):
    """Raise ModelDirBusy when a live run holds ``model_dir``. Writes
    nothing (a lock file that is there is opened read-only), so it can run
    while the inputs are read; hold() then takes the lock for good."""
    path = os.path.join(model_dir, LOCK_FILE)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # no lock file: no run has held this folder (or it cannot be read)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _refusal(model_dir, fd) from None
    except OSError:
        pass  # a file system without flock: hold() says so
    finally:
        os.close(fd)


class ModelDirLock:
    """The lock of one model directory, held until release() or the
    process's end (the object must stay referenced meanwhile)."""

    def __init__(self, model_dir):
        self.model_dir, self.fd = model_dir, None

    def hold(self):
        """Make the folder if needed and lock it; raise ModelDirBusy when
        another run holds it."""
        try:
            os.makedirs(self.model_dir, exist_ok=True)
            fd = os.open(os.path.join(self.model_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise ConfigError(f'cannot write to the model directory {self.model_dir} '
                              f'({e.strerror or e})') from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            error = _refusal(self.model_dir, fd)
            os.close(fd)
            raise error from None
        except OSError as e:
            os.close(fd)
            raise ConfigError(f'cannot lock the model directory {self.model_dir} '
                              f'({e.strerror or e}); it must be on a file system with '
                              f'file locks') from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f'{os.getpid()} on {socket.gethostname()}\n'.encode())
        except OSError:
            pass  # the lock holds without its note
        self.fd = fd
        return self

    def release(self):
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor drops the lock
            self.fd = None

    def __del__(self):
        self.release()


def hold(model_dir, snapshots_seen):
    """The lock of ``model_dir``, taken at a run's first write. The
    snapshots there must still be ``snapshots_seen`` (those the run chose
    from while reading its inputs): another run may have ended in between."""
    lock = ModelDirLock(model_dir).hold()
    if snapshot_files(model_dir) != snapshots_seen:
        lock.release()
        raise ConfigError(f'the snapshots in {model_dir} changed while this run started '
                          f'(another run wrote them); start it again')
    return lock
