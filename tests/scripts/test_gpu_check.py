"""benchmarks/gpu_check.py --cpu-only: the GPU check's whole sequence of user
commands, on the CPU at tiny sizes (~30 s)."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, assert_one_line_error

CHECK = os.path.join(ROOT, 'benchmarks', 'gpu_check.py')


def gpu_check(*args, timeout=300):
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, CHECK, *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout)


@pytest.fixture(scope='module')
def checked(tmp_path_factory):
    out = tmp_path_factory.mktemp('gpu_check')
    result = gpu_check('--cpu-only', '--seed', 3, '--keep', '--out', out)
    return out, result


def test_cpu_only_runs_every_step_and_passes(checked):
    out, result = checked
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = (out / 'gpu_check_report.txt').read_text()
    assert report.startswith('began GPU check: PASS (12/12 steps)'), report
    for step in ('mixture: train.py, 2 epochs', 'mixture: train.py --resume, epoch 3',
                 'mixture: resumed = uninterrupted', 'mixture: plot.py, analogy.py',
                 'faces 16 px: train.py, 2 epochs', 'faces: train.py --resume, epoch 3',
                 'faces: plot.py, analogy.py --images', 'faces: --arch paper',
                 'faces: --h-penalty 0.01', 'compare with the CPU: mixture',
                 'compare with the CPU: faces', 'faces 32 px: train.py, 1 epoch (timing)'):
        assert re.search(rf'^ok +[\d.]+ s  {re.escape(step)}', report, re.M), (step, report)
    assert "equal the uninterrupted run's bit for bit" in report
    numbers = json.loads(re.search(r'^numbers: (.*)$', report, re.M).group(1))
    assert numbers['compare faces']['all'] == 0.0 and numbers['compare mixture']['all'] == 0.0
    for key in ('mixture', 'faces 16 px', 'faces 32 px'):
        assert numbers[key]['updates_per_s'] > 0


def test_the_checks_seed_reaches_every_new_run(checked):
    out, _ = checked
    work = out / 'gpu_check_work'
    commands = (work / 'commands.log').read_text().splitlines()
    trains = [c for c in commands if c.startswith('$ ') and 'train.py' in c]
    assert len(trains) == 12
    assert all('--seed 3' in c or '--resume' in c for c in trains), trains
    configs = [json.loads((work / d / 'model' / 'model.json').read_text())
               for d in ('mixture', 'faces', 'paper', 'h_penalty', 'faces_big')]
    assert {c['seed'] for c in configs} == {3}


def test_a_step_that_cannot_run_fails_the_check(tmp_path):
    result = gpu_check('--cpu-only', '--minutes', 0, '--out', tmp_path, timeout=120)
    assert result.returncode == 1
    report = (tmp_path / 'gpu_check_report.txt').read_text()
    assert report.startswith('began GPU check: FAIL (0/')
    assert 'not run: out of time' in report


def test_an_unusable_gpu_is_one_line_and_nothing_runs(tmp_path):
    try:
        import cupy  # noqa: F401
        pytest.skip('CuPy is installed here')
    except ImportError:
        pass
    result = gpu_check('--gpu', 0, '--out', tmp_path / 'out', timeout=120)
    assert_one_line_error(result, '--gpu 0 needs CuPy')
    assert not (tmp_path / 'out').exists()
