"""The mode-coverage terms (none of them is the post's; each off by default).

  L_D: each fake's error capped at m L(x)    EBGAN's margin, adaptive
  L_D += w mean |enc(G(z)) - P z|            BEGAN-CS's latent constraint (P fixed)
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
    """L(G(z)) with each sample's error capped at ``cap`` (a number): D gains
    nothing by pushing a fake further than that. -k of it in L_D is EBGAN's
    hinge k mean(max(0, cap - error)) up to a constant: a bounded push."""
    n = fake.shape[0]
    errors = F.mean(F.reshape(F.absolute(fake - reconstruction), (n, -1)), axis=1)
    return F.mean(F.minimum(errors, fake.xp.full(errors.shape, cap, errors.dtype)))


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


# RBF bandwidths of the MMD term, as multiples of the median distance
# between the real points (the median heuristic): scale-free, in any space.
MMD_SCALES = (0.125, 0.25, 0.5, 1.0, 2.0)


def median_squared_distance(real):
    """The median squared distance between distinct rows of ``real`` (a number)."""
    n = real.shape[0]
    flat = chainer.backend.CpuDevice().send(real).reshape(n, -1).astype(numpy.float64)
    d2 = ((flat[:, None, :] - flat[None, :, :]) ** 2).sum(axis=2)
    return float(numpy.median(d2[numpy.triu_indices(n, 1)]))


def _kernel(a, b, bandwidths2):
    """Mean over the bandwidths of exp(-|a_i - b_j|^2 / (2 s^2)), (n, m)."""
    d2 = F.sum(F.square(F.expand_dims(a, 1) - F.expand_dims(b, 0)), axis=2)
    return sum(F.exp(-d2 / (2 * s2)) for s2 in bandwidths2) / len(bandwidths2)


def mmd(fake, real, weight, scales=MMD_SCALES):
    """w MMD^2(fake, real), the unbiased estimate, with a mixture of RBF
    kernels whose widths are ``scales`` times the real points' median
    distance. A characteristic kernel: zero only when the two
    distributions are equal, so a G in one mode pays for the other modes'
    missing mass. The real points are a target (no gradient); each row is
    one point, of any shape."""
    real = real.array if isinstance(real, chainer.Variable) else real
    n, m = fake.shape[0], real.shape[0]
    if n < 2 or m < 2:
        raise ValueError(f'the MMD needs at least 2 fake and 2 real points, got {n} and {m}')
    fake = F.reshape(fake, (n, -1))
    real = real.reshape(m, -1)
    median2 = max(median_squared_distance(real), 1e-12)
    bandwidths2 = [s * s * median2 for s in scales]
    xp = fake.xp
    k_ff = _kernel(fake, fake, bandwidths2)
    k_rr = _kernel(real, real, bandwidths2).array
    k_fr = _kernel(fake, real, bandwidths2)
    off_ff = (F.sum(k_ff) - F.sum(k_ff * xp.eye(n, dtype=k_ff.dtype))) / (n * (n - 1))
    off_rr = (k_rr.sum() - xp.trace(k_rr)) / (m * (m - 1))
    return weight * (off_ff + off_rr - 2 * F.mean(k_fr))


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
