"""Turn any folder tree of images into an in-memory BEGAN training set.

Every image under the folder (recursively, in sorted order) is converted to
RGB, centre-cropped to a square, resized to ``size`` x ``size`` and stored in
ONE ``uint8`` array of shape ``(N, 3, size, size)``.  Keeping the pixels as
``uint8`` instead of ``float32`` makes the array four times smaller (47,000
images at 96x96 are 1.3 GB instead of 5.2 GB); scaling to ``[-1, 1]`` is done
per batch with :func:`to_float`.

The first load decodes every file (with a progress line on stderr) and then
writes a ``.npz`` cache (:mod:`began.data.image_cache`) keyed on the relative
file paths, their sizes and mtimes and ``size``.  Later loads only ``stat``
the files and read the cache.

Files that cannot be read are skipped and named in one warning.  A folder that
does not exist, is not a folder or holds no usable image raises
:class:`began.errors.DataError` with a one-line message.
"""

import os
import sys
import time
import warnings

import chainer
import numpy
from PIL import Image

from began.data.image_cache import CACHE_DIR_NAME, FolderCache
from began.errors import DataError, warn_caller

__all__ = [
    'IMAGE_EXTENSIONS',
    'SkippedImagesWarning',
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
    warn_caller('skipped {} unreadable image(s) of {} under {}: {}'.format(
        len(skipped), total, image_dir, _describe(skipped)), SkippedImagesWarning)


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
    rel_paths = _images_to_load(image_dir)
    if cache:
        loaded = _load_through_cache(image_dir, rel_paths, size, cache_dir, progress)
    else:
        loaded = _decode_all(image_dir, rel_paths, size, progress)
    skipped = loaded[2]
    if skipped:
        _warn_skipped(image_dir, skipped, len(rel_paths))
    return loaded


def _images_to_load(image_dir):
    """The relative paths of the folder's images; DataError if there is none."""
    _check_folder(image_dir)
    rel_paths = _relative_images(image_dir)
    if not rel_paths:
        raise DataError('no images ({}) found under {}'.format(
            ', '.join(IMAGE_EXTENSIONS), image_dir))
    return rel_paths


def _load_through_cache(image_dir, rel_paths, size, cache_dir, progress):
    """The cached images if the files are unchanged; else decode and cache them."""
    cache = FolderCache(image_dir, rel_paths, size, cache_dir)
    loaded = cache.read(progress)
    if loaded is None:
        loaded = _decode_all(image_dir, rel_paths, size, progress)
        cache.write(*loaded)
    return loaded


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
