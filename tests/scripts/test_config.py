import json

import pytest

from began.config import Config
from began.errors import ConfigError
from conftest import tiny_mixture_config


def test_round_trip(tmp_path):
    config = tiny_mixture_config(gamma=0.7, seed=3)
    config.save(str(tmp_path))
    assert Config.load(str(tmp_path)) == config


def test_json_integers_are_accepted_for_floats(tmp_path):
    values = tiny_mixture_config().to_dict()
    values['gamma'] = 1
    (tmp_path / 'model.json').write_text(json.dumps(values))
    assert Config.load(str(tmp_path)).gamma == 1.0


@pytest.mark.parametrize('text, message', [
    ('{not json', 'not valid JSON'),
    ('[1, 2]', 'expected a JSON object'),
    ('{"gamma": 0.5, "colour": "red"}', 'unknown key(s) colour'),
    ('{"gamma": 2.0}', 'gamma must be in [0, 1]'),
    ('{"n_z": "fifty"}', 'n_z must be an integer'),
    ('{"lr": -1}', 'lr must be > 0'),
    ('{"arch": "resnet"}', "arch must be 'mlp', 'blog' or 'paper'"),
])
def test_hand_edited_model_json_is_one_clear_error(tmp_path, text, message):
    (tmp_path / 'model.json').write_text(text)
    with pytest.raises(ConfigError) as e:
        Config.load(str(tmp_path))
    assert message in str(e.value)
    assert '\n' not in str(e.value)


def test_missing_model_json(tmp_path):
    with pytest.raises(ConfigError, match='no model.json'):
        Config.load(str(tmp_path))


@pytest.mark.parametrize('changes, message', [
    (dict(arch='blog', dataset='toyfaces', image_size=40), 'multiple of 16'),
    (dict(arch='blog', dataset='folder', image_size=32, image_dir=''), '--image-dir'),
    (dict(batch_size=0), 'batch-size must be >= 1'),
    (dict(gamma=float('nan')), 'finite'),
    (dict(h_penalty=-0.1), 'h-penalty must be >= 0'),
    (dict(pull_away=-1.0), 'pull-away must be >= 0'),
    (dict(latent_recovery=-1.0), 'latent-recovery must be >= 0'),
    (dict(lr_d=-1e-4), 'lr-d must be >= 0'),
    (dict(margin=-1.0), 'margin must be >= 0'),
    (dict(code_matching=-1.0), 'code-matching must be >= 0'),
    (dict(mmd=-1.0), 'mmd must be >= 0'),
    (dict(anneal_epochs=5, epochs=4), r'anneal-epochs must be in \[0, epochs \(4\)\]'),
    (dict(anneal_epochs=1, lr_patience=2), 'anneal-epochs and lr-patience both'),
    (dict(mmd_space='pixels'), "mmd-space must be 'data' or 'code'"),
    (dict(mmd=1.0, batch_size=1), 'mmd needs batch-size >= 2'),
    (dict(z_categories=8, n_z=8), r'z-categories must be in \[0, n-z\)'),
    (dict(z_categories=-1), 'z-categories must be in'),
    (dict(mmd_batch=4, batch_size=8), r'mmd-batch must be 0 or >= batch-size \(8\)'),
    (dict(k_balance='sum'), "k-balance must be 'difference' or 'ratio'"),
    (dict(mixture_shape='spiral'), "mixture must be 'ring' or 'grid'"),
    (dict(mixture_shape='grid', num_mixture=8), 'square number'),
])
def test_validation(changes, message):
    with pytest.raises(ConfigError, match=message):
        tiny_mixture_config(**changes)
