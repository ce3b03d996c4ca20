"""Self-conditioning (--self-condition): z's categories become clusters of
D's codes of the real data (Liu et al., CVPR 2020, "Diverse image generation
via self-conditioned GANs"), so that each category has real faces to be
pulled toward, and a category G has left empty is still asked for.

The clusters are kept online, from the codes of each step's real batch:
the first K reals seed the K centroids; then each real goes to its nearest
centroid, which moves a fraction of the way toward the mean of its reals
(D's codes drift as D trains: a fixed fraction follows them). Each
cluster's share of the reals, averaged over the last steps, is G's prior
over its categories (``category_weights``, a persistent of G: it travels
with generator.npz, and every sampler of z draws categories from it).
"""
import chainer
import numpy

from began.coverage.terms import squared_distances

#: How far a centroid moves toward the mean of its reals at a step.
CENTROID_RATE = 0.1
#: How much of the prior each step's reals replace (~1 / the steps averaged).
PRIOR_RATE = 0.01


class OnlineClusters:
    """K centroids of D's codes of the reals, and each cluster's share."""

    def __init__(self, k):
        self.k = k
        self.centroids = None   # (K, code size), on the codes' device
        self.filled = 0         # centroids seeded so far (the first K reals)

    def assign(self, h, weights):
        """The cluster of each row of ``h`` (the reals' codes, (b, d)), as
        int32 labels; moves the centroids and updates ``weights`` (G's
        prior, an array of K shares) in place."""
        xp = chainer.backend.get_array_module(h)
        b, k = len(h), self.k
        if self.centroids is None:
            self.centroids = xp.zeros((k, h.shape[1]), h.dtype)
        else:
            self.centroids = chainer.backend.get_device_from_array(h).send(self.centroids)
        labels = xp.empty(b, numpy.int32)
        seeded = min(k - self.filled, b)
        if seeded:   # the first reals seed the centroids, one each
            self.centroids[self.filled:self.filled + seeded] = h[:seeded]
            labels[:seeded] = xp.arange(self.filled, self.filled + seeded)
            self.filled += seeded
        if seeded < b:
            labels[seeded:] = squared_distances(h[seeded:], self.centroids[:self.filled]) \
                .argmin(axis=1)
        members = (labels[:, None] == xp.arange(k)[None, :]).astype(h.dtype)   # (b, K)
        counts = members.sum(axis=0)
        hit = counts > 0
        means = (members.T @ h)[hit] / counts[hit, None]
        self.centroids[hit] += CENTROID_RATE * (means - self.centroids[hit])
        weights *= 1 - PRIOR_RATE
        weights += PRIOR_RATE * counts / b
        return labels

    def serialize(self, serializer):
        """The centroids travel with the snapshot: a resumed run assigns
        the reals as the uninterrupted run would."""
        if not isinstance(serializer, chainer.serializer.Deserializer):
            serializer('filled', numpy.int64(self.filled))
            serializer('centroids', numpy.zeros((0,), numpy.float32) if self.centroids is None
                       else chainer.backend.CpuDevice().send(self.centroids))
            return
        self.filled = int(serializer('filled', 0))
        centroids = numpy.asarray(serializer('centroids', None))
        self.centroids = centroids if centroids.size else None
