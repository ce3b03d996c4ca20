"""A transport loss that pairs every fake with a real: the sliced
Wasserstein distance (Wu et al., CVPR 2019; Liutkus et al., ICML 2019).

On each of a few random directions, the fakes' projections sorted are
matched with the reals' projections sorted (the one-dimensional optimal
transport), and each fake is pulled toward its partner. Unlike the MMD,
whose kernels are wider than the gaps between modes, the pull is per point:
a fake between two modes has a real partner on one of them.
"""
import chainer
import chainer.functions as F


def sliced_wasserstein(fake, real, weight, rs, directions=64):
    """w SW_2^2(fake, real) over ``directions`` random unit directions drawn
    from ``rs``, divided by the reals' mean projected variance, so that it is
    free of the data's scale (a G collapsed onto the reals' mean scores
    about 1). Each row is one point, of any shape; the reals are a target
    (no gradient). With fewer reals than fakes (or more), a fake of rank i
    gets the real of the same quantile."""
    real = real.array if isinstance(real, chainer.Variable) else real
    n, m = fake.shape[0], real.shape[0]
    if n < 1 or m < 2:
        raise ValueError(f'sliced Wasserstein needs a fake and 2 real points, got {n} and {m}')
    xp = fake.xp
    fake = F.reshape(fake, (n, -1))
    real = real.reshape(m, -1)
    d = real.shape[1]
    theta = rs.normal(0, 1, (d, directions)).astype(real.dtype)
    theta /= xp.sqrt((theta * theta).sum(axis=0, keepdims=True))
    projected_fake = F.matmul(fake, theta)              # (n, directions)
    projected_real = xp.sort(real @ theta, axis=0)      # (m, directions)
    order = xp.argsort(projected_fake.array, axis=0)
    columns = xp.arange(directions)
    sorted_fake = F.reshape(F.get_item(F.reshape(projected_fake, (-1,)),
                                       (order * directions + columns).ravel()),
                            (n, directions))
    ranks = ((xp.arange(n) + 0.5) * m / n).astype(xp.int64).clip(0, m - 1)
    partners = projected_real[ranks]
    scale = max(float(projected_real.var(axis=0).mean()), 1e-12)
    return weight * F.mean(F.square(sorted_fake - partners)) / scale
