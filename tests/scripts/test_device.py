"""--gpu N: which device, or a one-line reason why not (CPU-only tests).

CuPy's absence, a CuPy without CUDA and a machine with too few GPUs are
simulated with stand-ins for the ``cupy`` module.
"""
import os
import sys
import types

import chainer
import numpy
import pytest

from began.device import _reason, get_device
from began.errors import DeviceError
from conftest import run_script


def fake_cupy(count=None, error=None):
    """A ``cupy`` module whose getDeviceCount returns ``count`` or raises ``error``."""
    def get_device_count():
        if error is not None:
            raise error
        return count
    module = types.ModuleType('cupy')
    module.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    return module


def cupy_style_import_error():
    """What ``import cupy`` raises when its CUDA libraries are missing: a
    message that opens with a rule, raised from the loader's error."""
    try:
        try:
            raise ImportError('libcudart.so.13: cannot open shared object file')
        except ImportError as exc:
            raise ImportError('\n' + '=' * 64 + '\nFailed to import CuPy.\n\nIf you '
                              'installed CuPy via wheels ...\n' + '=' * 64 + '\n') from exc
    except ImportError as e:
        return e


def one_line_error(gpu):
    with pytest.raises(DeviceError) as info:
        get_device(gpu)
    message = str(info.value)
    assert message and '\n' not in message, repr(message)
    return message


@pytest.mark.parametrize('gpu', [-1, None, -7])
def test_negative_means_the_cpu(gpu):
    device = get_device(gpu)
    assert device.xp is numpy
    assert device == chainer.get_device('@numpy')


def test_without_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, 'cupy', None)  # import cupy -> ImportError
    message = one_line_error(0)
    assert 'CuPy' in message and '--gpu 0' in message and '--gpu -1' in message


def test_cupy_that_cannot_load_cuda_libraries(monkeypatch):
    error = cupy_style_import_error()

    class Finder:  # `import cupy` fails the way a wheel without its CUDA fails
        def find_spec(self, name, path=None, target=None):
            if name == 'cupy':
                raise error
            return None
    monkeypatch.delitem(sys.modules, 'cupy', raising=False)
    monkeypatch.setattr(sys, 'meta_path', [Finder()] + sys.meta_path)
    message = one_line_error(0)
    assert 'CuPy' in message
    assert 'Failed to import CuPy' in message and 'libcudart.so.13' in message


def test_cupy_without_cuda(monkeypatch):
    monkeypatch.setitem(sys.modules, 'cupy', fake_cupy(error=RuntimeError(
        'cudaErrorNoDevice: no CUDA-capable device is detected\n(more detail)')))
    message = one_line_error(0)
    assert 'CUDA is not usable' in message
    assert 'no CUDA-capable device is detected' in message and 'more detail' not in message


@pytest.mark.parametrize('gpu,count,valid', [(1, 1, '0 or -1'), (4, 2, '0 to 1 or -1'),
                                             (0, 0, '-1')])
def test_device_number_beyond_the_count(monkeypatch, gpu, count, valid):
    monkeypatch.setitem(sys.modules, 'cupy', fake_cupy(count=count))
    message = one_line_error(gpu)
    assert f'{count} CUDA device(s)' in message and message.endswith(f'--gpu {valid}')


def test_cupy_that_chainer_cannot_use(monkeypatch):
    # CuPy imports and sees a device, but Chainer's own import of it failed.
    monkeypatch.setitem(sys.modules, 'cupy', fake_cupy(count=1))
    monkeypatch.setattr(chainer.backends.cuda, 'available', False)
    monkeypatch.setattr(chainer.backends.cuda, '_resolution_error', cupy_style_import_error(),
                        raising=False)
    message = one_line_error(0)
    assert 'Chainer cannot use CuPy' in message and 'libcudart.so.13' in message


def test_reason_is_one_meaningful_line():
    assert _reason(ValueError('')) == 'ValueError'
    assert _reason(ValueError('\n  first\nsecond')) == 'first'
    assert _reason(cupy_style_import_error()) == (
        'Failed to import CuPy: ImportError: libcudart.so.13: cannot open shared object file')


def cuda_usable():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def test_train_script_refuses_gpu_without_cuda(tmp_path):
    if cuda_usable():
        pytest.skip('this machine has a usable CUDA device: --gpu 0 would train')
    model_dir, plot_dir = tmp_path / 'model', tmp_path / 'plot'
    result = run_script('train_gaussian_mixture/train.py', '--gpu', '0', '--epochs', '1',
                        '--updates-per-epoch', '2', '--model-dir', model_dir,
                        '--plot-dir', plot_dir, timeout=120)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and 'CuPy' in lines[0], \
        result.stderr
    written = [os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files]
    assert not [f for f in written if f.endswith('.npz')], written
    assert 'Traceback' not in result.stdout + result.stderr
