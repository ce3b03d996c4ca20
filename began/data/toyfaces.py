"""Procedural anime-style toy faces with known discrete factors.

Why this exists: BEGAN is usually shown on CelebA, which cannot be
downloaded here, and whose "modes" are unknown anyway.  These faces are a
small, self-made stand-in: every image is a recognisable cartoon face whose
hair colour (8 values) and iris colour (6 values) are known, so a trained
generator can be scored by how many of the 48 hair x eye modes it reproduces
(see :mod:`began.metrics.face_modes`, which reads the factors back from pixels).

Drawing model
-------------
Every face is drawn with :mod:`PIL.ImageDraw` on a supersampled square canvas
(``size * supersample`` pixels, at least 128 px, at least 2x) and
downsampled with LANCZOS, which gives anti-aliased edges; ImageDraw itself
does not anti-alias.  All geometry is described in *unit coordinates*
(0..1 of the image side) around a nominal face centre at (0.5, 0.5), then
jittered by a small translation, a scale and per-part shape noise.  The
random draws never depend on ``size``, so the same seed gives the same face
at every resolution.

Layout (unit coordinates, before jitter) that :mod:`began.metrics.face_modes`
relies on -- keep the two files in step if you move anything:

* hair cap + fringe cover x in [0.20, 0.80], y in [0.10, ~0.40] (the crown
  region x in [0.37, 0.63], y in [0.15, 0.27] is always solid hair);
* hair also falls down both sides, x in [0.12, 0.24] for y in
  [0.40, 0.75] at least;
* two irises centred at (0.5 -+ 0.115, 0.559), 0.13 wide and 0.155 tall;
  their lower-central part is flat palette colour (highlight and lid shadow
  are drawn in the upper part).

Jitter: translation +-0.015, scale 0.96..1.04, eye size 0.95..1.05, eye
offsets +-0.006, so an iris centre stays within ~0.026 of its nominal
place; plus face width, chin, brows, mouth position, fringe spikes and
hair length.
"""

import numpy
from PIL import Image
from PIL import ImageDraw

import chainer


# Named palettes.  The RGB values are chosen far apart (minimum pairwise
# distance ~100 in RGB units inside each palette) so that a nearest-colour
# reading of a blurred, downsampled pixel is unambiguous.
HAIR_COLORS = [
    ('black', (35, 30, 40)),
    ('brown', (125, 72, 35)),
    ('blonde', (250, 215, 95)),
    ('red', (210, 35, 35)),
    ('blue', (45, 85, 220)),
    ('green', (40, 165, 70)),
    ('pink', (250, 125, 195)),
    ('silver', (222, 224, 238)),
]

# Iris colours: saturated, far from each other, from skin, from the white
# sclera / highlights and from the dark lashes and pupils.
EYE_COLORS = [
    ('red', (215, 25, 45)),
    ('amber', (235, 165, 15)),
    ('green', (30, 175, 75)),
    ('cyan', (20, 195, 210)),
    ('blue', (40, 75, 235)),
    ('purple', (150, 55, 215)),
]

NUM_MODES = len(HAIR_COLORS) * len(EYE_COLORS)

SKIN_COLORS = [
    ('pale', (255, 232, 214)),
    ('peach', (250, 212, 180)),
    ('tan', (222, 172, 132)),
]

# Muted, mid-light backgrounds; none is close to a skin tone or to the
# silver / blonde hair, so the head silhouette always stands out.
BACKGROUND_COLORS = [
    ('sky', (168, 200, 228)),
    ('lavender', (196, 176, 222)),
    ('mint', (172, 214, 186)),
    ('peach', (240, 190, 160)),
]

CLOTHES_COLORS = [
    ('navy', (40, 50, 90)),
    ('white', (240, 240, 240)),
    ('maroon', (120, 30, 50)),
    ('grey', (110, 110, 120)),
]

NUM_MOUTHS = 4      # smile arc, open smile, small 'o', cat mouth
NUM_HAIRSTYLES = 2  # short (to the jaw), long (to the shoulders)

_LASH = (40, 25, 35)
_WHITE = (255, 255, 255)


def _mix(c1, c2, t):
    """Blend two RGB tuples: (1 - t) * c1 + t * c2, as an int tuple."""
    return tuple(int(round((1.0 - t) * a + t * b)) for a, b in zip(c1, c2))


def _scale(c, f):
    return tuple(int(round(min(255.0, v * f))) for v in c)


def _supersample(size):
    """Supersampling factor: at least 2x and a canvas of at least 128 px."""
    return max(2, -(-128 // size))


class _Canvas(object):
    """Maps face-unit coordinates to canvas pixels through the jitter."""

    def __init__(self, px, dx, dy, s):
        self.px = float(px)
        self.dx = dx
        self.dy = dy
        self.s = s

    def pt(self, x, y):
        return ((0.5 + self.dx + self.s * (x - 0.5)) * self.px,
                (0.5 + self.dy + self.s * (y - 0.5)) * self.px)

    def box(self, x0, y0, x1, y1):
        a = self.pt(x0, y0)
        b = self.pt(x1, y1)
        return [a[0], a[1], b[0], b[1]]

    def ell(self, cx, cy, w, h):
        return self.box(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)

    def poly(self, pts):
        return [self.pt(x, y) for x, y in pts]

    def w(self, t):
        """A line width given in unit coordinates, at least 1 pixel."""
        return max(1, int(round(t * self.s * self.px)))


def _draw_eye(d, cv, cx, cy, es, iris, left, detail):
    """One big anime eye centred at (cx, cy) in face units.

    Sclera, a tall iris in the palette colour, a white highlight and a
    thick upper lash line with an outer flick.  ``detail`` (0, 1, 2) is the
    level of detail for the output size: like a pixel artist, small sizes
    drop the pupil and the lid shadow, which would otherwise blur over the
    few pixels of the iris and hide its colour.
    """
    sw, sh = 0.160 * es, 0.160 * es
    d.ellipse(cv.ell(cx, cy, sw, sh), fill=_WHITE)
    iw, ih = 0.130 * es, 0.155 * es
    icy = cy + 0.004
    d.ellipse(cv.ell(cx, icy, iw, ih), fill=iris)
    if detail >= 1:
        # Darker cap at the top of the iris: the lid's shadow.
        a0, a1 = (215, 325) if detail == 2 else (228, 312)
        d.chord(cv.ell(cx, icy, iw, ih), a0, a1, fill=_scale(iris, 0.6))
        # Small dark pupil.
        pw, ph = (0.030, 0.052) if detail == 2 else (0.022, 0.036)
        d.ellipse(cv.ell(cx, icy + 0.002, pw * es, ph * es),
                  fill=_scale(iris, 0.3))
    # Highlight in the upper outer part (always: it is what makes the eye
    # read as "anime"), plus a small second one low at full detail.
    hx = -0.026 if left else 0.026
    d.ellipse(cv.ell(cx + hx * es, icy - 0.032 * es, 0.036 * es, 0.036 * es),
              fill=_WHITE)
    if detail == 2:
        d.ellipse(cv.ell(cx - 0.7 * hx * es, icy + 0.036 * es,
                         0.014 * es, 0.014 * es), fill=_WHITE)
    # Upper lash: a thick arc over the top of the eye, and a flick outwards.
    out = -1.0 if left else 1.0
    top = cy - sh / 2.0
    lash = [(cx - out * sw * 0.55, cy - 0.010),
            (cx - out * sw * 0.30, top - 0.004),
            (cx, top - 0.012),
            (cx + out * sw * 0.35, top - 0.006),
            (cx + out * sw * 0.62, cy - 0.030),
            (cx + out * sw * 0.70, cy - 0.005),
            (cx + out * sw * 0.45, top + 0.022),
            (cx, top + 0.012),
            (cx - out * sw * 0.35, top + 0.020),
            (cx - out * sw * 0.52, cy - 0.002)]
    d.polygon(cv.poly(lash), fill=_LASH)
    # Thin lower lid line.
    d.arc(cv.ell(cx, cy - 0.01, sw * 0.9, sh * 1.0), 40, 140,
          fill=_mix(_LASH, iris, 0.3), width=cv.w(0.008))


def _draw_mouth(d, cv, kind, my, skin):
    line = _scale(skin, 0.45)
    if kind == 0:      # closed smile
        d.arc(cv.ell(0.5, my - 0.02, 0.09, 0.05), 20, 160, fill=line,
              width=cv.w(0.012))
    elif kind == 1:    # open smile: a 'D' turned on its side
        d.chord(cv.ell(0.5, my - 0.012, 0.085, 0.065), 0, 180,
                fill=(170, 50, 60), outline=line, width=cv.w(0.008))
        d.chord(cv.ell(0.5, my + 0.004, 0.045, 0.025), 0, 180,
                fill=(240, 120, 130))
    elif kind == 2:    # small 'o'
        d.ellipse(cv.ell(0.5, my, 0.035, 0.04), fill=(170, 50, 60),
                  outline=line, width=cv.w(0.007))
    else:              # cat mouth
        d.arc(cv.ell(0.478, my - 0.01, 0.045, 0.035), 0, 180, fill=line,
              width=cv.w(0.010))
        d.arc(cv.ell(0.522, my - 0.01, 0.045, 0.035), 0, 180, fill=line,
              width=cv.w(0.010))


def render_face(rng, size=96, hair=None, eye=None):
    """Draw one toy face.

    Args:
        rng (numpy.random.RandomState): source of every random choice.
            The sequence of draws does not depend on ``size``.
        size (int): output side in pixels (square image), >= 8.
        hair (int or None): index into :data:`HAIR_COLORS`; drawn
            uniformly from ``rng`` when None.
        eye (int or None): index into :data:`EYE_COLORS`; drawn uniformly
            from ``rng`` when None.

    Returns:
        (numpy.ndarray, dict): the image, uint8 of shape (size, size, 3),
        and its factors as plain ints: ``hair``, ``eye``, ``skin``,
        ``background``, ``blush`` (0/1), ``mouth``, ``hairstyle``,
        ``clothes``.
    """
    size = int(size)
    if size < 8:
        raise ValueError('size must be >= 8, got %d' % size)
    factors = _draw_factors(rng, hair, eye)
    jitter = _Jitter(rng)
    return _paint(size, factors, jitter), factors


def _draw_factors(rng, hair, eye):
    """The discrete factors. Hair and eye are drawn from rng even when
    given, so that fixing them does not shift the rest of the stream."""
    h = int(rng.randint(len(HAIR_COLORS)))
    e = int(rng.randint(len(EYE_COLORS)))
    hair = h if hair is None else int(hair)
    eye = e if eye is None else int(eye)
    if not 0 <= hair < len(HAIR_COLORS):
        raise ValueError('hair index out of range: %d' % hair)
    if not 0 <= eye < len(EYE_COLORS):
        raise ValueError('eye index out of range: %d' % eye)
    # In this order: the values are drawn as the dict is built.
    return dict(hair=hair, eye=eye,
                skin=int(rng.randint(len(SKIN_COLORS))),
                background=int(rng.randint(len(BACKGROUND_COLORS))),
                blush=int(rng.rand() < 0.5),
                mouth=int(rng.randint(NUM_MOUTHS)),
                hairstyle=int(rng.randint(NUM_HAIRSTYLES)),
                clothes=int(rng.randint(len(CLOTHES_COLORS))))


class _Jitter(object):
    """The continuous draws of one face: translation, scale and shape."""

    def __init__(self, rng):
        u = rng.uniform(-1.0, 1.0, size=16)
        self.dx, self.dy = 0.015 * u[0], 0.015 * u[1]
        self.s = 1.0 + 0.04 * u[2]
        self.face_w = 1.0 + 0.04 * u[3]     # face width
        self.chin = 0.835 + 0.015 * u[4]    # chin height
        self.es = 1.0 + 0.05 * u[5]         # eye size
        self.eye_dx = 0.006 * u[6]          # eye spacing
        self.eye_dy = 0.006 * u[7]          # eye height
        self.brow_dy = 0.01 * u[8]
        self.brow_tilt = 0.012 * u[9]
        self.mouth_dy = 0.012 * u[10]
        self.n_spikes = int(rng.randint(5, 8))
        self.spike_u = rng.uniform(-1.0, 1.0, size=self.n_spikes + 1)
        self.tip_u = rng.uniform(-1.0, 1.0, size=self.n_spikes)
        self.hair_len = 0.02 * u[11]


class _Colours(object):
    """The RGB colours of one face's parts."""

    def __init__(self, factors):
        self.hair = HAIR_COLORS[factors['hair']][1]
        self.eye = EYE_COLORS[factors['eye']][1]
        self.skin = SKIN_COLORS[factors['skin']][1]
        self.background = BACKGROUND_COLORS[factors['background']][1]
        self.clothes = CLOTHES_COLORS[factors['clothes']][1]
        self.hair_dark = _scale(self.hair, 0.72)
        self.hair_light = _mix(self.hair, _WHITE, 0.45)
        self.skin_shade = _mix(self.skin, (150, 90, 80), 0.18)
        # Black hair's brows would vanish into it: a lighter grey-violet.
        self.brows = _scale(self.hair, 0.55) if factors['hair'] != 0 else (70, 60, 75)


def _paint(size, factors, jitter):
    """The face on a supersampled canvas, back to front, then downsampled."""
    colours = _Colours(factors)
    px = size * _supersample(size)
    detail = 2 if size >= 64 else (1 if size >= 48 else 0)
    img = Image.new('RGB', (px, px), colours.background)
    d = ImageDraw.Draw(img)
    cv = _Canvas(px, jitter.dx, jitter.dy, jitter.s)
    _draw_shoulders(d, cv, colours)
    _draw_back_hair(d, cv, colours.hair, factors['hairstyle'], jitter.hair_len)
    _draw_face(d, cv, colours, jitter)
    if factors['blush']:
        _draw_blush(d, cv, colours.skin)
    _draw_nose(d, cv, colours.skin_shade)
    for left, cx in ((True, 0.385 - jitter.eye_dx), (False, 0.615 + jitter.eye_dx)):
        _draw_eye(d, cv, cx, 0.555 + jitter.eye_dy, jitter.es, colours.eye, left, detail)
    _draw_mouth(d, cv, factors['mouth'], 0.735 + jitter.mouth_dy, colours.skin)
    _draw_fringe(d, cv, colours.hair, jitter)
    _draw_side_locks(d, cv, colours.hair, jitter.hair_len)
    _draw_hair_lines(d, cv, colours)
    _draw_brows(d, cv, colours.brows, jitter)
    img = img.resize((size, size), Image.LANCZOS)  # the supersampling is >= 2x
    return numpy.asarray(img, dtype=numpy.uint8)


def _draw_shoulders(d, cv, colours):
    """Shoulders / clothes, then the neck."""
    d.ellipse(cv.box(0.12, 0.88, 0.88, 1.30), fill=colours.clothes)
    d.rectangle(cv.box(0.435, 0.70, 0.565, 0.93), fill=colours.skin_shade)
    d.polygon(cv.poly([(0.40, 0.93), (0.5, 0.99), (0.60, 0.93),
                       (0.56, 0.90), (0.44, 0.90)]), fill=colours.skin_shade)


def _draw_back_hair(d, cv, hc, style, hair_len):
    """The head's silhouette and the hair falling on both sides, flaring
    slightly outwards and ending in a few pointed locks."""
    d.ellipse(cv.box(0.16, 0.08, 0.84, 0.74), fill=hc)
    bottom = (0.80 if style == 0 else 0.97) + hair_len
    d.polygon(cv.poly([(0.17, 0.38), (0.125, 0.60), (0.105, bottom),
                       (0.155, bottom - 0.045), (0.19, bottom + 0.005),
                       (0.225, bottom - 0.05), (0.27, bottom - 0.02),
                       (0.30, 0.50), (0.70, 0.50),
                       (0.73, bottom - 0.02), (0.775, bottom - 0.05),
                       (0.81, bottom + 0.005), (0.845, bottom - 0.045),
                       (0.895, bottom), (0.875, 0.60), (0.83, 0.38)]),
              fill=hc)


def _draw_face(d, cv, colours, jitter):
    """A round upper part and a pointed anime jaw."""
    def fx(x):
        return 0.5 + jitter.face_w * (x - 0.5)
    chin = jitter.chin
    d.ellipse(cv.box(fx(0.255), 0.20, fx(0.745), 0.74), fill=colours.skin)
    d.polygon(cv.poly([(fx(0.257), 0.50), (fx(0.743), 0.50),
                       (fx(0.725), 0.64), (fx(0.60), chin - 0.04),
                       (0.5, chin), (fx(0.40), chin - 0.04),
                       (fx(0.275), 0.64)]), fill=colours.skin)


def _draw_blush(d, cv, skin):
    """Blush under the eyes (solid blend: cheap, and ImageDraw has no alpha)."""
    bc = _mix(skin, (255, 110, 130), 0.45)
    for cx in (0.345, 0.655):
        d.ellipse(cv.ell(cx, 0.655, 0.085, 0.035), fill=bc)


def _draw_nose(d, cv, skin_shade):
    """A tiny shaded tick."""
    d.line(cv.poly([(0.505, 0.645), (0.497, 0.662)]), fill=skin_shade,
           width=cv.w(0.008))


def _draw_fringe(d, cv, hc, jitter):
    """Hair cap over the crown and the fringe (bangs): a zig-zag of spikes
    whose tips come lower towards the sides, framing the face."""
    d.pieslice(cv.box(0.19, 0.09, 0.81, 0.62), 180, 360, fill=hc)
    n_spikes, spike_u, tip_u = jitter.n_spikes, jitter.spike_u, jitter.tip_u
    x0, x1 = 0.215, 0.785
    pts = [(0.19, 0.35)]
    for j in range(n_spikes + 1):
        xv = x0 + (x1 - x0) * j / n_spikes
        side = ((xv - 0.5) / 0.285) ** 2
        pts.append((xv, 0.29 + 0.07 * side + 0.012 * spike_u[j]))
        if j < n_spikes:
            xt = xv + 0.5 * (x1 - x0) / n_spikes + 0.01 * tip_u[j]
            side_t = ((xt - 0.5) / 0.285) ** 2
            pts.append((xt, 0.42 + 0.12 * side_t + 0.012 * tip_u[j]))
    pts.append((0.81, 0.35))
    d.polygon(cv.poly(pts), fill=hc)


def _draw_side_locks(d, cv, hc, hair_len):
    """Locks in front of the face's edges, down to the jaw."""
    for sgn in (-1.0, 1.0):
        def lx(x):
            return 0.5 + sgn * (0.5 - x)
        d.polygon(cv.poly([(lx(0.19), 0.32), (lx(0.30), 0.34),
                           (lx(0.285), 0.52), (lx(0.26), 0.70),
                           (lx(0.215), 0.80 + hair_len),
                           (lx(0.175), 0.55)]), fill=hc)


def _draw_hair_lines(d, cv, colours):
    """Strand lines and a shine band: details that read as "anime hair"."""
    for xs in (0.36, 0.5, 0.64):
        d.line(cv.poly([(xs, 0.17), (xs + 0.2 * (xs - 0.5), 0.33)]),
               fill=colours.hair_dark, width=cv.w(0.007))
    for a0, a1 in ((203, 232), (244, 296), (308, 337)):
        d.arc(cv.box(0.27, 0.19, 0.73, 0.49), a0, a1, fill=colours.hair_light,
              width=cv.w(0.016))


def _draw_brows(d, cv, colour, jitter):
    """Brows, over the fringe as is usual in anime drawings."""
    for sgn in (-1.0, 1.0):
        bx = 0.5 + sgn * 0.115
        by = 0.44 + jitter.brow_dy
        d.line(cv.poly([(bx - sgn * 0.045, by + jitter.brow_tilt),
                        (bx + sgn * 0.045, by - jitter.brow_tilt)]),
               fill=colour, width=cv.w(0.014))


FACTOR_NAMES = ('hair', 'eye', 'skin', 'background', 'blush', 'mouth',
                'hairstyle', 'clothes')


def make_toyfaces(num_images, size=96, seed=0):
    """Render ``num_images`` toy faces.

    Face ``i`` is drawn from its own ``RandomState([seed, i])``, so the
    result is deterministic for ``(num_images, size, seed)``, a prefix of a
    larger set equals the smaller set, and the same ``(seed, i)`` gives the
    same face at every ``size``.  Hair and eye are sampled independently and
    uniformly, i.e. the 48 hair x eye modes are equally likely.

    Returns:
        (numpy.ndarray, dict): images, uint8 of shape (N, size, size, 3),
        and ``{name: int64 array of length N}`` for every factor in
        :data:`FACTOR_NAMES`.
    """
    num_images = int(num_images)
    images = numpy.empty((num_images, size, size, 3), dtype=numpy.uint8)
    factors = {k: numpy.empty(num_images, dtype=numpy.int64)
               for k in FACTOR_NAMES}
    for i in range(num_images):
        rng = numpy.random.RandomState([int(seed) & 0xffffffff, i])
        img, f = render_face(rng, size)
        images[i] = img
        for k in FACTOR_NAMES:
            factors[k][i] = f[k]
    return images, factors


class ToyFaceDataset(chainer.dataset.DatasetMixin):
    """Toy faces as a Chainer dataset.

    All images are rendered once at construction time.  ``get_example``
    returns a uint8 array of shape (3, size, size) (CHW); scaling to [-1, 1]
    is left to the training converter, which does it per batch.

    Attributes:
        images: uint8 array (N, 3, size, size).
        factors: dict of int arrays of length N (see :func:`make_toyfaces`).
    """

    def __init__(self, num_images, size=96, seed=0):
        imgs, self.factors = make_toyfaces(num_images, size, seed)
        # Store CHW once rather than transposing per example.
        self.images = numpy.ascontiguousarray(imgs.transpose(0, 3, 1, 2))
        self.size = size
        self.seed = seed

    def __len__(self):
        return len(self.images)

    def get_example(self, i):
        return self.images[i]
