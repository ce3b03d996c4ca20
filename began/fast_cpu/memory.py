"""Keep memory that big arrays free in the process, for the next step.

A training step allocates the same large arrays every time (D's weight
gradients alone are four arrays of 75 MB at 96x96). glibc hands blocks of
over 32 MB straight back to the operating system when they are freed, so
every step faults their pages in again, a sizeable share of a step
(benchmarks/results/design_measurements.md). Telling glibc to serve every
block from its heap and never to trim it makes the freed blocks of one step
the next step's (the process keeps its peak size). Elsewhere than glibc this
does nothing.
"""
import ctypes

M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8

_done = False


def keep_freed_memory():
    """Ask glibc to keep freed memory for reuse; True if it agreed."""
    global _done
    if _done:
        return True
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    # One arena: threads' blocks come from the same, never-trimmed heap.
    _done = bool(mallopt(M_ARENA_MAX, 1) and mallopt(M_MMAP_MAX, 0)
                 and mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1))
    return _done
