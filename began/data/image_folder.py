"""Turn any folder tree of images into an in-memory BEGAN training set.

Every image under the folder (recursively, in sorted order) is converted to
RGB, centre-cropped to a square, resized to ``size`` x ``size`` and stored in
ONE ``uint8`` array of shape ``(N, 3, size, size)``.  Keeping the pixels as
``uint8`` instead of ``float32`` makes the array four times smaller (47,000
images at 96x96 are 1.3 GB instead of 5.2 GB); scaling to ``[-1, 1]`` is done
per batch with :func:`to_float`.

The first load decodes every file (with a progress line on stderr) and then
writes a ``.npz`` cache keyed on the relative file paths, their sizes and
mtimes and ``size``.  Later loads only ``stat`` the files and read the cache.

Files that cannot be read are skipped and named in one warning.  A folder that
does not exist, is not a folder or holds no usable image raises
:class:`began.errors.DataError` with a one-line message.
"""

import hashlib
import json
import os
import re
import sys
import tempfile
import time
import warnings

import chainer
import numpy
from PIL import Image

from began.errors import DataError

__all__ = [
    'IMAGE_EXTENSIONS',
    'SkippedImagesWarning',
    'CacheWarning',
    'list_images',
    'load_image',
    'load_image_folder',
    'ImageFolderDataset',
    'to_float',
    'to_uint8',
]

#: File extensions (lower case, without the dot) that are treated as images.
#: Matching is case-insensitive; every other file is ignored.
IMAGE_EXTENSIONS = ('png', 'jpg', 'jpeg', 'webp', 'bmp', 'gif')

#: Name of the cache folder created inside the image folder by default.
CACHE_DIR_NAME = '.began_cache'

# Bump this whenever the decoding changes, so that old caches are not reused.
_CACHE_VERSION = 1
_CACHE_FILE_RE = re.compile(r'^[0-9a-f]{40}\.npz$')
_MAX_NAMED = 10
# Reduce by an integer factor first while at least this many times `size`.
_REDUCING_GAP = 3

# PIL's Exif orientation tag and the transposition that undoes each value.
_ORIENTATION_TAG = 0x0112
_ORIENTATION_OPS = {
    2: Image.FLIP_LEFT_RIGHT,
    3: Image.ROTATE_180,
    4: Image.FLIP_TOP_BOTTOM,
    5: Image.TRANSPOSE,
    6: Image.ROTATE_270,
    7: Image.TRANSVERSE,
    8: Image.ROTATE_90,
}


class SkippedImagesWarning(UserWarning):
    """Files with an image extension that could not be read were skipped."""


class CacheWarning(UserWarning):
    """The decoded-image cache could not be read or written."""


# ---------------------------------------------------------------------------
# Listing
# ---------------------------------------------------------------------------

def _is_image_name(name):
    ext = os.path.splitext(name)[1]
    return ext[1:].lower() in IMAGE_EXTENSIONS


def _check_folder(image_dir):
    if not os.path.exists(image_dir):
        raise DataError('image folder not found: {}'.format(image_dir))
    if not os.path.isdir(image_dir):
        raise DataError('image folder is not a folder: {}'.format(image_dir))


def _relative_images(image_dir):
    """Sorted relative paths ('/'-separated) of the images under image_dir."""
    found = []
    for root, dirs, files in os.walk(image_dir):
        dirs[:] = sorted(d for d in dirs if d != CACHE_DIR_NAME)
        rel_root = os.path.relpath(root, image_dir)
        for name in files:
            if _is_image_name(name):
                rel = name if rel_root == os.curdir else os.path.join(
                    rel_root, name)
                found.append(rel.replace(os.sep, '/'))
    found.sort()
    return found


def list_images(image_dir):
    """Return the paths of all images under ``image_dir``, sorted.

    The folder is searched recursively (the cache folder excepted); files are
    selected by extension (see :data:`IMAGE_EXTENSIONS`, case-insensitive).
    The order is the sorted order of the paths relative to ``image_dir``, so
    it does not depend on the file system.  Raises :class:`DataError` if
    ``image_dir`` is missing or not a folder; an empty list means no image.
    """
    image_dir = os.fspath(image_dir)
    _check_folder(image_dir)
    return [os.path.join(image_dir, *rel.split('/'))
            for rel in _relative_images(image_dir)]


# ---------------------------------------------------------------------------
# Decoding one image
# ---------------------------------------------------------------------------

def _sixteen_bit_to_l(im):
    """'I;16*' / 'I' (16-bit data) -> 'L', scaling 0..65535 to 0..255."""
    a = numpy.asarray(im)
    a = numpy.clip(a, 0, 65535).astype(numpy.float32)
    a = numpy.rint(a * (255.0 / 65535.0)).astype(numpy.uint8)
    return Image.fromarray(a, 'L')


def _float_to_l(im):
    a = numpy.asarray(im, dtype=numpy.float32)
    a = numpy.nan_to_num(a)
    if a.size and a.max() <= 1.0:
        a = a * 255.0
    return Image.fromarray(numpy.rint(numpy.clip(a, 0, 255)).astype(
        numpy.uint8), 'L')


def _resizable(im):
    """Return im in one of 'L', 'RGB', 'LA', 'RGBA' (alpha not yet removed).

    Images that are already in one of these modes are returned unchanged (no
    copy), so a large RGB or L image is only copied once it has been reduced.
    """
    mode = im.mode
    if 'transparency' in im.info and mode in ('1', 'L', 'P', 'RGB'):
        # Palette or colour-key transparency: let PIL build the alpha band.
        return im.convert('RGBA')
    if mode in ('L', 'RGB', 'LA', 'RGBA'):
        return im
    if mode == '1':
        return im.convert('L')
    if mode.startswith('I;16') or mode == 'I':
        return _sixteen_bit_to_l(im)
    if mode == 'F':
        return _float_to_l(im)
    if mode in ('PA', 'La', 'RGBa'):
        return im.convert('RGBA')
    if mode == 'P':
        return im.convert('RGB')
    # CMYK, YCbCr, LAB, HSV, RGBX, ...
    return im.convert('RGB')


def _flatten(im):
    """'L' / 'RGB' / 'LA' / 'RGBA' -> 'RGB', compositing alpha over white."""
    if im.mode in ('LA', 'RGBA'):
        rgba = im.convert('RGBA')
        white = Image.new('RGBA', rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert('RGB')
    if im.mode != 'RGB':
        return im.convert('RGB')
    return im


def _centre_square(width, height):
    side = min(width, height)
    left = (width - side) // 2
    top = (height - side) // 2
    return (left, top, left + side, top + side)


def load_image(path, size):
    """Decode one image file to a ``uint8`` array of shape (3, size, size).

    The image is converted to RGB (transparent parts over white, 16-bit data
    scaled to 8 bits, EXIF orientation applied), centre-cropped to a square
    and resized with a Lanczos filter.  Large images are first reduced by an
    integer factor (JPEG files are even decoded at a reduced scale), so huge
    files do not need much memory.  Raises an exception (``OSError``,
    ``ValueError``, ``PIL.Image.DecompressionBombError``, ...) if the file is
    unreadable.
    """
    size = int(size)
    if size < 1:
        raise ValueError('size must be positive, got {}'.format(size))
    with warnings.catch_warnings():
        # We never keep the full-size image, so the "bomb" warning for big
        # (but below the DecompressionBombError limit) images is just noise.
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        with Image.open(path) as im:
            width, height = im.size
            if width < 1 or height < 1:
                raise ValueError('image has no pixels')
            # JPEG (and MPO) files: decode at 1/2, 1/4 or 1/8 scale while the
            # short side stays at least ``size``.  A no-op for other formats.
            side = min(width, height)
            im.draft(None, (max(1, width * size // side),
                            max(1, height * size // side)))
            im.load()
            try:  # after draft(): PNG's getexif() would load the full image
                orientation = im.getexif().get(_ORIENTATION_TAG)
            except Exception:
                orientation = None
            img = _resizable(im)
            box = _centre_square(*img.size)
            # Crop exactly (the filter must not reach outside the square);
            # big images are box-averaged by an integer factor first, which
            # crops at the same time without copying the whole image.
            factor = (box[2] - box[0]) // (size * _REDUCING_GAP)
            if factor > 1:
                img = img.reduce(factor, box=box)
            elif box != (0, 0) + img.size:
                img = img.crop(box)
            img = img.resize((size, size), Image.LANCZOS)
    img = _flatten(img)
    op = _ORIENTATION_OPS.get(orientation)
    if op is not None:
        img = img.transpose(op)
    arr = numpy.asarray(img, dtype=numpy.uint8)
    return numpy.ascontiguousarray(arr.transpose(2, 0, 1))


def read_image(path, size):
    """:func:`load_image` for one file a user named: every way it can fail
    is a :class:`DataError` that names the file."""
    try:
        return load_image(path, size)
    except FileNotFoundError:
        raise DataError(f'image not found: {path}') from None
    except IsADirectoryError:
        raise DataError(f'{path} is a folder, not an image') from None
    except Image.UnidentifiedImageError:
        raise DataError(f'{path} is not an image (or not one Pillow can read)') from None
    except Exception as e:  # truncated, unreadable, bomb, ...
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f'cannot read the image {path} ({reason})') from None


# ---------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------

def _user_cache_dir():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'began')


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


# ---------------------------------------------------------------------------
# Decoding a folder
# ---------------------------------------------------------------------------

class _Progress(object):
    """'decoding images: i/n' on stderr, rewritten in place a few times/s."""

    def __init__(self, total, enabled, stream=None):
        self.total = total
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        try:
            tty = self.stream.isatty()
        except Exception:
            tty = False
        self.interval = 0.25 if tty else 5.0
        self.start = time.monotonic()
        self.last = None

    def update(self, done):
        if not self.enabled:
            return
        now = time.monotonic()
        if self.last is not None and now - self.last < self.interval:
            return
        self.last = now
        self._write('\rdecoding images: {}/{}'.format(done, self.total))

    def close(self, done):
        if not self.enabled:
            return
        self._write('\rdecoding images: {}/{} ({:.1f} s)\n'.format(
            done, self.total, time.monotonic() - self.start))

    def _write(self, text):
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:
            pass


def _describe(names):
    shown = ', '.join(names[:_MAX_NAMED])
    if len(names) > _MAX_NAMED:
        shown += ' and {} more'.format(len(names) - _MAX_NAMED)
    return shown


def _warn_skipped(image_dir, skipped, total):
    warnings.warn(
        'skipped {} unreadable image(s) of {} under {}: {}'.format(
            len(skipped), total, image_dir, _describe(skipped)),
        SkippedImagesWarning, stacklevel=4)


def _decode_all(image_dir, rel_paths, size, progress):
    n = len(rel_paths)
    images = numpy.empty((n, 3, size, size), dtype=numpy.uint8)
    files, skipped, first_error = [], [], None
    bar = _Progress(n, progress)
    bar.update(0)
    for i, rel in enumerate(rel_paths):
        try:
            images[len(files)] = load_image(
                os.path.join(image_dir, *rel.split('/')), size)
            files.append(rel)
        except Exception as e:  # corrupt, truncated, bomb, ... -> skip
            skipped.append(rel)
            if first_error is None:
                first_error = '{}: {}'.format(rel, str(e).splitlines()[0]
                                              if str(e) else type(e).__name__)
        bar.update(i + 1)
    bar.close(n)
    if not files:
        raise DataError('none of the {} images under {} could be read '
                        '(e.g. {})'.format(n, image_dir, first_error))
    if len(files) < n:
        # Shrink in place; nothing else references the array yet.
        images.resize((len(files), 3, size, size), refcheck=False)
    return images, files, skipped


def _load(image_dir, size=96, cache=True, cache_dir=None, progress=True):
    """Return (images, relative file paths, skipped relative paths)."""
    image_dir = os.fspath(image_dir)
    size = int(size)
    if size < 1:
        raise ValueError('size must be positive, got {}'.format(size))
    _check_folder(image_dir)
    rel_paths = _relative_images(image_dir)
    if not rel_paths:
        raise DataError('no images ({}) found under {}'.format(
            ', '.join(IMAGE_EXTENSIONS), image_dir))

    if not cache:
        images, files, skipped = _decode_all(image_dir, rel_paths, size,
                                             progress)
        if skipped:
            _warn_skipped(image_dir, skipped, len(rel_paths))
        return images, files, skipped

    key = _cache_key(rel_paths, image_dir, size)
    name = key + '.npz'
    if cache_dir is not None:
        candidates = [os.fspath(cache_dir)]
    else:
        candidates = [os.path.join(image_dir, CACHE_DIR_NAME),
                      _user_cache_dir()]

    for directory in candidates:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        t0 = time.monotonic()
        try:
            images, files, skipped = _read_cache(path, key, size)
        except Exception as e:
            warnings.warn('ignoring unreadable image cache {} ({}: {}); '
                          'decoding the images again'.format(
                              path, type(e).__name__, e),
                          CacheWarning, stacklevel=3)
            continue
        if progress:
            sys.stderr.write('loaded {} images from cache {} ({:.1f} s)\n'
                             .format(len(files), path,
                                     time.monotonic() - t0))
            sys.stderr.flush()
        if skipped:
            _warn_skipped(image_dir, skipped, len(rel_paths))
        return images, files, skipped

    images, files, skipped = _decode_all(image_dir, rel_paths, size, progress)
    if skipped:
        _warn_skipped(image_dir, skipped, len(rel_paths))

    root = os.path.realpath(image_dir)
    errors = []
    for directory in candidates:
        if not _usable_dir(directory):
            errors.append('{}: not writable'.format(directory))
            continue
        try:
            _write_cache(directory, key, images, files, skipped, root, size)
            break
        except Exception as e:
            errors.append('{}: {}'.format(directory, e))
    else:
        warnings.warn('could not write the image cache ({}); the images will '
                      'be decoded again next time'.format('; '.join(errors)),
                      CacheWarning, stacklevel=3)
    return images, files, skipped


def load_image_folder(image_dir, size=96, cache=True, cache_dir=None,
                      progress=True):
    """Load every image under ``image_dir`` as a ``uint8`` (N, 3, size, size).

    Args:
        image_dir: folder searched recursively for images.
        size: side of the square output images.
        cache: if true, read the decoded array from the cache when the files
            are unchanged, and write the cache after decoding.
        cache_dir: folder for cache files.  By default
            ``<image_dir>/.began_cache/`` if it can be written, else
            ``~/.cache/began/`` (``$XDG_CACHE_HOME/began`` if set).
        progress: show a progress line on stderr while decoding.

    Unreadable files are skipped and named in one
    :class:`SkippedImagesWarning`.  Raises :class:`DataError` if the folder
    is missing, is not a folder or holds no readable image.
    """
    return _load(image_dir, size, cache, cache_dir, progress)[0]


class ImageFolderDataset(chainer.dataset.DatasetMixin):
    """Images of a folder tree as a Chainer dataset of uint8 CHW arrays.

    ``images`` holds the whole set as one ``uint8`` array (N, 3, size, size);
    ``files`` holds the path of each image relative to ``image_dir``.
    Use :func:`to_float` on a batch to get float32 values in [-1, 1].
    """

    def __init__(self, image_dir, size=96, cache=True, cache_dir=None,
                 progress=True):
        self.image_dir = os.fspath(image_dir)
        self.size = int(size)
        self.images, self.files, self.skipped = _load(
            self.image_dir, self.size, cache, cache_dir, progress)

    def __len__(self):
        return len(self.images)

    def get_example(self, i):
        return self.images[i]


# ---------------------------------------------------------------------------
# Scaling helpers
# ---------------------------------------------------------------------------

def to_float(batch, xp=None):
    """uint8 images (numpy or cupy) -> float32 in [-1, 1].

    0 maps to -1 and 255 to 1 exactly.  The result is on the batch's device
    unless ``xp`` is given: ``to_float(numpy_batch, cupy)`` moves the uint8
    batch to the GPU (4x less to transfer than float32) and scales it there.
    """
    if xp is None:
        xp = chainer.backend.get_array_module(batch)
    elif xp is numpy:
        batch = chainer.backend.CpuDevice().send(batch)
    x = xp.asarray(batch).astype(xp.float32)
    x /= 127.5
    x -= 1.0
    return x


def to_uint8(batch):
    """Float images in [-1, 1] -> uint8 in [0, 255] (clipped and rounded).

    Accepts numpy or cupy arrays or a ``chainer.Variable``; the result stays
    on the same device (use ``chainer.backend.CpuDevice().send`` for numpy).
    NaN becomes 0.
    """
    if isinstance(batch, chainer.Variable):
        batch = batch.array
    xp = chainer.backend.get_array_module(batch)
    x = (xp.asarray(batch, dtype=xp.float32) + 1.0) * 127.5
    x = xp.nan_to_num(x, nan=0.0)
    x = xp.clip(xp.rint(x), 0, 255)
    return x.astype(xp.uint8)
