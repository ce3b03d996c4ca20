"""The mode-coverage benchmark on tiny runs: its toys are the published ones
and its scoring gives a true sampler every mode and ~98.9% high quality; a
table and one record per finished run, whose saved points re-score to the
numbers recorded; a cut-off sweep that continues; no mixing of
configurations in one results folder."""
import json
import math
import os
import subprocess
import sys

import numpy
import pytest

from began.config import Config
from began.data.mixture import sample_mixture
from began.metrics.mixture_modes import mode_metrics
from began.pictures.mixture import mixture_params
from conftest import ROOT

SCRIPT = os.path.join(ROOT, 'benchmarks', 'mode_coverage.py')
# The toys as published: shape, modes, radius, std (VEEGAN's ring: Srivastava
# et al. 2017; the grid of 25: PacGAN, Lin et al. 2018).
TOYS = {'post': ('ring', 8, 2.0, 0.04), 'veegan': ('ring', 8, 1.0, 0.01),
        'grid': ('grid', 25, 4.0, 0.05)}
# A perfect sampler's share within 3 std of its mode: 1 - exp(-9/2).
PERFECT_HQ = 98.89


def bench(tmp_path, *args, toys='post,grid'):
    env = dict(os.environ, MPLBACKEND='Agg')
    return subprocess.run([sys.executable, SCRIPT, '--updates', '20', '--toys', toys,
                           '--results', str(tmp_path / 'results'), '--work', str(tmp_path / 'work'),
                           *args], capture_output=True, text=True, env=env, timeout=300)


def read_runs(out):
    return [json.loads(line) for line in (out / 'runs.jsonl').read_text().splitlines()]


@pytest.fixture(scope='module')
def sweep(tmp_path_factory):
    """One seed of each toy, 20 updates a run."""
    tmp = tmp_path_factory.mktemp('sweep')
    result = bench(tmp, '--seeds', '1', '--name', 'tiny', toys='post,veegan,grid')
    assert result.returncode == 0, result.stderr
    return tmp


def test_each_toy_is_the_published_one_and_a_true_sampler_scores_perfectly(sweep):
    """Each run's Config (as the benchmark's train.py command built it)
    holds the toy's parameters, and 10,000 true samples of the toy, scored
    by the benchmark's scoring, capture every mode, about 98.9% high quality."""
    runs = {r['toy']: r for r in read_runs(sweep / 'results' / 'tiny')}
    assert sorted(runs) == sorted(TOYS)
    for toy, (shape, modes, radius, std) in TOYS.items():
        config = Config.from_dict(runs[toy]['config'])
        params = mixture_params(config)
        assert params == dict(shape=shape, num_mixture=modes, radius=radius, std=std), toy
        true = sample_mixture(numpy.random.RandomState(0), 10000, modes, radius, std, shape)
        metrics = mode_metrics(true, **params)
        assert metrics['modes'] == modes, toy
        assert metrics['high_quality'] == pytest.approx(PERFECT_HQ, abs=0.4), toy  # sd 0.1
        assert metrics['kl'] < 0.01, toy


def test_saved_points_rescore_to_the_records_and_the_table(sweep):
    out = sweep / 'results' / 'tiny'
    table = (out / 'table.md').read_text()
    for run in read_runs(out):
        points = numpy.load(sweep / 'work' / 'tiny' / f'{run["toy"]}_seed{run["seed"]}' /
                            'points.npy')
        assert points.shape == (2500, 2)
        metrics = mode_metrics(points, **mixture_params(Config.from_dict(run['config'])))
        assert metrics['modes'] == run['modes'] and metrics['high_quality'] == \
            run['high_quality'], run['toy']
        assert (math.isnan(metrics['kl']) and math.isnan(run['kl'])) or \
            metrics['kl'] == run['kl'], run['toy']
        assert (f'| {run["toy"]} | {run["seed"]} | {run["modes"]} | '
                f'{run["high_quality"]:.1f} | {run["kl"]:.3f} |') in table, run['toy']


def test_records_each_run_and_continues(sweep):
    out = sweep / 'results' / 'tiny'
    runs = read_runs(out)
    assert [(r['toy'], r['seed']) for r in runs] == [('post', 0), ('veegan', 0), ('grid', 0)]
    assert all(r['updates'] == 20 for r in runs)
    assert all('spread' in r and 0 <= r['well_covered'] <= r['modes'] for r in runs)
    table = (out / 'table.md').read_text()
    assert 'grid of 25' in table and 'PacGAN4 (published)' in table
    assert '| spread | well covered |' in table
    assert (out / 'scatter.png').stat().st_size > 0

    # a second seed: only the new runs train
    second = bench(sweep, '--seeds', '2', '--name', 'tiny')
    assert second.returncode == 0, second.stderr
    assert 'post seed 0' not in second.stdout and 'post seed 1' in second.stdout
    assert [(r['toy'], r['seed']) for r in read_runs(out)][3:] == [('post', 1), ('grid', 1)]

    # runs recorded before the two new columns: scored again from their saved
    # points, or n/a where the points are gone
    lines = [json.loads(line) for line in (out / 'runs.jsonl').read_text().splitlines()]
    for r in lines:
        del r['spread'], r['well_covered']
    (out / 'runs.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in lines))
    (sweep / 'work' / 'tiny' / 'grid_seed1' / 'points.npy').unlink()
    again = bench(sweep, '--seeds', '2', '--name', 'tiny')
    assert again.returncode == 0, again.stderr
    per_run = [row.split(' | ') for row in (out / 'table.md').read_text().splitlines()
               if row.startswith(('| post | ', '| grid | '))]
    well = {(row[0], row[1]): row[6] for row in per_run}
    assert well[('| grid', '1')] == 'n/a'
    assert all(value.isdigit() for key, value in well.items() if key != ('| grid', '1'))

    # other options into the same folder: refused
    mixed = bench(sweep, '--seeds', '2', '--name', 'tiny', '--', '--pull-away', '0.1')
    assert mixed.returncode == 1
    assert mixed.stderr.strip().splitlines() == [
        'error: tiny holds runs made with other options (--mixture ring --num-mixture 8 '
        '--mixture-radius 2 --mixture-std 0.04 --no-progress --no-early-check '
        '--updates-per-epoch 20 --epochs 1 --plot-interval 1); give another --name'], \
        mixed.stderr


def test_two_sweeps_at_once_share_the_runs(tmp_path):
    """The same command twice at once (two cores): every run once."""
    env = dict(os.environ, MPLBACKEND='Agg')
    command = [sys.executable, SCRIPT, '--updates', '20', '--toys', 'post,grid', '--seeds', '2',
               '--name', 'pair', '--results', str(tmp_path / 'results'),
               '--work', str(tmp_path / 'work')]
    sweeps = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env) for _ in range(2)]
    outputs = [sweep.communicate(timeout=300) for sweep in sweeps]
    assert all(sweep.returncode == 0 for sweep in sweeps), outputs
    runs = read_runs(tmp_path / 'results' / 'pair')
    assert sorted((r['toy'], r['seed']) for r in runs) == [
        ('grid', 0), ('grid', 1), ('post', 0), ('post', 1)]
