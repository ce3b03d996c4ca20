"""--gpu N: the Chainer device to train on, or a one-line reason why not."""
import os

import chainer

from began.errors import DeviceError

# What the first update needs from CUDA beyond CuPy's import, in the order
# the probe tries it: (what was tried, the part of CUDA it needs, or None
# where no one library is to blame).
PROBE_STAGES = (
    ('open the device and allocate memory', None),
    ('compile and run a kernel', 'NVRTC, the CUDA runtime compiler'),
    ('draw random numbers', 'cuRAND'),
    ('multiply matrices', 'cuBLAS'),
)
INSTALL_HINT = ('install the CUDA libraries your CuPy wheel needs (CuPy 14: pip install '
                '"cupy-cuda12x[ctk]"; or the CUDA Toolkit; see docs/gpu.md) or use --gpu -1')
DRIVER_HINT = ('the NVIDIA driver is older than the CUDA this CuPy wheel was built for: '
               'update the driver, or install the CuPy wheel of the CUDA version nvidia-smi '
               'shows (see docs/gpu.md), or use --gpu -1')
# Failures whose text says what they are, whatever stage met them: (words of
# CUDA's error names and messages, lower case; what to tell the user).
CONDITIONS = (
    (('cudaerrordevicesunavailable', 'busy or unavailable', 'cuda_error_exclusive'),
     'GPU {gpu} is busy or reserved for one process (exclusive-process mode): another '
     'process holds it (nvidia-smi shows which); wait for it, use another --gpu, or --gpu -1'),
    (('out of memory', 'outofmemoryerror', 'cudaerrormemoryallocation'),
     'GPU {gpu} is out of memory: other processes hold it (nvidia-smi shows which); free it, '
     'use another --gpu, or --gpu -1'),
    (('insufficientdriver', 'driver version is insufficient', 'unsupportedptxversion',
      'unsupported toolchain'), DRIVER_HINT),
    (('nvrtc',), 'this needs NVRTC, the CUDA runtime compiler: ' + INSTALL_HINT),
    (('nokernelimagefordevice', 'no kernel image'),
     'this CuPy wheel has no code for this GPU (its CUDA is older than the GPU): install the '
     'CuPy wheel for a newer CUDA (see docs/gpu.md), or use --gpu -1'),
)


def advice(error, gpu, needs=None):
    """What to do about ``error``: by its text when it names a known
    condition, else the library the failing stage needs, else a look at
    nvidia-smi."""
    text = f'{type(error).__name__} {error} {error.__cause__ or ""}'.lower()
    for words, what in CONDITIONS:
        if any(word in text for word in words):
            return what.format(gpu=gpu)
    if needs:
        return f'this needs {needs}: {INSTALL_HINT}'
    return 'check the device with nvidia-smi, or use --gpu -1'


def get_device(gpu):
    """-1 is the CPU; N >= 0 is CuPy device N, checked before training: a
    tiny kernel, random draw and matrix product run on it first."""
    if gpu is None or gpu < 0:
        return chainer.get_device('@numpy')
    try:
        import cupy
    except Exception as e:  # ImportError, or a CuPy that cannot load CUDA
        raise DeviceError(
            f'--gpu {gpu} needs CuPy, which is not usable here ({_reason(e)}); '
            f'install the CuPy wheel for your CUDA (see README) or use --gpu -1') from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        raise DeviceError(f'--gpu {gpu}: CUDA is not usable here ({_reason(e)}); '
                          f'{advice(e, gpu)}') from None
    if gpu >= count:
        valid = f'0 to {count - 1} or -1' if count > 1 else '0 or -1' if count else '-1'
        raise DeviceError(f'--gpu {gpu}: this machine has {count} CUDA device(s); '
                          f'use --gpu {valid}')
    probe(cupy, gpu)
    cuda = chainer.backends.cuda
    if not cuda.available:
        # The reason is the exception Chainer met importing CuPy: often many lines.
        error = getattr(cuda, '_resolution_error', None)
        raise DeviceError(f'--gpu {gpu}: Chainer cannot use CuPy here '
                          f'({_reason(error) if error else "unknown reason"})')
    quiet_cudnn_advice()
    device = chainer.get_device(f'@cupy:{gpu}')
    device.use()
    return device


def visible_device_count():
    """The CUDA devices this process may use: the entries of
    CUDA_VISIBLE_DEVICES when it is set (no CUDA call), else CuPy's count;
    None when CuPy cannot tell (get_device then says why)."""
    listed = os.environ.get('CUDA_VISIBLE_DEVICES')
    if listed is not None:
        return len([entry for entry in listed.split(',') if entry.strip()])
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:
        return None


def rank_device(gpu, local_rank, local_size, count):
    """The device of process ``local_rank`` of the ``local_size`` on one
    machine, for --gpu N, when it sees ``count`` devices: N + local_rank
    when the processes share the machine's devices; N itself when each
    process sees one device only (a scheduler that sets
    CUDA_VISIBLE_DEVICES per process, as SLURM does)."""
    if gpu is None or gpu < 0 or count is None or count == 1:
        return gpu
    if gpu + local_rank < count:
        return gpu + local_rank
    raise DeviceError(f'--gpu {gpu} with {local_size} processes on this machine: process '
                      f'{local_rank} would use GPU {gpu + local_rank}, but it sees {count} '
                      f'CUDA device(s); start at most {max(count - gpu, 1)} processes a '
                      f'machine, or give each process one device (CUDA_VISIBLE_DEVICES)')


def nccl_missing(processes, error):
    """The one-line error for ChainerMN's 'pure_nccl' communicator failing
    to start: CuPy could not load NCCL."""
    return DeviceError(
        f'--gpu with {processes} processes needs NCCL, which CuPy cannot load here '
        f'({_reason(error)}); install it for your CUDA: pip install nvidia-nccl-cu13 '
        f'(CUDA 13) or nvidia-nccl-cu12 (CUDA 12), or the extra ".[nccl13]" / ".[nccl12]"')


def probe(cupy, gpu):
    """Open GPU ``gpu``, then run a tiny kernel, random draw and matrix
    product on it and wait for each: a busy or full GPU, a driver too old or
    a partial CUDA install (a CuPy wheel without its CUDA libraries) then
    fails here, in one line, before anything is written, not with a
    traceback in the first update."""
    from began.rng import device_generator
    stage = 0
    try:
        device = cupy.cuda.Device(gpu)
        with device:
            cupy.empty((8, 8), dtype=cupy.float32)   # the context and an allocation
            device.synchronize()
            stage = 1
            x = cupy.arange(64, dtype=cupy.float32).reshape(8, 8) * 0.5
            device.synchronize()
            stage = 2
            r = device_generator(cupy, 0).normal(size=(8, 8), dtype=cupy.float32)
            device.synchronize()
            stage = 3
            y = cupy.matmul(x, r)
            device.synchronize()
            del x, r, y
    except Exception as e:
        tried, needs = PROBE_STAGES[stage]
        raise DeviceError(f'--gpu {gpu}: CuPy cannot {tried} on GPU {gpu} ({_reason(e)}); '
                          f'{advice(e, gpu, needs)}') from None


def quiet_cudnn_advice():
    """Without cuDNN, Chainer warns at the first use of the GPU, in three
    lines, to "reinstall CuPy after you install cudnn": wrong for CuPy 14,
    which has no cuDNN, and for CuPy 13, which loads cuDNN when it is
    installed (and says how itself, at import). cuDNN changes speed, not
    what is computed (docs/gpu.md)."""
    cuda = chainer.backends.cuda
    if not cuda.cudnn_enabled:
        cuda.check_cuda_available._already_warned = True


def _reason(e, depth=0):
    """The first line of ``e`` that says something (CuPy's import error opens
    with a rule of '='), plus that of the error it was raised from."""
    lines = [line.strip() for line in str(e).splitlines()
             if any(c.isalnum() for c in line)]
    text = lines[0] if lines else type(e).__name__
    cause = e.__cause__
    if cause is not None and depth == 0:
        text = f'{text.rstrip(".")}: {type(cause).__name__}: {_reason(cause, 1)}'
    return text
