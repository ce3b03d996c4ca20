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
        raise DeviceError(f'--gpu {gpu}: this machine has {count} CUDA device(s)')
    if not chainer.backends.cuda.available:
        raise DeviceError(f'--gpu {gpu}: Chainer cannot use CuPy here '
                          f'({chainer.backends.cuda._resolution_error or "unknown reason"})')
    device = chainer.get_device(f'@cupy:{gpu}')
    device.use()
    return device


def _reason(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
