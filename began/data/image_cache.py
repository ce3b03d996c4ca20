"""The decoded-image cache of an image folder (:mod:`began.data.image_folder`).

One ``.npz`` file holds a folder's decoded ``uint8`` array, the relative
paths of its images and those it skipped. Its name is a key computed from the
relative file paths, their sizes and mtimes and the image size, so a changed
folder simply misses the cache; older caches of the same folder and size are
removed when a new one is written. The cache goes in ``<folder>/.began_cache/``
if that can be written, else in ``~/.cache/began/`` (``$XDG_CACHE_HOME/began``),
or in the folder the caller names. A cache that cannot be read or written is
one :class:`CacheWarning`, never an error.
"""

import hashlib
import json
import os
import re
import sys
import tempfile
import time

import numpy

from began.errors import warn_caller

#: Name of the cache folder created inside the image folder by default.
CACHE_DIR_NAME = '.began_cache'

# Bump this whenever the decoding (image_folder.load_image) changes, so that
# old caches are not reused.
_CACHE_VERSION = 1
_CACHE_FILE_RE = re.compile(r'^[0-9a-f]{40}\.npz$')


class CacheWarning(UserWarning):
    """The decoded-image cache could not be read or written."""


def user_cache_dir():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'began')


class FolderCache(object):
    """The cache of one image folder's images at one size.

    ``rel_paths``: the folder's images, relative and '/'-separated, in their
    order; ``cache_dir``: the one folder to use (default: the folder's own
    cache folder, else the user's).
    """

    def __init__(self, image_dir, rel_paths, size, cache_dir=None):
        self.size = int(size)
        self.key = _cache_key(rel_paths, image_dir, self.size)
        self.root = os.path.realpath(image_dir)
        if cache_dir is not None:
            self.directories = [os.fspath(cache_dir)]
        else:
            self.directories = [os.path.join(image_dir, CACHE_DIR_NAME), user_cache_dir()]

    def read(self, progress=True):
        """(images, files, skipped) from the first cache that holds them, or
        None. An unreadable cache is a warning, and the next one is tried."""
        for directory in self.directories:
            path = os.path.join(directory, self.key + '.npz')
            if not os.path.isfile(path):
                continue
            t0 = time.monotonic()
            try:
                images, files, skipped = _read_cache(path, self.key, self.size)
            except Exception as e:
                warn_caller('ignoring unreadable image cache {} ({}: {}); decoding the '
                            'images again'.format(path, type(e).__name__, e), CacheWarning)
                continue
            if progress:
                sys.stderr.write('loaded {} images from cache {} ({:.1f} s)\n'.format(
                    len(files), path, time.monotonic() - t0))
                sys.stderr.flush()
            return images, files, skipped
        return None

    def write(self, images, files, skipped):
        """Write the cache in the first folder that takes it; if none does,
        one warning naming each folder's reason."""
        errors = []
        for directory in self.directories:
            if not _usable_dir(directory):
                errors.append('{}: not writable'.format(directory))
                continue
            try:
                _write_cache(directory, self.key, images, files, skipped, self.root,
                             self.size)
                return
            except Exception as e:
                errors.append('{}: {}'.format(directory, e))
        warn_caller('could not write the image cache ({}); the images will be decoded '
                    'again next time'.format('; '.join(errors)), CacheWarning)


def _usable_dir(path):
    """Create path if needed; True if we can write files in it."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def _cache_key(rel_paths, image_dir, size):
    entries = []
    for rel in rel_paths:
        try:
            st = os.stat(os.path.join(image_dir, *rel.split('/')))
            entries.append([rel, st.st_size, st.st_mtime_ns])
        except OSError:
            entries.append([rel, -1, -1])
    key = {'version': _CACHE_VERSION, 'size': int(size), 'files': entries}
    text = json.dumps(key, sort_keys=True, separators=(',', ':'))
    return hashlib.sha1(text.encode('utf-8')).hexdigest()


def _read_cache(path, key, size):
    """Return (images, files, skipped) from a cache file or raise."""
    with numpy.load(path, allow_pickle=False) as data:
        stored_key = str(data['key'][()])
        if stored_key != key:
            raise ValueError('cache key mismatch')
        images = data['images']
        files = [str(f) for f in data['files']]
        skipped = [str(f) for f in data['skipped']]
    if (images.dtype != numpy.uint8 or images.ndim != 4
            or images.shape[1:] != (3, size, size)
            or images.shape[0] != len(files) or not files):
        raise ValueError('unexpected content {} {}'.format(
            images.dtype, images.shape))
    return images, files, skipped


def _remove_stale(cache_dir, keep_name, root, size):
    """Delete older caches of the same folder and size in cache_dir."""
    try:
        names = os.listdir(cache_dir)
    except OSError:
        return
    for name in names:
        if name == keep_name or not _CACHE_FILE_RE.match(name):
            continue
        path = os.path.join(cache_dir, name)
        try:
            with numpy.load(path, allow_pickle=False) as data:
                same = (str(data['root'][()]) == root
                        and int(data['size'][()]) == size)
        except Exception:
            continue
        if same:
            try:
                os.remove(path)
            except OSError:
                pass


def _write_cache(cache_dir, key, images, files, skipped, root, size):
    """Write the cache file atomically and return its path; raises on error."""
    name = key + '.npz'
    final = os.path.join(cache_dir, name)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix='.npz', dir=cache_dir)
    try:
        with os.fdopen(fd, 'wb') as f:
            numpy.savez(
                f, images=images,
                files=numpy.array(files, dtype=str),
                skipped=numpy.array(skipped, dtype=str),
                key=numpy.array(key), root=numpy.array(root),
                size=numpy.array(size, dtype=numpy.int64))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    _remove_stale(cache_dir, name, root, size)
    return final
