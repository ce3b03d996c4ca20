"""The fast CPU kernels are used for NumPy arrays while switched on, and
Chainer's own otherwise; OpenBLAS's kernels and glibc's memory are chosen
only where that helps."""
import json
import platform

import chainer
import numpy
import pytest

from began.fast_cpu import layers, memory, openblas
from began.fast_cpu.conv import Convolution2D as FastConvolution
from conftest import run_forked


def creator_of(fn):
    return type(fn().creator_node).__name__


def test_switch_picks_the_kernels():
    conv = layers.Convolution2D(3, 4, ksize=3, pad=1)
    x = numpy.ones((2, 3, 5, 5), numpy.float32)
    assert isinstance(conv(x).creator_node, FastConvolution)
    assert creator_of(lambda: layers.elu(x)) == 'ELU'
    assert creator_of(lambda: layers.depth2space(numpy.ones((1, 8, 2, 2)), 2)) == 'Depth2Space'
    with chainer.using_config('began_fast_cpu', False):
        assert type(conv(x).creator_node).__name__ == 'Convolution2DFunction'
        assert type(layers.depth2space(numpy.ones((1, 8, 2, 2)), 2).creator_node).__module__ \
            .startswith('chainer.')
        assert type(layers.elu(x).creator_node).__module__.startswith('chainer.')


def test_openblas_kernels_chosen_only_where_they_help():
    avx512_amd = lambda: ('AuthenticAMD', openblas.AVX512 | {'avx2'})  # noqa: E731
    env = {}
    assert openblas.choose_kernels(env, avx512_amd, modules={}) == 'SkylakeX'
    assert env == {'OPENBLAS_CORETYPE': 'SkylakeX'}
    for environ, info, modules in [
            ({'OPENBLAS_CORETYPE': 'Haswell'}, avx512_amd, {}),   # the user's choice stands
            ({'BEGAN_FAST_CPU': '0'}, avx512_amd, {}),
            ({}, avx512_amd, {'numpy': numpy}),                   # too late: OpenBLAS loaded
            ({}, lambda: ('GenuineIntel', openblas.AVX512), {}),  # OpenBLAS knows Intel's
            ({}, lambda: ('AuthenticAMD', {'avx2'}), {})]:        # no AVX-512
        before = dict(environ)
        assert openblas.choose_kernels(environ, info, modules=modules) is None
        assert environ == before


def test_cpu_info_reads_proc_cpuinfo(tmp_path):
    path = tmp_path / 'cpuinfo'
    path.write_text('processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 avx512f\n')
    assert openblas.cpu_info(str(path)) == ('AuthenticAMD', {'fpu', 'avx2', 'avx512f'})
    assert openblas.cpu_info(str(tmp_path / 'missing')) == ('', set())


def test_keep_freed_memory():
    agreed = memory.keep_freed_memory()
    if platform.system() == 'Linux' and platform.libc_ver()[0] == 'glibc':
        assert agreed
    assert memory.keep_freed_memory() == agreed  # once is enough


def test_no_fast_cpu_option_trains_the_same_run_with_chainers_kernels(tmp_path, monkeypatch):
    """--no-fast-cpu: the same losses to float32 rounding, with Chainer's
    kernels instead of began.fast_cpu's. Which kernels ran is counted (the
    forked child inherits the counting wrapper), not inferred from the last
    bits of the losses, which agree exactly on some CPUs."""
    calls = tmp_path / 'fast_conv_calls'
    forward = FastConvolution.forward

    def counted(self, inputs):
        with open(calls, 'a') as f:
            f.write('.')
        return forward(self, inputs)

    monkeypatch.setattr(FastConvolution, 'forward', counted)
    logs, counts = [], []
    for name, extra in (('fast', []), ('chainer', ['--no-fast-cpu'])):
        out = tmp_path / name
        calls.write_text('')
        result = run_forked('train_animeface/train.py', '--dataset', 'toyfaces',
                            '--num-images', 24, '--size', 16, '--n-h', 16, '--batch-size', 8,
                            '--epochs', 1, '--score-samples', 20, '--no-progress',
                            '--model-dir', out / 'model', '--plot-dir', out / 'plot', *extra)
        assert result.returncode == 0, result.stderr
        logs.append(json.loads((out / 'model' / 'log').read_text())[-1])
        counts.append(len(calls.read_text()))
    fast, chainers = logs
    keys = ('loss_real', 'loss_fake', 'loss_d', 'loss_g', 'k')
    assert [fast[k] for k in keys] == pytest.approx([chainers[k] for k in keys], rel=1e-3)
    assert counts[0] > 0 and counts[1] == 0, counts
