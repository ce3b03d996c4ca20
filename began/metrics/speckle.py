"""Speckle, the pixel-level noise the post saw on generator outputs, as one number.

A batch's high-frequency energy is mean |x - box3(x)|, box3 the mean of each
pixel's 3x3 neighbourhood (edges repeated). ``speckle_ratio`` is that energy
of generated images over that of real ones: about 1 when G's fine detail is
the data's, below 1 when G's images are blurrier, above 1 when they carry
more pixel noise than the data.
"""
import numpy


def high_frequency_energy(x):
    """mean |x - its 3x3 local mean| of (N, C, H, W) floats."""
    padded = numpy.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode='edge')
    h, w = x.shape[2:]
    local = sum(padded[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)) / 9
    return float(numpy.abs(x - local).mean())


def speckle_ratio(generated, real):
    """High-frequency energy of ``generated`` over that of ``real`` (NaN for flat real images)."""
    base = high_frequency_energy(real)
    return high_frequency_energy(generated) / base if base > 1e-6 else float('nan')
