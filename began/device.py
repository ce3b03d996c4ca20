"""--gpu N: the Chainer device to train on, or a one-line reason why not."""
import chainer

from began.errors import DeviceError


def get_device(gpu):
    """-1 is the CPU; N >= 0 is CuPy device N, checked before training."""
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
                          f'use --gpu -1 for the CPU') from None
    if gpu >= count:
        valid = f'0 to {count - 1} or -1' if count > 1 else '0 or -1' if count else '-1'
        raise DeviceError(f'--gpu {gpu}: this machine has {count} CUDA device(s); '
                          f'use --gpu {valid}')
    if not chainer.backends.cuda.available:
        # The reason is the exception Chainer met importing CuPy: often many lines.
        error = chainer.backends.cuda._resolution_error
        raise DeviceError(f'--gpu {gpu}: Chainer cannot use CuPy here '
                          f'({_reason(error) if error else "unknown reason"})')
    device = chainer.get_device(f'@cupy:{gpu}')
    device.use()
    return device


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
