"""The project on NumPy 2 (the stack CuPy 14 needs), through began.compat.

Builds once, then reuses, virtual environments with the newest NumPy 2.x that
has a wheel for their Python, Chainer 7.8.1 installed from the wheel the GPU
check carries (wheels/, made by benchmarks/make_wheels), Pillow and
Matplotlib:

  .venv-numpy2          this Python, setuptools < 74: Chainer's import-time
                        check can run; compat defines the removed NumPy names
  .venv-numpy2-py312    the lent GPU machine's stack: Python 3.12 where one is
                        found (on PATH or pyenv's; else this Python), setuptools
                        >= 82: no pkg_resources and no numpy.distutils, so
                        compat also stubs the check

(BEGAN_NUMPY2_VENV moves the first; the second is its path plus '-py312'.)
In each, a fresh process imports ``began``, trains the MLP (mixture) and the
blog conv networks (16x16) for two updates each through ``build_trainer``
with its extensions (log, plots, snapshot), writes a grid and calls
F.resize_images; the losses must be finite. Skipped only when pip cannot
reach a registry (or finds no NumPy 2 wheel for that Python); other pip
failures fail. Building the venvs is most of its time; they are reused.
"""
import glob
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAIN_VENV = os.environ.get('BEGAN_NUMPY2_VENV') or os.path.join(ROOT, '.venv-numpy2')
WHEELS = os.path.join(ROOT, 'wheels')
COMMON = ['pillow', 'matplotlib', 'six', 'typing_extensions', 'filelock', 'protobuf']


def python312():
    """A Python 3.12 that runs (the lent GPU machine's), else this Python."""
    pyenv = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
    found = sorted(glob.glob(os.path.join(pyenv, 'versions', '3.12*', 'bin', 'python3.12')))
    for python in found + [shutil.which('python3.12')]:   # (a pyenv shim may not run)
        try:
            version = subprocess.run([python, '-c', 'import sys; print(sys.version_info[:2])'],
                                     capture_output=True, text=True, timeout=30).stdout
        except (OSError, TypeError, subprocess.TimeoutExpired):
            continue
        if version.strip() == '(3, 12)':
            return python
    return sys.executable


VARIANTS = {  # name: (venv path, its Python, setuptools requirement)
    'setuptools<74': (MAIN_VENV, sys.executable, ['setuptools<74', 'wheel']),
    'python3.12, setuptools>=82': (MAIN_VENV + '-py312', python312(), ['setuptools>=82']),
}
RECIPE_FILE = '.began-numpy2-recipe'
PIP = ['-m', 'pip', '--disable-pip-version-check', '--retries', '1', '--timeout', '30']

PROBE = r'''
import importlib.util, json, math, os, sys, tempfile, time, warnings
warnings.simplefilter('always')
with warnings.catch_warnings(record=True) as caught:
    t0 = time.time()
    import began
    from began import compat
    import chainer, numpy
    import chainer.functions as F
    from began.pictures import grids
    from began.nets import sampling
    from began.config import Config
    from began.device import get_device
    from began.data.mixture import MixtureIterator
    from began.nets import build_models
    from began.training.trainer import LOSS_KEYS, build_trainer
    out = {'numpy': numpy.__version__, 'python': sys.version.split()[0],
           'patched': compat.PATCHED, 'import_s': round(time.time() - t0, 2),
           'pkg_resources': importlib.util.find_spec('pkg_resources') is not None,
           'environment_check': getattr(sys.modules['chainer._environment_check'],
                                        '__file__', None) is not None}
    tmp = tempfile.mkdtemp()
    runs = {
        'mlp': Config(arch='mlp', dataset='mixture', n_z=8, n_h=32, hidden=16,
                      batch_size=8, epochs=1, updates_per_epoch=2, weight_std=0.0),
        'blog': Config(arch='blog', dataset='toyfaces', image_size=16, n_z=8, n_h=32,
                       batch_size=4, epochs=1),
    }
    for name, config in runs.items():
        config.validate()
        if name == 'mlp':
            iterator = MixtureIterator(config.batch_size, config.updates_per_epoch, config.seed)
        else:
            images = numpy.random.RandomState(0).randint(0, 256, (8, 3, 16, 16))
            iterator = chainer.iterators.SerialIterator(images.astype(numpy.uint8),
                                                        config.batch_size, shuffle=False)
        gen, dis = build_models(config)
        model_dir = os.path.join(tmp, name, 'model')
        trainer = build_trainer(config, iterator, gen, dis, get_device(-1), model_dir,
                                os.path.join(tmp, name, 'plot'), progress=False)
        t0 = time.time()
        trainer.run(show_loop_exception_msg=False)
        out[name] = {k: trainer.get_extension('LogReport').log[-1][k] for k in LOSS_KEYS}
        out[name].update(iteration=trainer.updater.iteration, train_s=round(time.time() - t0, 2),
                         files=sorted(os.listdir(model_dir)))
    z = sampling.fixed_z(runs['blog'], 4)
    grid = grids.tile(grids.to_uint8_images(sampling.generate(gen, z)), 2, 2)
    out['grid'] = os.path.getsize(grids.save_png(grid, os.path.join(tmp, 'grid.png')))
    out['resize'] = list(F.resize_images(numpy.zeros((1, 3, 4, 4), 'f'), (8, 8)).shape)
out['warnings'] = sorted({f'{w.category.__name__}: {str(w.message).strip().splitlines()[0]} '
                          f'({os.path.basename(w.filename)})' for w in caught})
print('PROBE ' + json.dumps(out))
'''


class NoRegistry(Exception):
    """pip could not reach a registry, or NumPy 2 has no wheel for this Python."""


OFFLINE = ('No matching distribution found', 'Could not find a version', 'NewConnectionError',
           'Connection refused', 'Temporary failure in name resolution', 'Name or service not',
           'Network is unreachable', 'ProxyError', 'Max retries exceeded', 'ReadTimeoutError',
           'ConnectTimeoutError')


_unavailable = []  # the reason, once NumPy 2 turned out not to be installable


def pip(python, *args, what):
    result = subprocess.run([python, *PIP, *args], capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line.strip() for line in result.stdout.splitlines() + result.stderr.splitlines()
                 if line.strip() and 'is ignored' not in line]
        message = f'{what} failed: ' + ' | '.join(lines[-2:])
        if any(sign in line for line in lines for sign in OFFLINE):
            raise NoRegistry(message)
        raise RuntimeError(message)
    return result


def venv_python(venv):
    return os.path.join(venv, 'bin', 'python')


def recipe(python, requirements, wheel):
    version = subprocess.run([python, '-c', 'import sys; print(sys.version)'],
                             capture_output=True, text=True).stdout
    text = json.dumps([version, requirements, COMMON, wheel, 2])
    return hashlib.sha1(text.encode()).hexdigest()


def chainer_wheel():
    """Chainer's wheel in wheels/, made by benchmarks/make_wheels when missing
    (with this venv's setuptools < 74): the one the GPU check carries."""
    found = glob.glob(os.path.join(WHEELS, 'chainer-7.8.1-*.whl'))
    if not found:
        result = subprocess.run(['bash', os.path.join(ROOT, 'benchmarks', 'make_wheels')],
                                capture_output=True, text=True,
                                env=dict(os.environ, PYTHON=sys.executable, WHEEL_DIR=WHEELS))
        lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()
                 if line.strip() and 'is ignored' not in line]
        if result.returncode != 0:
            message = 'benchmarks/make_wheels failed: ' + ' | '.join(lines[-2:])
            if any(sign in line for line in lines for sign in OFFLINE):
                raise NoRegistry(message)
            raise RuntimeError(message)
        found = glob.glob(os.path.join(WHEELS, 'chainer-7.8.1-*.whl'))
    return found[0]


def build_venv(venv, python, setuptools, wheel, stamp):
    """Create ``venv`` (in a temporary folder renamed at the end, so a
    half-built one is never used)."""
    tmp = f'{venv}.tmp-{os.getpid()}'
    shutil.rmtree(tmp, ignore_errors=True)
    # No pip of its own (ensurepip took most of a venv's build): this venv's
    # pip installs into it (pip --python).
    subprocess.run([python, '-m', 'venv', '--without-pip', tmp], check=True,
                   capture_output=True)
    into = ['--python', venv_python(tmp), 'install', '-q']
    try:
        pip(sys.executable, *into, '--only-binary', 'numpy', 'numpy>=2', *setuptools, *COMMON,
            what='pip install numpy>=2 and the stack')
        pip(sys.executable, *into, '--no-deps', wheel, what='pip install the chainer wheel')
        with open(os.path.join(tmp, RECIPE_FILE), 'w') as f:
            f.write(stamp)
        shutil.rmtree(venv, ignore_errors=True)
        os.rename(tmp, venv)  # fails harmlessly if another run got there first
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_venv(variant):
    """The venv's python, built when missing or built from another recipe."""
    venv, python, setuptools = VARIANTS[variant]
    if _unavailable:
        pytest.skip(_unavailable[0])
    try:
        wheel = chainer_wheel()
    except NoRegistry as e:
        _unavailable.append(f'cannot build the Chainer wheel here ({e})')
        pytest.skip(_unavailable[0])
    stamp_file = os.path.join(venv, RECIPE_FILE)
    stamp = recipe(python, setuptools, os.path.basename(wheel))
    if not (os.path.isfile(stamp_file) and open(stamp_file).read() == stamp):
        t0 = time.time()
        try:
            build_venv(venv, python, setuptools, wheel, stamp)
        except NoRegistry as e:
            _unavailable.append(f'cannot install NumPy 2 and Chainer here ({e})')
            pytest.skip(_unavailable[0])
        print(f'\n[{variant}] built {venv} with {python} in {time.time() - t0:.1f} s')
    return venv


@pytest.mark.parametrize('variant', list(VARIANTS))
def test_trains_on_numpy2(tmp_path, variant):
    t0 = time.time()
    venv = ensure_venv(variant)
    t1 = time.time()
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND='Agg')
    env.pop('PYTHONHOME', None)
    result = subprocess.run([venv_python(venv), '-c', PROBE], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=300)
    print(f'[{variant}] venv ready in {t1 - t0:.1f} s, probe ran in {time.time() - t1:.1f} s')
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith('PROBE ')][-1]
    out = json.loads(line[len('PROBE '):])
    print(f'[{variant}] python {out["python"]}, numpy {out["numpy"]}, '
          f'patched: {out["patched"]}, import {out["import_s"]} s, '
          f'train mlp {out["mlp"]["train_s"]} s, blog {out["blog"]["train_s"]} s')
    for w in out['warnings']:
        print(f'[{variant}] warning: {w}')

    assert out['numpy'].startswith('2')
    assert 'numpy.sctypes' in out['patched']
    for name in ('mlp', 'blog'):
        run = out[name]
        assert run['iteration'] == 2
        losses = [run[k] for k in ('loss_real', 'loss_fake', 'loss_d', 'loss_g')]
        assert all(math.isfinite(v) for v in losses), run
        assert 'snapshot_iter_2.npz' in run['files'], run['files']
    assert out['grid'] > 0 and out['resize'] == [1, 3, 8, 8]
    stubbed = any(p.startswith('chainer._environment_check') for p in out['patched'])
    if variant.endswith('setuptools>=82'):
        assert not out['pkg_resources'] and stubbed and not out['environment_check']
        if VARIANTS[variant][1] != sys.executable:
            assert out['python'].startswith('3.12'), out['python']
    elif sys.version_info < (3, 12):  # Chainer's own check can run: left alone
        assert not stubbed and out['environment_check']
    else:  # numpy.distutils is gone on Python 3.12
        assert stubbed and not out['environment_check']
