"""--preset paper --skip end to end on tiny toy faces: train.py, then plot.py
and analogy.py, which build the skip networks from model.json alone."""
import json
import os

import numpy
import pytest
from PIL import Image

from conftest import assert_one_line_error, run_forked, run_script

# The preset's own values, but narrow and small: 16 px (two scales, one skip).
TINY = ['--preset', 'paper', '--skip', '--dataset', 'toyfaces', '--num-images', 32,
        '--size', 16, '--hidden', 4, '--n-z', 8, '--n-h', 8, '--score-samples', 50,
        '--no-progress']


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp('paper')
    result = run_script('train_animeface/train.py', *TINY, '--epochs', 2,
                        '--model-dir', out / 'model', '--plot-dir', out / 'plot')
    assert result.returncode == 0, result.stderr
    return out


def test_the_preset_sets_the_papers_values_and_options_still_win(trained):
    saved = json.loads((trained / 'model' / 'model.json').read_text())
    # from the preset
    assert {k: saved[k] for k in ('arch', 'gamma', 'lambda_k', 'lr', 'batch_size',
                                  'lr_patience', 'noise_std', 'weight_std')} == dict(
        arch='paper', gamma=0.5, lambda_k=0.001, lr=1e-4, batch_size=16, lr_patience=10,
        noise_std=0.0, weight_std=0.0)
    # from the command line, over the preset's 64 px, n = N_z = N_h = 64
    assert {k: saved[k] for k in ('skip', 'image_size', 'hidden', 'n_z', 'n_h')} == dict(
        skip=True, image_size=16, hidden=4, n_z=8, n_h=8)
    log = json.loads((trained / 'model' / 'log').read_text())
    assert log[-1]['iteration'] == 4   # 32 faces in batches of 16, two epochs


def test_plot_and_analogy_rebuild_the_skip_networks(trained):
    out = trained / 'out'
    result = run_forked('train_animeface/plot.py', '--model-dir', trained / 'model',
                        '--out', out, '--rows', 2, '--cols', 3)
    assert result.returncode == 0, result.stderr
    samples = numpy.asarray(Image.open(out / 'samples.png'))
    assert samples.shape[1] > samples.shape[0] and samples.std() > 0   # 2 x 3, not blank
    result = run_forked('train_animeface/analogy.py', '--model-dir', trained / 'model',
                        '--out', out, '--pairs', 2, '--steps', 3)
    assert result.returncode == 0, result.stderr
    assert {'analogy_z.png', 'analogy_h.png'} <= set(os.listdir(out))


def test_a_resumed_run_cannot_drop_its_skips(trained):
    result = run_forked('train_animeface/train.py', '--resume', '--no-skip', '--epochs', 3,
                        '--model-dir', trained / 'model', '--plot-dir', trained / 'plot')
    assert_one_line_error(result, 'cannot change skip', 'skip=True')
