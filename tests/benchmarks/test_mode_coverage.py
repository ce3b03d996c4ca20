"""The mode-coverage benchmark's bookkeeping on a tiny run: a table, one
record per finished run, a cut-off sweep that continues, no mixing of
configurations in one results folder."""
import json
import os
import subprocess
import sys

from conftest import ROOT

SCRIPT = os.path.join(ROOT, 'benchmarks', 'mode_coverage.py')


def bench(tmp_path, *args):
    env = dict(os.environ, MPLBACKEND='Agg')
    return subprocess.run([sys.executable, SCRIPT, '--updates', '20', '--toys', 'post,grid',
                           '--results', str(tmp_path / 'results'), '--work', str(tmp_path / 'work'),
                           *args], capture_output=True, text=True, env=env, timeout=300)


def test_records_each_run_and_continues(tmp_path):
    first = bench(tmp_path, '--seeds', '1', '--name', 'tiny')
    assert first.returncode == 0, first.stderr
    out = tmp_path / 'results' / 'tiny'
    runs = [json.loads(line) for line in (out / 'runs.jsonl').read_text().splitlines()]
    assert [(r['toy'], r['seed']) for r in runs] == [('post', 0), ('grid', 0)]
    assert all(r['updates'] == 20 and 0 <= r['high_quality'] <= 100 for r in runs)
    assert all('spread' in r and 0 <= r['well_covered'] <= r['modes'] for r in runs)
    table = (out / 'table.md').read_text()
    assert 'grid of 25' in table and 'PacGAN4 (published)' in table
    assert '| spread | well covered |' in table
    assert (out / 'scatter.png').stat().st_size > 0

    # a second seed: only the new runs train
    second = bench(tmp_path, '--seeds', '2', '--name', 'tiny')
    assert second.returncode == 0, second.stderr
    assert 'post seed 0' not in second.stdout and 'post seed 1' in second.stdout
    assert len((out / 'runs.jsonl').read_text().splitlines()) == 4

    # runs recorded before the two new columns: scored again from their saved
    # points, or n/a where the points are gone
    lines = [json.loads(line) for line in (out / 'runs.jsonl').read_text().splitlines()]
    for r in lines:
        del r['spread'], r['well_covered']
    (out / 'runs.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in lines))
    (tmp_path / 'work' / 'tiny' / 'grid_seed1' / 'points.npy').unlink()
    again = bench(tmp_path, '--seeds', '2', '--name', 'tiny')
    assert again.returncode == 0, again.stderr
    per_run = [row.split(' | ') for row in (out / 'table.md').read_text().splitlines()
               if row.startswith(('| post | ', '| grid | '))]
    well = {(row[0], row[1]): row[6] for row in per_run}
    assert well[('| grid', '1')] == 'n/a'
    assert all(value.isdigit() for key, value in well.items() if key != ('| grid', '1'))

    # other options into the same folder: refused
    mixed = bench(tmp_path, '--seeds', '2', '--name', 'tiny', '--', '--pull-away', '0.1')
    assert mixed.returncode != 0 and 'other options' in mixed.stderr


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
    runs = [json.loads(line) for line in
            (tmp_path / 'results' / 'pair' / 'runs.jsonl').read_text().splitlines()]
    assert sorted((r['toy'], r['seed']) for r in runs) == [
        ('grid', 0), ('grid', 1), ('post', 0), ('post', 1)]
