"""Mode coverage of 2-D samples of the ring: the VEEGAN / PacGAN metrics."""
import numpy

from began.data.mixture import mode_centers


def mode_metrics(points, num_mixture=8, radius=2.0, std=0.04):
    """Modes captured and % high-quality samples (VEEGAN / PacGAN protocol).

    A sample is high quality when it lies within 3 std of its nearest mode; a
    mode is captured when at least one high-quality sample is nearest to it.
    """
    points = numpy.asarray(points, dtype=numpy.float64)
    centers = mode_centers(num_mixture, radius).astype(numpy.float64)
    dist = numpy.linalg.norm(points[:, None, :] - centers[None], axis=2)
    nearest = dist.argmin(1)
    high_quality = dist[numpy.arange(len(points)), nearest] <= 3 * std
    return {
        'modes': int(len(numpy.unique(nearest[high_quality]))),
        'high_quality': 100.0 * float(high_quality.mean()) if len(points) else 0.0,
    }
