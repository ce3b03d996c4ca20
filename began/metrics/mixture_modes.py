"""Mode coverage of 2-D samples of a mixture (ring or grid): the VEEGAN /
PacGAN metrics, the KL between the generated and true mode histograms, and
two stricter readings: how wide G's modes are, and how many modes hold a
fair share of the samples (a line through a mode "captures" it)."""
import numpy

from began.data.mixture import mode_centers


# A mode is well covered when it holds at least this share of the samples a
# perfect sampler would give it (all of them divided by the modes).
WELL_COVERED_SHARE = 0.25


def mode_metrics(points, num_mixture=8, radius=2.0, std=0.04, shape='ring'):
    """Modes captured, % high-quality samples, the modes' KL, G's spread and
    the well-covered modes.

    A sample is high quality when it lies within 3 std of its nearest mode; a
    mode is captured when at least one high-quality sample is nearest to it.
    ``kl`` is KL(p_gen || p_true) in nats, p_gen the histogram of the
    high-quality samples over the modes, p_true uniform (as the mixture is):
    0 for a perfect sampler (up to sampling noise), log(num_mixture) for one
    mode; NaN when no sample is high quality (as the toy faces' face_kl).
    ``spread`` is the std of the high-quality samples about their mode (per
    coordinate, root mean square) over the true std: a perfect sampler gives
    0.97 (the 3-std cut trims its tails), a G whose modes are too narrow less
    (NaN without high-quality samples). ``well_covered`` counts the modes
    holding at least WELL_COVERED_SHARE of their expected share of the
    samples (len(points) / num_mixture) as high-quality samples.
    """
    points = numpy.asarray(points, dtype=numpy.float64).reshape(-1, 2)
    centers = mode_centers(num_mixture, radius, shape).astype(numpy.float64)
    dist = numpy.linalg.norm(points[:, None, :] - centers[None], axis=2)
    nearest = dist.argmin(1)
    high_quality = dist[numpy.arange(len(points)), nearest] <= 3 * std
    counts = numpy.bincount(nearest[high_quality], minlength=num_mixture)
    kl = spread = float('nan')
    if counts.sum():
        p = counts[counts > 0] / counts.sum()
        kl = float(numpy.sum(p * numpy.log(p * num_mixture)))
        offsets = dist[numpy.arange(len(points)), nearest][high_quality]
        spread = float(numpy.sqrt(numpy.mean(offsets ** 2) / 2)) / std
    enough = WELL_COVERED_SHARE * len(points) / num_mixture
    return {
        'modes': int((counts > 0).sum()),
        'high_quality': 100.0 * float(high_quality.mean()) if len(points) else 0.0,
        'kl': kl,
        'spread': spread,
        'well_covered': int((counts >= max(enough, 1)).sum()),
    }
