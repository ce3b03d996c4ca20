import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault('MPLBACKEND', 'Agg')

import began  # noqa: E402,F401  (its compat shims run before chainer loads)
from began.config import Config  # noqa: E402


def tiny_mixture_config(**changes):
    """A mixture run small enough for a unit test."""
    values = dict(experiment='gaussian_mixture', arch='mlp', dataset='mixture',
                  n_z=8, n_h=8, hidden=8, batch_size=8, epochs=2,
                  updates_per_epoch=5, weight_std=0.0)
    values.update(changes)
    return Config(**values).validate()


def run_script(script, *args, cwd=None, timeout=300):
    """Run one of the experiments' scripts in a fresh process."""
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


@pytest.fixture
def root():
    return ROOT
