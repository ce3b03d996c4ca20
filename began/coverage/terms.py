"""The mode-coverage terms (none of them is the post's; each off by default).

  L_D: each fake's error capped at m L(x)    EBGAN's margin, adaptive
  L_D += w mean |enc(G(z)) - P z|            BEGAN-CS's latent constraint (P fixed)
  L_D, L_G += w CE(Q(enc(G(z))), c)          an InfoGAN head Q names z's category c
  L_G += w PT(enc(G(z)))                     EBGAN's pull-away term
  L_G += w |mean h(G(z)) - mean h(x)|^2      feature matching on D's code
  L_G += w MMD^2(G(z), x)                    a mixture of RBF kernels, data or code space

Pure functions of arrays and Variables; began/coverage/step.py applies them
to one BEGAN step.
"""
import chainer
import chainer.functions as F
import numpy

from began.rng import derive_seed


def capped_fake_loss(fake, reconstruction, cap):
    """L(G(z)) with each sample's error capped at ``cap`` (a number, or a 0-d
    array on fake's device): D gains nothing by pushing a fake further than
    that. -k of it in L_D is EBGAN's hinge k mean(max(0, cap - error)) up to
    a constant: a bounded push."""
    n = fake.shape[0]
    errors = F.mean(F.reshape(F.absolute(fake - reconstruction), (n, -1)), axis=1)
    xp = fake.xp
    return F.mean(F.minimum(errors, xp.broadcast_to(xp.asarray(cap, errors.dtype),
                                                    errors.shape)))


def pull_away(h, weight):
    """w PT(h): EBGAN's pull-away term, the mean squared cosine similarity
    of the distinct pairs of codes in a batch. Near 1 when the codes of the
    fakes point one way (a collapsed G), near 0 when they are orthogonal."""
    n = h.shape[0]
    if n < 2:
        return weight * F.sum(h) * 0
    s = F.normalize(F.reshape(h, (n, -1)))
    similarity = F.matmul(s, s, transb=True)
    off_diagonal = F.sum(F.square(similarity)) - F.sum(F.square(F.sum(s * s, axis=1)))
    return weight * off_diagonal / (n * (n - 1))


def code_matching(h_fake, h_real, weight):
    """w |mean h(G(z)) - mean h(x)|^2 over the code's units, averaged: feature
    matching (Salimans et al. 2016) on D's code, a batch-level signal a
    collapsed G cannot meet, since the mean code of the data is no single
    point's code."""
    n_fake, n_real = h_fake.shape[0], h_real.shape[0]
    gap = F.mean(F.reshape(h_fake, (n_fake, -1)), axis=0) \
        - F.mean(F.reshape(h_real, (n_real, -1)), axis=0).array
    return weight * F.mean(F.square(gap))


def mmd_scales(narrowest):
    """The MMD's RBF widths, as multiples of the median distance between
    the real points (the median heuristic; scale-free, in any space): from
    ``narrowest``, doubling, up to 2."""
    scales = [narrowest]
    while scales[-1] * 2 <= 2 * (1 + 1e-9):
        scales.append(scales[-1] * 2)
    return tuple(scales)


#: The default widths (--mmd-narrowest 0.125): 1/8 ... 2 of the median distance.
MMD_SCALES = mmd_scales(0.125)


def squared_distances(a, b):
    """|a_i - b_j|^2, (n, m), for rows a_i of ``a`` and b_j of ``b`` (arrays or
    Variables, (n, d) and (m, d)), from |a|^2 + |b|^2 - 2 a b^T: a matrix
    product, never an n x m x d array. Rounding can leave a distance that
    should be 0 slightly negative: clipped at 0."""
    fn = F if isinstance(a, chainer.Variable) or isinstance(b, chainer.Variable) else None
    if fn is None:
        xp = chainer.backend.get_array_module(a)
        d2 = (xp.square(a).sum(axis=1)[:, None] + xp.square(b).sum(axis=1)[None, :]
              - 2 * a @ b.T)
        return xp.maximum(d2, 0)
    n, m = a.shape[0], b.shape[0]
    aa = F.broadcast_to(F.sum(F.square(a), axis=1, keepdims=True), (n, m))
    bb = F.broadcast_to(F.reshape(F.sum(F.square(b), axis=1), (1, m)), (n, m))
    return F.relu(aa + bb - 2 * F.matmul(a, b, transb=True))


def median_squared_distance(real, d2=None):
    """The median squared distance between distinct rows of ``real`` (n, d)
    (``d2``: their squared_distances, when known): a 0-d array on real's
    device. Each pair appears twice off the diagonal, which leaves the
    median as it is; the diagonal, set to inf, sorts last. Positions known
    beforehand, no boolean mask: no wait for the host, even on a GPU."""
    xp = chainer.backend.get_array_module(real)
    n = real.shape[0]
    d2 = squared_distances(real, real) if d2 is None else d2
    ordered = xp.sort((d2 + xp.diag(xp.full(n, xp.inf, d2.dtype))).ravel())
    half = n * (n - 1) // 2
    return (ordered[half - 1] + ordered[half]) / 2


def _kernel(d2, bandwidths2):
    """Mean over the bandwidths of exp(-d2 / (2 s^2)), for squared distances
    d2 (n, m) and squared widths (0-d arrays on d2's device)."""
    xp = chainer.backend.get_array_module(d2)
    exp = F.exp if isinstance(d2, chainer.Variable) else xp.exp
    return sum(exp(d2 * xp.broadcast_to(-0.5 / s2, d2.shape)) for s2 in bandwidths2) \
        / len(bandwidths2)


def mmd(fake, real, weight, scales=MMD_SCALES, same=None):
    """w MMD^2(fake, real), the unbiased estimate, with a mixture of RBF
    kernels whose widths are ``scales`` times the real points' median
    distance. A characteristic kernel: zero only when the two
    distributions are equal, so a G in one mode pays for the other modes'
    missing mass. The real points are a target (no gradient); each row is
    one point, of any shape. Computed on their device, in memory of the
    order of n x m, not n x m x (a point's size). ``same`` (n, n), with
    fake i paired to real i (n == m): the kernel times [i, j of one
    category], the MMD of (point, category) pairs: within each category,
    its fakes against its reals."""
    real = real.array if isinstance(real, chainer.Variable) else real
    n, m = fake.shape[0], real.shape[0]
    if n < 2 or m < 2:
        raise ValueError(f'the MMD needs at least 2 fake and 2 real points, got {n} and {m}')
    fake = F.reshape(fake, (n, -1))
    real = real.reshape(m, -1)
    xp = fake.xp
    d2_rr = squared_distances(real, real)
    median2 = xp.maximum(median_squared_distance(real, d2_rr), xp.asarray(1e-12, real.dtype))
    bandwidths2 = [(s * s * median2).astype(real.dtype) for s in scales]
    k_ff = _kernel(squared_distances(fake, fake), bandwidths2)
    k_rr = _kernel(d2_rr, bandwidths2)
    k_fr = _kernel(squared_distances(fake, real), bandwidths2)
    if same is not None:
        return weight * _category_mmd(k_ff, k_rr, k_fr, same)
    off_ff = (F.sum(k_ff) - F.sum(k_ff * xp.eye(n, dtype=k_ff.dtype))) / (n * (n - 1))
    off_rr = (k_rr.sum() - xp.trace(k_rr)) / (m * (m - 1))
    return weight * (off_ff + off_rr - 2 * F.mean(k_fr))


def _category_mmd(k_ff, k_rr, k_fr, same):
    """sum_c (n_c / n) MMD_c^2: each category's unbiased MMD between its n_c
    fakes and n_c reals, weighted by its share of the batch (a category of
    one: the biased 2 - 2 k(fake, real), the pull of its fake toward its
    real, never below 0).
    Weighted per category, not per pair of the batch: most categories hold
    one or two of a batch, and pairs of the whole batch would leave each
    fake 1/n_c-th of its pull. One category: the plain MMD."""
    xp = chainer.backend.get_array_module(k_rr)
    n = len(same)
    same = same.astype(k_rr.dtype)
    size = same.sum(axis=1, keepdims=True)              # n_c of each row's category
    cross = same / (n * size)
    within = (same - xp.eye(n, dtype=same.dtype)) / (n * xp.maximum(size - 1, 1))
    # k(f, f) + k(r, r) of each category of one; in the kernels' dtype, so a
    # float32 loss stays float32 (a float64 0-d array on the GPU might not)
    alone = ((size == 1).sum() * (2 / n)).astype(k_rr.dtype)
    return F.sum(k_ff * within) + (k_rr * within).sum() + alone - 2 * F.sum(k_fr * cross)


def pooled(images, size):
    """NCHW images averaged over square blocks down to ``size`` pixels a
    side: what the pooled MMD compares (the colours of regions)."""
    return F.average_pooling_2d(images, images.shape[-1] // size)


def latent_projection(n_z, n_h, seed):
    """P, (n_z, n_h): the identity when the sizes agree, otherwise n_h
    orthonormal columns (n_z > n_h) or rows (n_z < n_h) of a random
    orthogonal matrix drawn from the seed: a fixed map of z into h's space
    that keeps distinct z apart."""
    if n_z == n_h:
        return numpy.eye(n_z, dtype=numpy.float32)
    rs = numpy.random.RandomState(derive_seed(seed, 'projection', n_z, n_h))
    q, _ = numpy.linalg.qr(rs.normal(size=(max(n_z, n_h),) * 2))
    return q[:n_z, :n_h].astype(numpy.float32)


def latent_recovery(h_fake, z, projection, weight):
    """w mean |h - P z|: BEGAN-CS's constraint, D's code of G(z) must give
    z back. D can only meet it if distinct z give distinct G(z)."""
    return weight * F.mean_absolute_error(h_fake, z @ projection)


def category_recovery(logits, z, categories, weight):
    """w CE(logits, c): InfoGAN's term for z's one-hot categories (c: the
    hot one of z's first ``categories`` coordinates), the logits a head on
    D's code of G(z). Low when D tells each category's G(z) from the
    others' (by any difference: on the faces, G's pixel noise did)."""
    target = z[:, :categories].argmax(axis=1).astype(numpy.int32)
    return weight * F.softmax_cross_entropy(logits, target)
