"""OpenBLAS's AVX-512 kernels on AMD CPUs it does not recognise.

NumPy's OpenBLAS picks its matrix-product kernels by CPU model. One it does
not know falls back to the AVX2 (Haswell) kernels, well below the AVX-512
(SkylakeX) ones it ships too on an AMD CPU that has AVX-512 (the AMD EPYC
this project was measured on: benchmarks/results/design_measurements.md).
The choice is read from OPENBLAS_CORETYPE when OpenBLAS loads, so this must
run before NumPy is first imported (began/__init__.py does); it changes
nothing when NumPy is already loaded, when OPENBLAS_CORETYPE is set, when
BEGAN_FAST_CPU=0, on Intel CPUs (OpenBLAS knows its AVX-512 ones) and
on CPUs without AVX-512.
"""
import os
import platform
import sys

AVX512 = {'avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'}


def cpu_info(path='/proc/cpuinfo'):
    """(vendor, set of flags) of the first CPU, or ('', set())."""
    vendor, flags = '', set()
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(':')
                key = key.strip()
                if key == 'vendor_id':
                    vendor = value.strip()
                elif key == 'flags':
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return vendor, flags


def choose_kernels(environ=os.environ, info=cpu_info, modules=sys.modules):
    """Set OPENBLAS_CORETYPE=SkylakeX where it helps; return what was set."""
    if ('numpy' in modules or environ.get('OPENBLAS_CORETYPE')
            or environ.get('BEGAN_FAST_CPU', '1') == '0'
            or not sys.platform.startswith('linux')
            or platform.machine() not in ('x86_64', 'AMD64')):
        return None
    vendor, flags = info()
    if vendor != 'AuthenticAMD' or not AVX512 <= flags:
        return None
    environ['OPENBLAS_CORETYPE'] = 'SkylakeX'
    return 'SkylakeX'
