"""began.compat on a Python without distutils and pkg_resources (Python
3.12, setuptools >= 82) and a NumPy without the names NumPy 2 removed:
simulated in a fresh process of this venv by making those imports fail."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = r'''
import json, sys
hidden = [name for name in sys.argv[1].split(',') if name]
for name in hidden:
    sys.modules[name] = None          # `import name` now raises ImportError
if hidden:
    import numpy
    for name in ('sctypes', 'float', 'int', 'bool', 'object', 'complex'):
        if hasattr(numpy, name):
            delattr(numpy, name)      # as NumPy 2 has them: not at all
import began
from began import compat
import chainer
import chainer.functions as F
import chainer.links as L
import chainermn
import numpy
link = L.Linear(3, 2)
link.cleargrads()
loss = F.sum(link(numpy.ones((4, 3), numpy.float32)))
loss.backward()
check = sys.modules['chainer._environment_check']
print('PROBE ' + json.dumps({
    'patched': compat.PATCHED,
    'real_check': getattr(check, '__file__', None) is not None,
    'grad': bool(numpy.isfinite(link.W.grad).all()),
    'resize': list(F.resize_images(numpy.zeros((1, 3, 4, 4), 'f'), (8, 8)).shape),
    'sctypes': sorted(numpy.sctypes)}))
'''


def probe(mode):
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND='Agg')
    result = subprocess.run([sys.executable, '-c', PROBE, mode], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith('PROBE ')][-1]
    return json.loads(line[len('PROBE '):])


PYTHON_312 = 'distutils,numpy.distutils,numpy.distutils.system_info'
SETUPTOOLS_82 = 'pkg_resources'


@pytest.mark.parametrize('hidden', [PYTHON_312, SETUPTOOLS_82, f'{PYTHON_312},{SETUPTOOLS_82}'])
def test_chainer_imports_and_trains_without_distutils_pkg_resources_and_numpy_names(hidden):
    out = probe(hidden)
    stub = [p for p in out['patched'] if p.startswith('chainer._environment_check')]
    assert stub and 'None in sys.modules' in stub[0] and not out['real_check']
    assert {'numpy.sctypes', 'numpy.float'} <= set(out['patched'])
    assert out['sctypes'] == ['complex', 'float', 'int', 'others', 'uint']
    assert out['grad'] and out['resize'] == [1, 3, 8, 8]


def test_nothing_is_stubbed_where_the_real_check_can_run():
    try:
        import numpy.distutils.system_info  # noqa: F401
        import pkg_resources  # noqa: F401
    except Exception:
        pytest.skip("this Python cannot run Chainer's own check")
    out = probe('')
    assert out['real_check']
    assert not [p for p in out['patched'] if p.startswith('chainer._environment_check')]
