"""Read the hair / eye factors of toy faces back from pixels; score modes.

This is the image counterpart of the 8-Gaussian experiment's "modes
captured / % high quality" (and of the Stacked-MNIST mode count): a fixed,
deterministic reader -- no learned classifier -- looks at the places where
:mod:`began.data.toyfaces` always puts hair and irises, and names the nearest
palette colour.  A generator that covers the data distribution should hit
all 48 hair x eye modes in about equal proportion.

How a reading works
-------------------
For one factor (hair or eye) the reader gathers the pixels of a few fixed
rectangles (unit coordinates, see :data:`HAIR_REGIONS` and
:data:`EYE_REGIONS`), sized so the hair / irises cover a good share of them
whatever the generator's jitter.  For each palette colour ``k`` it takes the
``q``-quantile of the RGB distances from those pixels to colour ``k`` --
"how close the closest ``q`` share of the pixels is to ``k``".  The colour
with the smallest such distance is the reading and that distance, in
0..255 RGB units, is ``*_dist``.

Why a low quantile rather than a mean or median: the iris window also holds
the pupil, the highlights, the white of the eye and lashes, and the hair
regions hold strand lines and a shine band; a low quantile ignores them, yet
still requires a solid patch (``q`` of the pixels) of one palette colour.
Uniform noise is far from every palette colour at that quantile (the ball
around a colour that holds 15% of uniformly random RGB pixels has a radius
of ~85 RGB units), and a flat grey image is far from every iris colour, so
neither reads as clean.

``clean`` is True when both distances are below :data:`CLEAN_THRESHOLD`
(40 RGB units, under half the smallest distance between two colours of a
palette: 93 for hair, brown-red, 114 for eyes, blue-purple), i.e. the
reading is unambiguous.
"""

import numpy

from began.data.toyfaces import EYE_COLORS
from began.data.toyfaces import HAIR_COLORS
from began.data.toyfaces import NUM_MODES


# (x0, y0, x1, y1) rectangles in unit image coordinates.
# Hair: the crown (under the fringe's top, always solid hair) and the hair
# beside each cheek (back hair + side locks).
HAIR_REGIONS = (
    (0.37, 0.15, 0.63, 0.27),
    (0.185, 0.45, 0.23, 0.68),
    (0.77, 0.45, 0.815, 0.68),
)
# Eyes: a window on the central / lower part of each iris (nominal centres
# (0.385 / 0.615, 0.559)), below the big highlight and the lid shadow; it
# stays (nearly) inside the iris over the whole jitter range, so flat iris
# colour fills well over EYE_QUANTILE of it even at 32 px.
EYE_REGIONS = (
    (0.35, 0.52, 0.42, 0.62),
    (0.58, 0.52, 0.65, 0.62),
)
# Quantiles: below the share of its regions that hair, and of its windows
# that iris colour, fill in every toy face (their measured shares:
# benchmarks/results/design_measurements.md).
HAIR_QUANTILE = 0.3
EYE_QUANTILE = 0.15
CLEAN_THRESHOLD = 40.0

_HAIR_PALETTE = numpy.array([c for _, c in HAIR_COLORS], dtype=numpy.float32)
_EYE_PALETTE = numpy.array([c for _, c in EYE_COLORS], dtype=numpy.float32)


def _as_nhwc(images):
    """Return ``(x, is_float)``: a (N, H, W, 3) view of ``images``.

    Accepts (and documents in :func:`read_factors`):
    * uint8, (N, H, W, 3) -- the dataset / :func:`make_toyfaces` layout;
      (N, 3, H, W) uint8 is also accepted when the last axis is not 3;
    * float, (N, 3, H, W) in [-1, 1] -- the generator's output layout;
      (N, H, W, 3) float is also accepted when axis 1 is not 3;
    * a single image (3 dims) is treated as a batch of one;
    * a chainer Variable (``.array``) or a cupy array (``.get()``).
    No pixel is converted here: only the few read regions are, later.
    """
    images = getattr(images, 'array', images)
    if hasattr(images, 'get') and not isinstance(images, numpy.ndarray):
        images = images.get()
    x = numpy.asarray(images)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise ValueError('expected a batch of images, got shape %r'
                         % (x.shape,))
    is_float = x.dtype.kind == 'f'
    if not is_float and x.dtype != numpy.uint8:
        raise ValueError('images must be uint8 or float, got %s' % x.dtype)
    if is_float:
        if x.shape[1] == 3:
            x = x.transpose(0, 2, 3, 1)
    elif x.shape[-1] != 3 and x.shape[1] == 3:
        x = x.transpose(0, 2, 3, 1)
    if x.shape[-1] != 3:
        raise ValueError('images must have 3 colour channels, got shape %r'
                         % (x.shape,))
    return x, is_float


def _gather(x, is_float, regions):
    """Pixels of all ``regions`` as float32 (N, P, 3) in 0..255."""
    h, w = x.shape[1:3]
    parts = []
    for x0, y0, x1, y1 in regions:
        c0 = int(numpy.floor(x0 * w))
        c1 = max(c0 + 1, int(numpy.ceil(x1 * w)))
        r0 = int(numpy.floor(y0 * h))
        r1 = max(r0 + 1, int(numpy.ceil(y1 * h)))
        parts.append(x[:, r0:r1, c0:c1].reshape(len(x), -1, 3))
    px = numpy.concatenate(parts, axis=1).astype(numpy.float32)
    if is_float:
        # [-1, 1] -> [0, 255], as the converter's inverse; clip outliers.
        px = numpy.clip((px + 1.0) * 127.5, 0.0, 255.0)
    return px


def _read(pixels, palette, q):
    """Nearest palette colour by the q-quantile distance; (index, dist)."""
    # (N, K, P) squared distances from every palette colour to every pixel;
    # quantiles commute with the monotone sqrt, so take it only at the end.
    diff = palette[None, :, None, :] - pixels[:, None, :, :]
    d2 = numpy.einsum('nkpc,nkpc->nkp', diff, diff)
    kth = int(q * (d2.shape[2] - 1))
    qd = numpy.partition(d2, kth, axis=2)[:, :, kth]   # (N, K)
    idx = qd.argmin(axis=1)
    return idx, numpy.sqrt(qd[numpy.arange(len(idx)), idx])


def read_factors(images, batch_size=256):
    """Read hair and eye colour indices from toy-face images.

    Args:
        images: a batch of square (or rectangular) images, either
            uint8 (N, H, W, 3) in 0..255 (the layout of
            :func:`began.data.toyfaces.make_toyfaces`), or float (N, 3, H, W) in
            [-1, 1] (the generator's output layout); values outside
            [-1, 1] are clipped.  A chainer Variable or cupy array is
            moved to numpy first.
        batch_size (int): images processed at once (bounds memory).

    Returns:
        dict with ``hair`` (int64, index into HAIR_COLORS), ``eye`` (int64,
        index into EYE_COLORS), ``hair_dist`` and ``eye_dist`` (float32, RGB
        distance of the reading to its palette colour, 0..~441) and
        ``clean`` (bool: both distances < CLEAN_THRESHOLD).
    """
    x, is_float = _as_nhwc(images)
    n = len(x)
    out = dict(hair=numpy.zeros(n, numpy.int64),
               eye=numpy.zeros(n, numpy.int64),
               hair_dist=numpy.zeros(n, numpy.float32),
               eye_dist=numpy.zeros(n, numpy.float32))
    for s in range(0, n, batch_size):
        xb = x[s:s + batch_size]
        hi, hd = _read(_gather(xb, is_float, HAIR_REGIONS), _HAIR_PALETTE,
                       HAIR_QUANTILE)
        ei, ed = _read(_gather(xb, is_float, EYE_REGIONS), _EYE_PALETTE,
                       EYE_QUANTILE)
        out['hair'][s:s + batch_size] = hi
        out['eye'][s:s + batch_size] = ei
        out['hair_dist'][s:s + batch_size] = hd
        out['eye_dist'][s:s + batch_size] = ed
    out['clean'] = ((out['hair_dist'] < CLEAN_THRESHOLD)
                    & (out['eye_dist'] < CLEAN_THRESHOLD))
    return out


KL_EPS = 1e-6


def _mode_index(hair, eye):
    return numpy.asarray(hair, numpy.int64) * len(EYE_COLORS) \
        + numpy.asarray(eye, numpy.int64)


def mode_coverage(images, true_factors=None):
    """Mode coverage of a batch of (generated) toy faces.

    Args:
        images: as for :func:`read_factors`.
        true_factors: optional dict with int arrays ``hair`` and ``eye`` of
            the real data; the reference mode distribution is their
            histogram.  When None the reference is uniform over the
            ``NUM_MODES`` (48) hair x eye modes, which is how
            :func:`began.data.toyfaces.make_toyfaces` samples them.

    Returns:
        dict with
        ``modes_covered``: number of modes with at least one *clean*
        reading;
        ``num_modes``: 48;
        ``clean_pct``: percentage of images whose reading is clean;
        ``kl``: KL(p_gen || p_true) in nats, where p_gen is the histogram of
        the clean readings.  Smoothing: ``KL_EPS`` (1e-6) is added to every
        mode of p_true, which is then renormalised, so a generated mode that
        the reference lacks costs a large but finite amount; modes with
        p_gen = 0 contribute 0 (the usual 0 log 0 = 0), so p_gen needs no
        smoothing.  A single-mode generator scores log(48) = 3.87 against
        the uniform reference, a perfect one about 47 / (2 * num_clean)
        (sampling noise; ~0.01 for 2,000 faces).  None when no reading is
        clean: there is then no generated distribution to compare (early
        epochs, noise), and ``clean_pct`` 0 already says why.
    """
    r = read_factors(images)
    clean = r['clean']
    n = len(clean)
    modes = _mode_index(r['hair'][clean], r['eye'][clean])
    counts = numpy.bincount(modes, minlength=NUM_MODES).astype(numpy.float64)
    if true_factors is None:
        ref = numpy.full(NUM_MODES, 1.0 / NUM_MODES)
    else:
        tm = _mode_index(true_factors['hair'], true_factors['eye'])
        ref = numpy.bincount(tm, minlength=NUM_MODES).astype(numpy.float64)
        ref /= ref.sum()
    if counts.sum() > 0:
        p = counts / counts.sum()
        qd = ref + KL_EPS
        qd /= qd.sum()
        nz = p > 0
        kl = float(numpy.sum(p[nz] * numpy.log(p[nz] / qd[nz])))
    else:
        kl = None
    return dict(modes_covered=int((counts > 0).sum()),
                num_modes=NUM_MODES,
                clean_pct=100.0 * float(clean.sum()) / max(n, 1),
                kl=kl)


# What the anime-face training log reports at each plot interval.
REPORT_KEYS = ('face_modes', 'face_clean', 'face_kl')


def report(images):
    """mode_coverage of generated images under the log's names. With no
    clean face ``face_kl`` is left out (the log row has no such key, and
    PrintReport leaves its column blank), rather than logged as NaN: it is
    undefined then, and ``face_clean`` 0 says why."""
    m = mode_coverage(images)
    row = {'face_modes': m['modes_covered'], 'face_clean': m['clean_pct']}
    if m['kl'] is not None:
        row['face_kl'] = m['kl']
    return row
