"""The face-coverage benchmark's table on tiny runs: the real faces' own
scores first, the post's configuration and a preset beside it, a
samples.png each."""
import json
import os
import subprocess
import sys

from conftest import ROOT

SCRIPT = os.path.join(ROOT, 'benchmarks', 'face_coverage.py')


def bench(tmp_path, *args):
    env = dict(os.environ, MPLBACKEND='Agg')
    return subprocess.run([sys.executable, SCRIPT, '--images', '16', '--score-samples', '40',
                           '--results', str(tmp_path / 'results'), '--work', str(tmp_path / 'work'),
                           *args, '--', '--n-h', '16', '--batch-size', '8'],
                          capture_output=True, text=True, env=env, timeout=600)


def test_table_of_the_real_faces_and_each_configuration(tmp_path):
    post = bench(tmp_path, '--epochs', '1')
    assert post.returncode == 0, post.stderr
    # >= its 4 annealed; another seed's run leaves the real faces' row as it was
    covering = bench(tmp_path, '--preset', 'covering', '--epochs', '4', '--seed', '1')
    assert covering.returncode == 0, covering.stderr
    out = tmp_path / 'results'
    rows = [line for line in (out / 'table.md').read_text().splitlines()
            if line.startswith('| ') and not line.startswith('| configuration')]
    assert [row.split(' | ')[0] for row in rows] == ['| the real toy faces', '| `post`',
                                                     '| `covering`']
    real = json.loads((out / 'real.json').read_text())
    assert real['face_clean'] > 90 and f'| {real["face_clean"]:.1f} |' in rows[0]
    assert real['of']['seed'] == 0
    assert json.loads((out / 'covering' / 'result.json').read_text())['iteration'] == 8
    assert '--preset covering' in rows[2]
    for name in ('post', 'covering'):
        assert (out / name / 'samples.png').stat().st_size > 0
