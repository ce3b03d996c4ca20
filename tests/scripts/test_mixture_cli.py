"""The 8-Gaussian scripts end to end, each in its own process."""
import json
import os

import pytest

from conftest import run_forked

TRAIN = 'train_gaussian_mixture/train.py'


@pytest.fixture(scope='module')
def trained(cpu_check, tmp_path_factory):
    """The GPU check's mixture run (conftest.CpuCheck): 2 epochs of 50
    updates, then --resume for a third; pictures every epoch."""
    return cpu_check.copy_of_run('mixture', tmp_path_factory.mktemp('mixture'))


def test_training_writes_pictures_log_and_model(trained):
    plots = set(os.listdir(trained / 'plot'))
    for name in ('scatter_epoch_1.png', 'kde_epoch_1.png', 'scatter_epoch_3.png',
                 'kde_epoch_3.png', 'curve_losses.png', 'curve_k.png', 'curve_M.png'):
        assert name in plots
    model = set(os.listdir(trained / 'model'))
    assert {'model.json', 'generator.npz', 'discriminator.npz', 'log',
            'snapshot_iter_150.npz'} <= model
    log = json.loads((trained / 'model' / 'log').read_text())
    assert [entry['epoch'] for entry in log] == [1, 2, 3]
    for key in ('loss_real', 'loss_fake', 'loss_d', 'loss_g', 'k', 'M', 'modes', 'high_quality'):
        assert key in log[-1]
    saved = json.loads((trained / 'model' / 'model.json').read_text())
    assert (saved['updates_per_epoch'], saved['seed']) == (50, 3)  # the options given


def test_plot_and_analogy_read_the_model_directory(trained):
    out = trained / 'out'
    result = run_forked('train_gaussian_mixture/plot.py', '--model-dir', trained / 'model',
                        '--out', out)
    assert result.returncode == 0, result.stderr
    assert 'modes captured' in result.stdout
    result = run_forked('train_gaussian_mixture/analogy.py', '--model-dir', trained / 'model',
                        '--out', out, '--pairs', 3, '--steps', 5)
    assert result.returncode == 0, result.stderr
    assert {'scatter_final.png', 'kde_final.png', 'analogy.png'} <= set(os.listdir(out))


@pytest.mark.parametrize('args, message', [
    (['--gamma', 'x'], "invalid float value: 'x'"),
    (['--gamma', '1.5'], 'gamma must be in [0, 1]'),
    (['--batch-size', '0'], 'batch-size must be >= 1'),
    (['--epochs', '-3'], 'epochs must be >= 1'),
    (['--no-such-flag'], 'unrecognized arguments'),
])
def test_bad_values_are_one_line_errors(tmp_path, args, message):
    result = run_forked(TRAIN, *args, '--model-dir', tmp_path / 'm', '--plot-dir', tmp_path / 'p')
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_plot_of_a_missing_model_is_one_line(tmp_path):
    result = run_forked('train_gaussian_mixture/plot.py', '--model-dir', tmp_path / 'none')
    assert result.returncode == 2
    assert result.stderr.strip() == f'error: model directory not found: {tmp_path / "none"}'


def test_compare_draws_models_side_by_side(trained):
    out = trained / 'compare.png'
    result = run_forked('train_gaussian_mixture/compare.py', '--model-dirs', trained / 'model',
                        trained / 'model', '--labels', 'a', 'b', '--out', out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('a: ') and '/8 modes' in result.stdout
    assert out.stat().st_size > 0
    result = run_forked('train_gaussian_mixture/compare.py', '--model-dirs', trained / 'model',
                        '--labels', 'a', 'b', '--out', out)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ['error: 1 model directories but 2 labels']


COVERING = {'z_categories': 200, 'batch_size': 64, 'mmd': 1.0, 'mmd_batch': 256, 'lr': 1e-3,
            'lr_d': 1e-4, 'anneal_epochs': 4}


@pytest.mark.parametrize('args, changed', [
    ([], {}),                                     # the post's configuration
    (['--preset', 'post'], {}),
    (['--preset', 'covering'], COVERING),
    (['--preset', 'covering', '--mmd', '2'], dict(COVERING, mmd=2.0)),  # options win
])
def test_presets(tmp_path, args, changed):
    result = run_forked(TRAIN, *args, '--epochs', 4, '--updates-per-epoch', 1, '--n-z', 208,
                        '--model-dir', tmp_path / 'm', '--plot-dir', tmp_path / 'p',
                        '--no-progress', '--no-early-check')
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / 'm' / 'model.json').read_text())
    post = {'k_init': 0.0, 'lambda_k': 0.001, 'margin': 0.0, 'code_matching': 0.0,
            'lr': 1e-4, 'lr_d': 0.0, 'pull_away': 0.0, 'latent_recovery': 0.0,
            'mmd': 0.0, 'mmd_batch': 0, 'mmd_space': 'data', 'z_categories': 0,
            'anneal_epochs': 0, 'batch_size': 16,
            'k_balance': 'difference', 'mixture_shape': 'ring'}
    for key, value in dict(post, **changed).items():
        assert saved[key] == pytest.approx(value) if isinstance(value, float) else \
            saved[key] == value, key
