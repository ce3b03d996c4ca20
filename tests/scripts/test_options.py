"""Each experiment's train.py offers only the options that mean something to
it; the other experiment's options are refused by name, never ignored."""
import pytest

from conftest import run_forked

MIXTURE = 'train_gaussian_mixture/train.py'
FACES = 'train_animeface/train.py'
MIXTURE_ONLY = ['--mixture', '--num-mixture', '--mixture-radius', '--mixture-std', '--updates-per-epoch']
FACES_ONLY = ['--image-dir', '--size', '--num-images', '--score-samples', '--arch', '--dataset']
SHARED = ['--n-z', '--n-h', '--gamma', '--lambda-k', '--lr', '--batch-size', '--noise-std',
          '--h-penalty', '--lr-patience', '--epochs', '--seed', '--gpu', '--resume',
          '--no-fast-cpu',
          # the mode-coverage options: both experiments offer every one
          '--k-balance', '--pull-away', '--latent-recovery', '--code-matching', '--margin',
          '--lr-d', '--mmd', '--mmd-space', '--mmd-batch', '--z-categories',
          '--anneal-epochs']


def options_in_help(script):
    result = run_forked(script, '--help')
    assert result.returncode == 0, result.stderr
    # Option lines start with the option ('  --n-z N_Z  help...').
    return {line.split()[0].rstrip(',') for line in result.stdout.splitlines()
            if line.startswith('  --')}


@pytest.mark.parametrize('script, own, foreign', [(MIXTURE, MIXTURE_ONLY, FACES_ONLY),
                                                  (FACES, FACES_ONLY, MIXTURE_ONLY)])
def test_help_lists_own_and_shared_options_only(script, own, foreign):
    listed = options_in_help(script)
    assert set(own + SHARED) <= listed
    assert not set(foreign) & listed, set(foreign) & listed


# The experiment each script's options belong to, as the errors name it.
OWNER = {MIXTURE: '8-Gaussian experiment (train_gaussian_mixture/)',
         FACES: 'anime-face experiment (train_animeface/)'}


@pytest.mark.parametrize('script, option, value', [
    (MIXTURE, '--image-dir', '/some/folder'),
    (MIXTURE, '--size', '32'),
    (MIXTURE, '--num-images', '10'),
    (MIXTURE, '--arch', 'blog'),
    (MIXTURE, '--dataset', 'toyfaces'),
    (FACES, '--num-mixture', '3'),
    (FACES, '--updates-per-epoch', '3'),
])
def test_an_option_of_the_other_experiment_is_an_error(tmp_path, script, option, value):
    result = run_forked(script, option, value, '--model-dir', tmp_path / 'm',
                        '--plot-dir', tmp_path / 'p')
    other = FACES if script == MIXTURE else MIXTURE
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f'train.py: error: {option} is an option of the {OWNER[other]}, not of this one '
        f'(see --help)'], result.stderr
    assert not (tmp_path / 'm').exists() and not (tmp_path / 'p').exists()


@pytest.mark.parametrize('option, value, choices', [('--arch', 'mlp', "'blog', 'paper'"),
                                                    ('--dataset', 'mixture',
                                                     "'folder', 'toyfaces'")])
def test_arch_and_dataset_choices_are_the_experiments_own(tmp_path, option, value, choices):
    result = run_forked(FACES, option, value, '--model-dir', tmp_path / 'm')
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"train.py: error: argument {option}: invalid choice: '{value}' (choose from "
        f"{choices}) (see --help)"], result.stderr
    assert not (tmp_path / 'm').exists()
