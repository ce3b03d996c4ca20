import os
import warnings

import chainer
import numpy
import PIL
import pytest
from PIL import Image

from began import errors
from began.data import image_cache, image_folder
from began.data.image_cache import CacheWarning
from began.data.image_folder import (
    IMAGE_EXTENSIONS, ImageFolderDataset,
    SkippedImagesWarning, list_images, load_image, load_image_folder,
    to_float, to_uint8)

SIZE = 16

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)

# Relative paths of the files _make_tree writes that must load.
GOOD = [
    '1x1.png',
    'bilevel.bmp',
    'cmyk.jpg',
    'gray.png',
    'la.png',
    'palette.gif',
    'palette_trns.png',
    'photo.JPG',
    'rgba.png',
    'sixteen.png',
    'sub/deeper/wide.webp',
    'sub/tall.jpeg',
]
# ... and those that must be skipped (named in the warning).
BAD = ['corrupt.png', 'empty.png', 'sub/truncated.jpg']


def _noise(w, h, seed=0):
    rng = numpy.random.RandomState(seed)
    return Image.fromarray(rng.randint(0, 256, (h, w, 3), dtype=numpy.uint8))


def _make_tree(root):
    """A folder with every supported format and mode plus junk."""
    os.makedirs(os.path.join(root, 'sub', 'deeper'))
    j = lambda *p: os.path.join(root, *p)  # noqa: E731
    Image.new('RGB', (1, 1), (10, 20, 30)).save(j('1x1.png'))
    Image.new('1', (20, 30), 1).save(j('bilevel.bmp'))
    Image.new('CMYK', (24, 24), (0, 255, 255, 0)).save(j('cmyk.jpg'))
    Image.new('L', (40, 20), 100).save(j('gray.png'))
    Image.new('LA', (20, 20), (0, 0)).save(j('la.png'))
    pal = Image.new('P', (20, 20), 1)
    pal.putpalette([0, 0, 0] + list(BLUE) + [0, 0, 0] * 254)
    pal.save(j('palette.gif'))
    trns = Image.new('P', (20, 20), 0)
    trns.putpalette(list(RED) * 256)
    trns.save(j('palette_trns.png'), transparency=0)
    _noise(64, 48).save(j('photo.JPG'), quality=90)
    Image.new('RGBA', (20, 20), (0, 0, 0, 0)).save(j('rgba.png'))
    Image.fromarray(numpy.full((20, 20), 65535, numpy.uint16)).save(
        j('sixteen.png'))
    Image.new('RGB', (50, 20), GREEN).save(j('sub', 'deeper', 'wide.webp'))
    Image.new('RGB', (20, 50), BLUE).save(j('sub', 'tall.jpeg'))
    # Junk: not an image, garbage with an image name, empty, truncated.
    with open(j('notes.txt'), 'w') as f:
        f.write('not an image')
    with open(j('corrupt.png'), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\nthis is no png at all' * 5)
    open(j('empty.png'), 'wb').close()
    _noise(64, 64, seed=1).save(j('sub', 'full.jpg'), quality=95)
    with open(j('sub', 'full.jpg'), 'rb') as f:
        data = f.read()
    os.remove(j('sub', 'full.jpg'))
    with open(j('sub', 'truncated.jpg'), 'wb') as f:
        f.write(data[:len(data) // 2])


@pytest.fixture
def tree(tmp_path):
    root = str(tmp_path / 'images')
    _make_tree(root)
    return root


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    """Keep the user-level fallback cache inside tmp_path."""
    path = tmp_path / 'xdg'
    monkeypatch.setenv('XDG_CACHE_HOME', str(path))
    return path


def _load(root, **kw):
    """load_image_folder recording warnings: (images, [warning, ...])."""
    kw.setdefault('progress', False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        images = load_image_folder(root, SIZE, **kw)
    return images, list(caught)


def _of(caught, category):
    return [w for w in caught if issubclass(w.category, category)]


def _write(path, color, size=(20, 20), mode='RGB'):
    Image.new(mode, size, color).save(path)


def _forbid_open(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError('an image file was opened')
    monkeypatch.setattr(Image, 'open', fail)


def _count_open(monkeypatch):
    calls = []
    real = Image.open

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)
    monkeypatch.setattr(Image, 'open', counting)
    return calls


def _cache_files(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith('.npz'))


# --------------------------------------------------------------------------
# Listing and decoding
# --------------------------------------------------------------------------

def test_list_images_recursive_sorted_and_filtered(tree):
    os.makedirs(os.path.join(tree, '.began_cache'))
    _write(os.path.join(tree, '.began_cache', 'x.png'), RED)
    paths = list_images(tree)
    rel = [os.path.relpath(p, tree).replace(os.sep, '/') for p in paths]
    assert rel == sorted(GOOD + BAD)
    assert all(os.path.isfile(p) for p in paths)
    assert set(IMAGE_EXTENSIONS) == {'png', 'jpg', 'jpeg', 'webp', 'bmp',
                                     'gif'}


def test_load_mixed_tree(tree):
    images, caught = _load(tree, cache=False)
    assert isinstance(images, numpy.ndarray)
    assert images.dtype == numpy.uint8
    assert images.shape == (len(GOOD), 3, SIZE, SIZE)
    assert images.flags['C_CONTIGUOUS']

    skipped = _of(caught, SkippedImagesWarning)
    assert len(skipped) == 1
    message = str(skipped[0].message)
    assert '\n' not in message
    assert 'skipped 3 unreadable image(s)' in message
    assert skipped[0].filename == __file__   # points at the caller
    for name in BAD:
        assert name in message
    for name in GOOD:
        assert name not in message
    assert not _of(caught, Image.DecompressionBombWarning)

    by_name = dict(zip(GOOD, images))
    px = lambda name: by_name[name][:, SIZE // 2, SIZE // 2]  # noqa: E731
    assert (by_name['1x1.png'] == numpy.array([10, 20, 30])[:, None, None]
            ).all()
    assert (by_name['bilevel.bmp'] == 255).all()
    assert (by_name['gray.png'] == 100).all()
    assert (by_name['la.png'] == 255).all()            # transparent -> white
    assert (by_name['rgba.png'] == 255).all()          # transparent -> white
    assert (by_name['palette_trns.png'] == 255).all()  # transparent index
    assert (by_name['sixteen.png'] == 255).all()       # 65535 -> 255
    assert tuple(px('palette.gif')) == BLUE
    assert numpy.abs(px('cmyk.jpg').astype(int) - RED).max() < 10
    assert numpy.abs(px('sub/deeper/wide.webp').astype(int) - GREEN).max() < 10
    assert numpy.abs(px('sub/tall.jpeg').astype(int) - BLUE).max() < 10


def test_load_image_returns_chw_uint8(tree):
    image = load_image(os.path.join(tree, 'photo.JPG'), 24)
    assert image.shape == (3, 24, 24) and image.dtype == numpy.uint8
    assert image.std() > 20   # noise survives


@pytest.mark.parametrize('name, error, message', [
    ('corrupt.png', PIL.UnidentifiedImageError, "cannot identify image file '{}'"),
    ('empty.png', PIL.UnidentifiedImageError, "cannot identify image file '{}'"),
    ('sub/truncated.jpg', OSError, 'image file is truncated')])
def test_load_image_raises_on_bad_files(tree, name, error, message):
    path = os.path.join(tree, *name.split('/'))
    with pytest.raises(error) as info:
        load_image(path, SIZE)
    assert type(info.value) is error and str(info.value).startswith(message.format(path))


@pytest.mark.parametrize('wide', [True, False])
def test_centre_crop(tmp_path, wide):
    # Thirds: red | green | blue, left to right (or top to bottom).
    a = numpy.zeros((30, 90, 3), numpy.uint8)
    a[:, :30] = RED
    a[:, 30:60] = GREEN
    a[:, 60:] = BLUE
    if not wide:
        a = a.transpose(1, 0, 2).copy()
    path = str(tmp_path / 'thirds.png')
    Image.fromarray(a).save(path)
    out = load_image(path, SIZE).astype(int)
    # The square crop is exactly the green third.
    assert (numpy.abs(out - numpy.array(GREEN)[:, None, None]) <= 2).all()


def test_crop_keeps_orientation(tmp_path):
    # Top half black, bottom half white: the result must not be transposed.
    a = numpy.zeros((32, 32), numpy.uint8)
    a[16:] = 255
    path = str(tmp_path / 'halves.png')
    Image.fromarray(a).save(path)
    out = load_image(path, SIZE)
    assert out[:, :SIZE // 2 - 2].max() < 10
    assert out[:, SIZE // 2 + 2:].min() > 245


def test_sixteen_bit_scaled_not_clipped(tmp_path):
    a = numpy.zeros((8, 24), numpy.uint16)
    a[:, :8] = 65535
    a[:, 8:16] = 32768
    a[:, 16:] = 1000
    for x0, expected in ((0, 255), (8, 128), (16, 4)):
        path = str(tmp_path / 'v{}.png'.format(x0))
        Image.fromarray(numpy.ascontiguousarray(a[:, x0:x0 + 8])).save(path)
        assert Image.open(path).mode.startswith('I')
        out = load_image(path, 4)
        assert (out == expected).all(), (x0, out.min(), out.max())


def test_mode_i_scaled_as_16_bit():
    img = image_folder._resizable(Image.new('I', (4, 4), 32768))
    assert img.mode == 'L'
    assert (numpy.asarray(img) == 128).all()
    img = image_folder._resizable(Image.new('I', (4, 4), 70000))
    assert (numpy.asarray(img) == 255).all()


def test_semi_transparent_over_white(tmp_path):
    path = str(tmp_path / 'half.png')
    Image.new('RGBA', (8, 8), (255, 0, 0, 128)).save(path)
    out = load_image(path, 4)
    assert (out[0] == 255).all()
    assert (numpy.abs(out[1:].astype(int) - 127) <= 1).all()


def test_exif_orientation_applied(tmp_path):
    a = numpy.zeros((32, 32, 3), numpy.uint8)
    a[:, :16] = 255   # stored: left half white
    img = Image.fromarray(a)
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    path = str(tmp_path / 'rotated.jpg')
    img.save(path, exif=exif.tobytes(), quality=95)
    out = load_image(path, SIZE)
    # Displayed: top half white.
    assert out[:, :SIZE // 2 - 2].min() > 200
    assert out[:, SIZE // 2 + 2:].max() < 50


def test_large_jpeg_is_decoded_reduced(tmp_path, monkeypatch):
    path = str(tmp_path / 'big.jpg')
    Image.new('RGB', (1600, 800), GREEN).save(path)
    sizes = []
    real_reduce = Image.Image.reduce

    def spy(self, *args, **kwargs):
        sizes.append(self.size)
        return real_reduce(self, *args, **kwargs)
    monkeypatch.setattr(Image.Image, 'reduce', spy)
    out = load_image(path, SIZE)
    # Decoded at 1/8 scale (JPEG draft), then reduced 2x while cropping.
    assert sizes == [(200, 100)]
    assert numpy.abs(out.astype(int) - numpy.array(GREEN)[:, None, None]
                     ).max() < 10


def test_decompression_bomb_is_skipped(tmp_path, monkeypatch):
    root = tmp_path / 'bomb'
    root.mkdir()
    _write(str(root / 'a_ok.png'), RED, size=(20, 20))
    _write(str(root / 'b_big.png'), GREEN, size=(40, 40))    # warning only
    _write(str(root / 'c_bomb.png'), BLUE, size=(100, 100))  # error
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 1000)
    images, caught = _load(str(root), cache=False)
    assert images.shape[0] == 2
    assert not _of(caught, Image.DecompressionBombWarning)
    skipped = _of(caught, SkippedImagesWarning)
    assert len(skipped) == 1 and 'c_bomb.png' in str(skipped[0].message)


def test_many_skipped_named_up_to_ten(tmp_path):
    root = tmp_path / 'many'
    root.mkdir()
    _write(str(root / 'good.png'), RED)
    for i in range(13):
        (root / 'bad{:02d}.jpg'.format(i)).write_bytes(b'junk')
    images, caught = _load(str(root), cache=False)
    assert images.shape == (1, 3, SIZE, SIZE)
    (w,) = _of(caught, SkippedImagesWarning)
    message = str(w.message)
    assert 'skipped 13 unreadable image(s)' in message
    assert 'bad09.jpg' in message and 'bad10.jpg' not in message
    assert message.endswith('and 3 more')


def test_progress_on_stderr(tree, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', SkippedImagesWarning)
        load_image_folder(tree, SIZE, cache=False, progress=True)
        err = capsys.readouterr().err
        assert '\rdecoding images: ' in err
        assert '{0}/{0}'.format(len(GOOD + BAD)) in err
        load_image_folder(tree, SIZE, cache=False, progress=False)
        assert capsys.readouterr().err == ''


# --------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------

def test_cache_hit_opens_no_image(tree, monkeypatch, xdg):
    first, caught = _load(tree)
    cache_dir = os.path.join(tree, image_cache.CACHE_DIR_NAME)
    assert len(_cache_files(cache_dir)) == 1
    assert not [n for n in os.listdir(cache_dir) if n.startswith('.tmp')]
    assert len(_of(caught, SkippedImagesWarning)) == 1

    _forbid_open(monkeypatch)
    second, caught = _load(tree)
    numpy.testing.assert_array_equal(first, second)
    assert second.dtype == numpy.uint8
    # The skipped files are still reported, once.
    (w,) = _of(caught, SkippedImagesWarning)
    assert all(name in str(w.message) for name in BAD)
    assert not _of(caught, CacheWarning)
    assert not xdg.exists()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        dataset = ImageFolderDataset(tree, SIZE, progress=False)
    assert len(dataset) == len(GOOD)
    assert dataset.files == GOOD
    assert dataset.skipped == BAD
    (w,) = _of(caught, SkippedImagesWarning)
    assert w.filename == __file__   # points at the caller


def test_cache_file_is_plain_npz(tree):
    _load(tree)
    cache_dir = os.path.join(tree, image_cache.CACHE_DIR_NAME)
    (name,) = _cache_files(cache_dir)
    assert len(name) == len('0' * 40 + '.npz')
    with numpy.load(os.path.join(cache_dir, name), allow_pickle=False) as d:
        assert d['images'].shape == (len(GOOD), 3, SIZE, SIZE)


def test_cache_invalidated_by_mtime_and_new_file(tree, monkeypatch):
    first, _ = _load(tree)
    cache_dir = os.path.join(tree, image_cache.CACHE_DIR_NAME)
    calls = _count_open(monkeypatch)

    st = os.stat(os.path.join(tree, 'gray.png'))
    os.utime(os.path.join(tree, 'gray.png'),
             ns=(st.st_atime_ns, st.st_mtime_ns + 10 ** 9))
    second, _ = _load(tree)
    assert len(calls) == len(GOOD + BAD)   # decoded again
    numpy.testing.assert_array_equal(first, second)
    # The stale cache of the same folder and size is replaced, not kept.
    assert len(_cache_files(cache_dir)) == 1

    del calls[:]
    _write(os.path.join(tree, 'sub', 'added.png'), RED)
    third, _ = _load(tree)
    assert len(calls) == len(GOOD + BAD) + 1
    assert third.shape[0] == len(GOOD) + 1

    del calls[:]
    fourth, _ = _load(tree)
    assert calls == []
    numpy.testing.assert_array_equal(third, fourth)


def test_different_size_has_its_own_cache(tree, monkeypatch):
    small, _ = _load(tree)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        big = load_image_folder(tree, 2 * SIZE, progress=False)
    assert big.shape == (len(GOOD), 3, 2 * SIZE, 2 * SIZE)
    cache_dir = os.path.join(tree, image_cache.CACHE_DIR_NAME)
    assert len(_cache_files(cache_dir)) == 2
    _forbid_open(monkeypatch)
    numpy.testing.assert_array_equal(_load(tree)[0], small)


def test_corrupt_cache_is_redecoded_with_warning(tree):
    first, _ = _load(tree)
    cache_dir = os.path.join(tree, image_cache.CACHE_DIR_NAME)
    (name,) = _cache_files(cache_dir)
    path = os.path.join(cache_dir, name)
    with open(path, 'r+b') as f:
        f.truncate(os.path.getsize(path) // 2)

    second, caught = _load(tree)
    numpy.testing.assert_array_equal(first, second)
    (w,) = _of(caught, CacheWarning)
    assert 'ignoring unreadable image cache' in str(w.message)
    assert w.filename == __file__   # points at the caller
    # ... and the cache has been rewritten.
    with numpy.load(path, allow_pickle=False) as data:
        numpy.testing.assert_array_equal(data['images'], first)

    with open(path, 'wb') as f:
        f.write(b'garbage')
    third, caught = _load(tree)
    numpy.testing.assert_array_equal(first, third)
    assert len(_of(caught, CacheWarning)) == 1


def test_failed_cache_write_leaves_nothing(tree, monkeypatch):
    def crash(*args, **kwargs):
        raise OSError('disk full')
    monkeypatch.setattr(numpy, 'savez', crash)
    user_cache = os.path.join(os.path.dirname(tree), 'user_cache')
    monkeypatch.setattr(image_cache, 'user_cache_dir', lambda: user_cache)
    images, caught = _load(tree)
    assert images.shape[0] == len(GOOD)
    (w,) = _of(caught, CacheWarning)
    assert 'could not write the image cache' in str(w.message)
    assert 'disk full' in str(w.message)
    # Neither a cache nor a temporary file is left behind.
    assert os.listdir(os.path.join(tree, image_cache.CACHE_DIR_NAME)) == []
    assert os.listdir(user_cache) == []


def test_unwritable_image_dir_falls_back_to_user_cache(tree, monkeypatch,
                                                       xdg):
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if os.path.abspath(path).startswith(os.path.abspath(tree)) and (
                mode & os.W_OK):
            return False
        return real_access(path, mode, *args, **kwargs)
    monkeypatch.setattr(os, 'access', access)

    first, caught = _load(tree)
    assert not _of(caught, CacheWarning)
    assert len(_cache_files(str(xdg / 'began'))) == 1
    assert _cache_files(os.path.join(tree, image_cache.CACHE_DIR_NAME)) == []

    _forbid_open(monkeypatch)
    numpy.testing.assert_array_equal(_load(tree)[0], first)


def test_explicit_cache_dir(tree, tmp_path, monkeypatch):
    cache_dir = tmp_path / 'my_cache'
    first, _ = _load(tree, cache_dir=str(cache_dir))
    assert len(_cache_files(str(cache_dir))) == 1
    assert not os.path.exists(os.path.join(tree, image_cache.CACHE_DIR_NAME))
    _forbid_open(monkeypatch)
    numpy.testing.assert_array_equal(
        _load(tree, cache_dir=str(cache_dir))[0], first)


def test_unwritable_explicit_cache_dir_warns_and_loads(tree, tmp_path,
                                                       monkeypatch):
    cache_dir = str(tmp_path / 'read_only')
    os.makedirs(cache_dir)
    real_access = os.access
    monkeypatch.setattr(
        os, 'access', lambda p, m, *a, **k: False
        if os.path.abspath(p) == cache_dir else real_access(p, m, *a, **k))
    images, caught = _load(tree, cache_dir=cache_dir)
    assert images.shape[0] == len(GOOD)
    (w,) = _of(caught, CacheWarning)
    assert cache_dir in str(w.message)
    assert os.listdir(cache_dir) == []


def test_cache_false_writes_nothing(tree, xdg):
    _load(tree, cache=False)
    assert not os.path.exists(os.path.join(tree, image_cache.CACHE_DIR_NAME))
    assert not xdg.exists()


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

def _data_error(path):
    with pytest.raises(errors.DataError) as info:
        _load(path)
    message = str(info.value)
    assert '\n' not in message
    assert str(path) in message
    assert isinstance(info.value, ValueError)
    return message


def test_missing_folder(tmp_path):
    path = str(tmp_path / 'nope')
    assert _data_error(path) == f'image folder not found: {path}'
    with pytest.raises(errors.DataError):
        list_images(path)


def test_path_is_a_file(tmp_path):
    path = tmp_path / 'file.png'
    _write(str(path), RED)
    assert _data_error(str(path)) == f'image folder is not a folder: {path}'


def test_empty_folder(tmp_path):
    assert _data_error(str(tmp_path)) == \
        f'no images (png, jpg, jpeg, webp, bmp, gif) found under {tmp_path}'


def test_only_non_images(tmp_path):
    (tmp_path / 'a.txt').write_text('x')
    (tmp_path / 'b.tiff').write_bytes(b'x')
    (tmp_path / 'sub').mkdir()
    assert _data_error(str(tmp_path)) == \
        f'no images (png, jpg, jpeg, webp, bmp, gif) found under {tmp_path}'


def test_only_unreadable_images(tmp_path):
    for name in ('a.png', 'b.jpg', 'c.gif', 'd.webp', 'e.bmp'):
        (tmp_path / name).write_bytes(b'not an image')
    message = _data_error(str(tmp_path))
    assert message.startswith(f'none of the 5 images under {tmp_path} could be read (e.g. ')
    assert not os.path.exists(str(tmp_path / image_cache.CACHE_DIR_NAME))


def test_every_folder_error_is_caught_as_the_one_data_error(tmp_path):
    """The scripts catch errors.DataError (a BeganError): the image folder
    raises that class, not one of its own."""
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'bad').mkdir()
    (tmp_path / 'bad' / 'a.png').write_bytes(b'not an image')
    attempts = [lambda: load_image_folder(str(tmp_path / 'nope'), SIZE, progress=False),
                lambda: ImageFolderDataset(str(tmp_path / 'empty'), SIZE, progress=False),
                lambda: load_image_folder(str(tmp_path / 'bad'), SIZE, cache=False,
                                          progress=False),
                lambda: list_images(str(tmp_path / 'bad' / 'a.png')),
                lambda: image_folder.read_image(str(tmp_path / 'bad' / 'a.png'), SIZE)]
    for attempt in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                attempt()
        except errors.DataError as e:
            assert type(e) is errors.DataError and isinstance(e, errors.BeganError)
        else:
            raise AssertionError('no error')
    assert not any(isinstance(value, type) and issubclass(value, Exception)
                   and value.__name__ == 'DataError' and value is not errors.DataError
                   for value in vars(image_folder).values())


# --------------------------------------------------------------------------
# Dataset and scaling helpers
# --------------------------------------------------------------------------

def test_dataset_with_iterator(tree):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', SkippedImagesWarning)
        dataset = ImageFolderDataset(tree, size=SIZE, cache=False,
                                     progress=False)
    assert len(dataset) == len(GOOD)
    assert dataset.images.dtype == numpy.uint8
    assert dataset.images.shape == (len(GOOD), 3, SIZE, SIZE)
    example = dataset.get_example(3)
    assert example.shape == (3, SIZE, SIZE) and example.dtype == numpy.uint8
    it = chainer.iterators.SerialIterator(dataset, 5, shuffle=False)
    batch = chainer.dataset.concat_examples(it.next())
    x = to_float(batch)
    assert x.dtype == numpy.float32 and x.shape == (5, 3, SIZE, SIZE)
    assert -1 <= x.min() and x.max() <= 1


def test_to_float_and_back():
    values = numpy.arange(256, dtype=numpy.uint8).reshape(1, 1, 16, 16)
    x = to_float(values)
    assert x.dtype == numpy.float32
    assert x.min() == -1.0 and x.max() == 1.0
    numpy.testing.assert_array_equal(to_uint8(x), values)
    assert to_uint8(x).dtype == numpy.uint8
    numpy.testing.assert_array_equal(to_float(values, numpy), x)
    assert to_float(values).flags['C_CONTIGUOUS']


def test_to_uint8_clips_and_rounds():
    out = to_uint8(numpy.array([-3.0, -1.0, 0.0, 0.999, 1.0, 7.0,
                                -1 + 1.4 / 127.5, -1 + 1.6 / 127.5]))
    numpy.testing.assert_array_equal(out, [0, 0, 128, 255, 255, 255, 1, 2])
    out = to_uint8(chainer.Variable(numpy.zeros((2, 3), numpy.float32)))
    assert out.dtype == numpy.uint8 and (out == 128).all()
