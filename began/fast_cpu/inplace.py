"""a -= k b in place, in cache-sized slices on the CPU.

L_D's gradient is real_terms' minus k_t times the fake branch's
(began/gradients.py); D's big linear layers make that a whole-memory trip
per temporary. Slices of CHUNK elements keep the one temporary in the cache.
"""
import numpy

#: Elements per slice of the in-place a -= k b (a cache-sized piece).
CHUNK = 1 << 16


def subtract_scaled(a, k, b):
    """a -= k b in place; for C-contiguous NumPy arrays in slices (one pass
    over memory instead of three), otherwise (CuPy) as one expression."""
    if not isinstance(a, numpy.ndarray) or not a.flags.c_contiguous \
            or not b.flags.c_contiguous:
        a -= k * b
        return
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    scratch = numpy.empty(min(CHUNK, flat_a.size), dtype=a.dtype)
    for start in range(0, flat_a.size, CHUNK):
        s = slice(start, start + CHUNK)
        t = scratch[:len(flat_a[s])]
        numpy.multiply(flat_b[s], k, out=t)
        flat_a[s] -= t
