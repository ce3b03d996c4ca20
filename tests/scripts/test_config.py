import dataclasses
import json

import pytest

from began import config as config_module
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
    # A field's own range first, before the ranges it bounds:
    (dict(epochs=-3), 'epochs must be >= 1'),
    (dict(n_z=0), 'n-z must be >= 1'),
    (dict(batch_size=-1, mmd_batch=4), 'batch-size must be >= 1'),
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
    (dict(info_head=1.0), r'info-head .* needs --z-categories >= 2, got 0'),
    (dict(info_head=-1.0, z_categories=4), 'info-head must be >= 0'),
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


# --- the table -------------------------------------------------------------------

FIELDS = dataclasses.fields(Config)


@pytest.mark.parametrize('field', FIELDS, ids=lambda f: f.name)
def test_every_field_has_help(field):
    assert isinstance(field.metadata['help'], str) and len(field.metadata['help']) > 3


def outside(limits, config):
    """Values just past each bound of a Range, for ``config``."""
    low, high = limits.bounds(config)
    if low is not None:
        yield low if limits.low_open else low - 1
    if high is not None:
        yield high if limits.high_open else high + 1


RANGED = [f for f in FIELDS if f.metadata['range']]


@pytest.mark.parametrize('field', RANGED, ids=lambda f: f.name)
def test_range_errors_come_from_the_table(field):
    config = tiny_mixture_config()
    limits = field.metadata['range']
    values = list(outside(limits, config))
    assert values
    for value in values:
        wrong = config.replace(**{field.name: field.type(value)})
        with pytest.raises(ConfigError) as e:
            wrong.validate()
        assert str(e.value) == limits.message(config_module.label(field.name),
                                              field.type(value), wrong)


def test_validate_reads_the_range_from_the_field():
    @dataclasses.dataclass
    class Narrower(Config):
        gamma: float = config_module.setting(0.5, 'gamma, narrower',
                                             range=config_module.Range(low=0.4, high=0.6))
    with pytest.raises(ConfigError, match=r'^gamma must be in \[0.4, 0.6\], got 0.7$'):
        Narrower(**dict(tiny_mixture_config().to_dict(), gamma=0.7)).validate()
    assert tiny_mixture_config(gamma=0.7).gamma == 0.7


def test_the_table_has_the_ranges_and_choices_validate_checks():
    # Every number but the mixture's radius and the image size (whose
    # limits depend on the networks: rules between fields) has a range.
    numbers = {f.name for f in FIELDS if f.type in (int, float)}
    assert numbers - {f.name for f in RANGED} == {'mixture_radius', 'image_size'}
    for name, message in [('arch', "arch must be 'mlp', 'blog' or 'paper', got 'x'"),
                          ('mixture_shape', "mixture must be 'ring' or 'grid', got 'x'")]:
        with pytest.raises(ConfigError) as e:
            tiny_mixture_config(**{name: 'x'})
        assert str(e.value) == message
    assert config_module.choices('arch', 'animeface') == ('blog', 'paper')


def test_each_experiment_offers_its_rows_and_refuses_the_others():
    import argparse
    for experiment in config_module.EXPERIMENTS:
        parser = argparse.ArgumentParser()
        config_module.add_arguments(parser, dict(experiment=experiment, **(
            {} if experiment == 'gaussian_mixture' else dict(arch='blog', dataset='folder'))))
        dests = {a.dest for a in parser._actions}
        for f in FIELDS:
            if experiment in f.metadata['offered_by']:
                assert f.name in dests
            elif f.metadata['offered_by']:
                assert f'foreign_{f.name}' in dests
            else:
                assert f.name not in dests and f'foreign_{f.name}' not in dests
