"""run/_setup_venv keeps NumPy 1.x only while no CuPy is installed: re-run
after a change to the recipe, it must not downgrade NumPy under CuPy 14."""
import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'run', '_numpy_requirement.py')


def load():
    spec = importlib.util.spec_from_file_location('numpy_requirement', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('cupy,requirement', [
    ([], 'numpy>=1.22,<2'),            # the CPU stack
    (['14.2.0'], 'numpy>=2'),          # CuPy 14 needs NumPy 2
    (['13.6.0'], 'numpy>=1.22'),       # CuPy 13: either; what is installed stays
    (['13.6.0', '14.0.1'], 'numpy>=2'),
])
def test_the_decision(cupy, requirement):
    assert load().numpy_requirement(cupy) == requirement


@pytest.mark.parametrize('dist,version,requirement', [
    ('cupy_cuda13x', '14.2.0', 'numpy>=2'), ('cupy_cuda12x', '13.6.0', 'numpy>=1.22'),
    ('cupyx_unrelated', '99.0', 'numpy>=1.22,<2'), (None, None, 'numpy>=1.22,<2')])
def test_the_script_reads_the_installed_cupy(tmp_path, dist, version, requirement):
    if dist:
        info = tmp_path / f'{dist}-{version}.dist-info'
        info.mkdir()
        (info / 'METADATA').write_text(f'Metadata-Version: 2.1\nName: '
                                       f'{dist.replace("_", "-")}\nVersion: {version}\n')
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run([sys.executable, '-S', SCRIPT], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == requirement


def test_setup_venv_asks_the_script():
    text = open(os.path.join(ROOT, 'run', '_setup_venv')).read()
    assert '"numpy>=1.22,<2"' not in text
    assert '"$VENV/bin/python" "$ROOT/run/_numpy_requirement.py"' in text
