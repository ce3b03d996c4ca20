"""fast_cpu/inplace.py: a -= k b in cache-sized slices equals the one expression."""
import numpy

from began.fast_cpu import inplace


def test_subtract_scaled_in_slices(monkeypatch):
    monkeypatch.setattr(inplace, 'CHUNK', 7)
    rs = numpy.random.RandomState(0)
    a, b = rs.randn(5, 9).astype(numpy.float32), rs.randn(5, 9).astype(numpy.float32)
    want = a - numpy.float32(0.3) * b
    inplace.subtract_scaled(a, 0.3, b)
    numpy.testing.assert_allclose(a, want, rtol=1e-6)
