"""--gpu N: which device, or a one-line reason why not (CPU-only tests).

CuPy's absence, a CuPy without CUDA, a machine with too few GPUs and a CUDA
install that fails at the probe's kernel, random draw or matrix product are
simulated with stand-ins for the ``cupy`` module.
"""
import os
import sys
import types
import warnings

import chainer
import numpy
import pytest

from began import device as device_module
from began.device import _reason, get_device
from began.errors import DeviceError
from conftest import assert_one_line_error, run_forked


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


class ProbeCupy(types.ModuleType):
    """A ``cupy`` with one device that runs the probe on NumPy, or fails at
    ``fail``: 'device' (creating the context), 'memory' (the first
    allocation), 'kernel' (NVRTC), 'launch' (the kernel's launch, seen at
    synchronize), 'curand' or 'cublas'; with its usual error, or ``error``."""

    def __init__(self, fail=None, error=None):
        super().__init__('cupy')
        self.fail, self.error, self.calls = fail, error, []
        self.float32 = numpy.float32
        probe = self

        class Device:
            def __init__(self, gpu):
                probe.step('device', RuntimeError('cudaErrorInsufficientDriver: CUDA driver '
                                                  'version is insufficient for CUDA runtime'))
                self.id = gpu

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def synchronize(self):
                if 'kernel' in probe.calls and 'launch' not in probe.calls:
                    probe.step('launch', RuntimeError(
                        'cudaErrorNoKernelImageForDevice: no kernel image is available for '
                        'execution on the device'))

        class RandomState:
            def __init__(self, seed, method):
                probe.step('curand', ImportError('libcurand.so.10: cannot open shared '
                                                 'object file: No such file or directory'))
                self.rs = numpy.random.RandomState(seed)

            def normal(self, size, dtype):
                return self.rs.normal(size=size).astype(dtype)

        self.cuda = types.SimpleNamespace(
            Device=Device, runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
            curand=types.SimpleNamespace(CURAND_RNG_PSEUDO_PHILOX4_32_10=5))
        self.random = types.SimpleNamespace(RandomState=RandomState)

    def step(self, name, error):
        self.calls.append(name)
        if self.fail == name:
            raise self.error or error

    def empty(self, shape, dtype):
        self.step('memory', MemoryError('Out of memory allocating 512 bytes'))
        return numpy.empty(shape, dtype)

    def arange(self, n, dtype):
        self.step('kernel', RuntimeError('CompileException: nvrtc: error: failed to load '
                                         'builtins for compute_90'))
        return numpy.arange(n, dtype=dtype)

    def matmul(self, a, b):
        self.step('cublas', RuntimeError('CUBLAS_STATUS_NOT_INITIALIZED'))
        return a @ b


OPEN, KERNEL = 'open the device and allocate memory', 'compile and run a kernel'
BUSY = RuntimeError('cudaErrorDevicesUnavailable: CUDA-capable device(s) is/are busy or '
                    'unavailable')
OUT_OF_MEMORY = RuntimeError('cudaErrorMemoryAllocation: out of memory')
NO_NVRTC = RuntimeError('CuPy failed to load libnvrtc.so.13: OSError: libnvrtc.so.13: '
                        'cannot open shared object file: No such file or directory')
PROBE_FAILURES = [  # (stage, error or None for its usual one, what was tried, reason, advice)
    ('device', None, OPEN, 'CUDA driver version is insufficient', 'the NVIDIA driver is older'),
    ('memory', None, OPEN, 'Out of memory allocating', 'GPU 0 is out of memory'),
    ('memory', BUSY, OPEN, 'busy or unavailable', 'GPU 0 is busy or reserved for one process'),
    ('device', RuntimeError('cudaErrorUnknown: unknown error'), OPEN, 'unknown error',
     'check the device with nvidia-smi'),
    ('kernel', None, KERNEL, 'failed to load builtins', 'this needs NVRTC'),
    ('kernel', NO_NVRTC, KERNEL, 'libnvrtc.so.13: cannot open', 'this needs NVRTC'),
    ('kernel', OUT_OF_MEMORY, KERNEL, 'out of memory', 'GPU 0 is out of memory'),
    ('kernel', BUSY, KERNEL, 'busy or unavailable', 'GPU 0 is busy or reserved'),
    ('launch', None, KERNEL, 'no kernel image is available', 'no code for this GPU'),
    ('curand', None, 'draw random numbers', 'libcurand.so.10: cannot open', 'this needs cuRAND'),
    ('curand', OUT_OF_MEMORY, 'draw random numbers', 'out of memory', 'GPU 0 is out of memory'),
    ('cublas', None, 'multiply matrices', 'CUBLAS_STATUS_NOT_INITIALIZED', 'this needs cuBLAS'),
]


@pytest.mark.parametrize('fail,error,tried,reason,advice', PROBE_FAILURES)
def test_probe_says_what_failed_and_what_to_do(monkeypatch, fail, error, tried, reason,
                                               advice):
    monkeypatch.setitem(sys.modules, 'cupy', ProbeCupy(fail, error))
    message = one_line_error(0)
    assert f'--gpu 0: CuPy cannot {tried} on GPU 0' in message
    assert reason in message and advice in message
    assert message.endswith('--gpu -1')
    if 'needs' not in advice:  # a busy GPU or an old driver is no missing library
        assert 'this needs' not in message


def test_an_old_driver_met_at_the_device_count_names_the_driver(monkeypatch):
    monkeypatch.setitem(sys.modules, 'cupy', fake_cupy(error=RuntimeError(
        'cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime '
        'version')))
    message = one_line_error(0)
    assert 'CUDA is not usable here' in message and 'the NVIDIA driver is older' in message


def test_probe_passes_on_a_working_device():
    cupy = ProbeCupy()
    device_module.probe(cupy, 0)
    assert cupy.calls == ['device', 'memory', 'kernel', 'launch', 'curand', 'cublas']


def test_probe_failure_stops_train_py_before_anything_is_written(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, 'cupy', ProbeCupy('curand'))  # the forked child sees it
    result = run_forked('train_animeface/train.py', '--gpu', 0, '--dataset', 'toyfaces',
                        '--size', 16, '--model-dir', tmp_path / 'model',
                        '--plot-dir', tmp_path / 'plot')
    assert_one_line_error(result, 'CuPy cannot draw random numbers on GPU 0', 'cuRAND')
    assert os.listdir(tmp_path) == []


def test_chainers_cudnn_advice_is_silenced(monkeypatch):
    # Chainer would tell a CuPy 14 user (no cuDNN at all) to "reinstall CuPy".
    cuda = chainer.backends.cuda
    monkeypatch.setattr(cuda, 'available', True)
    monkeypatch.setattr(cuda, 'cudnn_enabled', False)
    monkeypatch.setattr(cuda, '_cudnn_disabled_by_user', False, raising=False)
    monkeypatch.delattr(cuda.check_cuda_available, '_already_warned', raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        cuda.check_cuda_available()
    assert any('reinstall CuPy' in str(w.message) for w in caught)  # what it says unasked
    monkeypatch.delattr(cuda.check_cuda_available, '_already_warned')
    device_module.quiet_cudnn_advice()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        cuda.check_cuda_available()
    assert not caught


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
    # CuPy imports and works, but Chainer's own import of it failed.
    monkeypatch.setitem(sys.modules, 'cupy', ProbeCupy())
    monkeypatch.setattr(chainer.backends.cuda, 'available', False)
    monkeypatch.setattr(chainer.backends.cuda, '_resolution_error', cupy_style_import_error(),
                        raising=False)
    message = one_line_error(0)
    assert 'Chainer cannot use CuPy' in message and 'libcudart.so.13' in message


def test_chainer_without_a_resolution_error(monkeypatch):
    # Chainer defines _resolution_error only when an import failed.
    monkeypatch.setitem(sys.modules, 'cupy', ProbeCupy())
    monkeypatch.setattr(chainer.backends.cuda, 'available', False)
    monkeypatch.delattr(chainer.backends.cuda, '_resolution_error', raising=False)
    assert 'Chainer cannot use CuPy here (unknown reason)' in one_line_error(0)


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
    """This machine as it is (no CuPy, or no CUDA device): one line, nothing
    written. (The message for each cause: the tests above.)"""
    if cuda_usable():
        pytest.skip('this machine has a usable CUDA device: --gpu 0 would train')
    result = run_forked('train_gaussian_mixture/train.py', '--gpu', '0', '--epochs', '1',
                        '--updates-per-epoch', '2', '--model-dir', tmp_path / 'model',
                        '--plot-dir', tmp_path / 'plot')
    assert_one_line_error(result, '--gpu 0', 'CuPy', '--gpu -1')
    assert os.listdir(tmp_path) == []


# --- which device each process of a data-parallel run uses ----------------------------

@pytest.mark.parametrize('listed,count', [('3', 1), ('0,1', 2), ('GPU-5d1c,GPU-77aa', 2),
                                          ('', 0)])
def test_visible_devices_are_read_from_cuda_visible_devices(monkeypatch, listed, count):
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', listed)
    monkeypatch.setitem(sys.modules, 'cupy', fake_cupy(error=AssertionError('not asked')))
    assert device_module.visible_device_count() == count


def test_visible_devices_otherwise_come_from_cupy(monkeypatch):
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    monkeypatch.setitem(sys.modules, 'cupy', fake_cupy(count=4))
    assert device_module.visible_device_count() == 4
    monkeypatch.setitem(sys.modules, 'cupy', None)  # get_device will say why
    assert device_module.visible_device_count() is None


@pytest.mark.parametrize('gpu,rank,count,expected', [
    (0, 0, 4, 0), (0, 3, 4, 3), (1, 2, 4, 3),   # the processes share the machine's devices
    (0, 0, 1, 0), (0, 3, 1, 0),                 # one device a process (SLURM)
    (-1, 3, 4, -1), (None, 1, 2, None),         # the CPU
    (0, 1, None, 0),                            # no CuPy: get_device says why
])
def test_rank_device(gpu, rank, count, expected):
    assert device_module.rank_device(gpu, rank, 4, count) == expected


def test_rank_device_beyond_the_visible_devices_is_one_line():
    with pytest.raises(DeviceError) as info:
        device_module.rank_device(1, 2, 3, 2)
    message = str(info.value)
    assert '\n' not in message and 'process 2 would use GPU 3' in message
    assert 'sees 2 CUDA device(s)' in message and 'CUDA_VISIBLE_DEVICES' in message


@pytest.mark.parametrize('listed,expected', [('2', 0), ('0,1,2,3', 1), (None, 1)])
def test_each_process_of_a_group_asks_for_its_device(monkeypatch, listed, expected):
    from began.training.parallel import Group
    if listed is None:
        monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
        monkeypatch.setitem(sys.modules, 'cupy', fake_cupy(count=2))
    else:
        monkeypatch.setenv('CUDA_VISIBLE_DEVICES', listed)
    process_1_of_2 = types.SimpleNamespace(local_rank=1, local_size=2)
    assert Group.device_id(process_1_of_2, 0) == expected
    assert Group.device_id(process_1_of_2, -1) == -1


def test_a_missing_nccl_is_one_line_naming_the_install(monkeypatch):
    import chainermn
    from began.training.parallel import Group

    def no_nccl(name, mpi_comm):
        assert name == 'pure_nccl'
        raise RuntimeError('PureNcclCommunicator requires NCCL 2.0+, but NCCL is not '
                           'available.')
    monkeypatch.setattr(chainermn, 'create_communicator', no_nccl)
    process = types.SimpleNamespace(size=2, world=types.SimpleNamespace(Dup=lambda: None))
    gpu_device = types.SimpleNamespace(xp=types.ModuleType('cupy'))
    with pytest.raises(DeviceError) as info:
        Group.connect(process, gpu_device, types.SimpleNamespace(batch_size=16))
    message = str(info.value)
    assert '\n' not in message and 'with 2 processes needs NCCL' in message
    assert 'NCCL is not available' in message
    assert 'pip install nvidia-nccl-cu13' in message and 'nvidia-nccl-cu12' in message


def test_setup_py_offers_the_nccl_and_ctk_extras(root):
    text = open(os.path.join(root, 'setup.py')).read()
    for extra in ("'nccl12': ['nvidia-nccl-cu12']", "'nccl13': ['nvidia-nccl-cu13']",
                  "'cupy-cuda12x[ctk]>=13'", "'cupy-cuda13x[ctk]>=13'"):
        assert extra in text
