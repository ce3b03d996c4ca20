"""Each message a hostile user met (issue 20, item 7) is now one accurate
line: one test a case. (Images added or removed before --resume, and
--no-progress: tests/training/test_resume_rules.py; the divergence message
and the snapshots kept: tests/training/test_training_messages.py.)"""
import os

import numpy
import pytest

from began.config import Config
from began.errors import ConfigError
from began.memory_estimate import network_parameters
from began.nets import build_models
from began.training.model_dir import save_model_dir
from conftest import assert_one_line_error, run_forked, tiny_mixture_config

MIXTURE = 'train_gaussian_mixture/train.py'
FACES = 'train_animeface/train.py'
TINY = ['--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 5, '--no-progress']
TINY_FACES = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=4, n_h=4, num_images=16)


@pytest.fixture
def mixture_model(tmp_path):
    config = tiny_mixture_config()
    save_model_dir(str(tmp_path / 'mixture'), config, *build_models(config))
    return tmp_path / 'mixture'


def test_compare_out_an_existing_folder(mixture_model, tmp_path):
    result = run_forked('train_gaussian_mixture/compare.py', '--model-dirs', mixture_model,
                        '--out', tmp_path)
    assert_one_line_error(result, f'--out {tmp_path} is a folder; give the picture\'s file '
                                  f'name, e.g. --out {tmp_path / "compare.png"}')


@pytest.mark.parametrize('script, args', [
    (FACES, ['--dataset', 'toyfaces', '--size', 100000]),
    (MIXTURE, ['--hidden', 100000])], ids=['size', 'hidden'])
def test_networks_too_large_for_memory_are_refused_before_allocating(tmp_path, script, args):
    result = run_forked(script, *args, '--model-dir', tmp_path / 'm', '--plot-dir',
                        tmp_path / 'p')
    assert_one_line_error(result, f'{args[-2]} {args[-1]}', 'needs at least',
                          'of memory, and this machine has', 'give smaller sizes')
    assert not (tmp_path / 'm').exists() and not (tmp_path / 'p').exists()


def test_the_memory_estimate_is_a_lower_bound():
    # A refusal must be certain: never more parameters than the networks hold.
    for config in (tiny_mixture_config(hidden=32, n_h=16),
                   TINY_FACES.replace(image_size=64, n_h=32),
                   TINY_FACES.replace(arch='paper', image_size=32, hidden=8, n_h=16)):
        real = sum(p.size for net in build_models(config.validate()) for p in net.params())
        assert 0 < network_parameters(config) <= real, config.arch


def test_plot_rows_and_cols_too_large_for_memory(tmp_path):
    save_model_dir(str(tmp_path / 'faces'), TINY_FACES.validate(),
                   *build_models(TINY_FACES.validate()))
    result = run_forked('train_animeface/plot.py', '--model-dir', tmp_path / 'faces',
                        '--rows', 100000, '--cols', 100000, '--out', tmp_path / 'out')
    assert_one_line_error(result, '--rows 100000 --cols 100000 (10000000000 images of 16x16) '
                                  'needs at least', 'ask for fewer')
    assert not (tmp_path / 'out').exists()


def test_fewer_images_than_a_batch(tmp_path):
    # One image in batches of 16 counted 16 epochs a batch: a 1-epoch run logged epoch 16.
    result = run_forked(FACES, '--dataset', 'toyfaces', '--num-images', 1, '--size', 16,
                        '--epochs', 1, '--model-dir', tmp_path / 'm', '--plot-dir',
                        tmp_path / 'p')
    assert_one_line_error(result, '--num-images 1 gives 1 image(s), fewer than --batch-size '
                                  '16; give at least 16 images or a smaller --batch-size')
    assert not (tmp_path / 'm').exists()


def test_n_z_0_is_an_n_z_error():
    with pytest.raises(ConfigError, match=r'^n-z must be >= 1, got 0$'):
        tiny_mixture_config(n_z=0)


def test_nan_generator_weights_warn_when_plotted(mixture_model, tmp_path):
    config = tiny_mixture_config()
    generator, discriminator = build_models(config)
    next(generator.params()).array[...] = numpy.nan
    save_model_dir(str(mixture_model), config, generator, discriminator)
    result = run_forked('train_gaussian_mixture/plot.py', '--model-dir', mixture_model,
                        '--out', tmp_path / 'out')
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f'warning: {mixture_model / "generator.npz"} holds NaN or Inf weights (the run '
        f'diverged?); what it draws and the scores of its samples mean nothing'], result.stderr
    assert '0/8 modes' in result.stdout
