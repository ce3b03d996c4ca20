"""Resume does what it says: --epochs at or below the epochs done ends at
once with one line; a resume that branches from an older snapshot moves the
other branch aside so that the next plain --resume continues this one; a
data set whose size changed is named in plain words; a change of a
term's weight is taken where its layer stays."""
import argparse
import json
import os

import numpy
import pytest
from PIL import Image

from began.cli import resumed_config
from began.config import Config
from began.errors import ConfigError
from conftest import assert_one_line_error, run_forked

MIXTURE = 'train_gaussian_mixture/train.py'
FACES = 'train_animeface/train.py'
TINY = ['--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 5, '--no-progress',
        '--plot-interval', 1000]


def train(tmp_path, *args, script=MIXTURE):
    result = run_forked(script, *args, '--model-dir', tmp_path / 'model',
                        '--plot-dir', tmp_path / 'plot')
    assert result.returncode == 0, result.stderr
    return result


def state(folder):
    return {name: (folder / name).read_bytes() for name in os.listdir(folder)
            if (folder / name).is_file() and name != 'train.lock'}


def test_resume_with_epochs_already_done_ends_at_once(tmp_path):
    train(tmp_path, *TINY, '--epochs', 2)
    before = state(tmp_path / 'model')
    for epochs in (2, 1):
        result = train(tmp_path, '--resume', '--epochs', epochs)
        assert result.stdout.strip().splitlines()[-1] == (
            f'nothing to train: {tmp_path / "model" / "snapshot_iter_10.npz"} already holds 2 '
            f'epoch(s) (iteration 10) and --epochs is {epochs}; give --epochs above 2 to '
            f'train on')
        assert 'done' not in result.stdout and not result.stderr
        assert state(tmp_path / 'model') == before  # no snapshot, no model.json rewritten


def test_a_branch_sets_the_other_aside_and_plain_resume_follows_it(tmp_path):
    model = tmp_path / 'model'
    train(tmp_path, *TINY, '--epochs', 3)  # snapshots 5, 10, 15 at lr 1e-4
    result = train(tmp_path, '--resume', model / 'snapshot_iter_5.npz', '--lr', 1e-3,
                   '--epochs', 2)
    aside = [name for name in os.listdir(model) if name.startswith('abandoned-')]
    assert len(aside) == 1
    assert (f"branching from {model / 'snapshot_iter_5.npz'} (iteration 5): moved the other "
            f"branch's newer snapshot(s) snapshot_iter_15.npz, snapshot_iter_10.npz and its "
            f"model files to {model / aside[0]}") in result.stdout.splitlines()
    assert sorted(os.listdir(model / aside[0])) == [
        'discriminator.npz', 'generator.npz', 'log', 'model.json', 'snapshot_iter_10.npz',
        'snapshot_iter_15.npz']
    assert json.loads((model / aside[0] / 'model.json').read_text())['lr'] == 1e-4
    assert json.loads((model / 'model.json').read_text())['lr'] == 1e-3

    # A plain --resume continues the newest branch (lr 1e-3), from its iteration 10.
    result = train(tmp_path, '--resume', '--epochs', 3)
    assert f"resumed from {model / 'snapshot_iter_10.npz'} at iteration 10" in result.stdout
    assert 'branching' not in result.stdout
    assert json.loads((model / 'model.json').read_text())['lr'] == 1e-3
    assert sorted(n for n in os.listdir(model) if n.startswith('snapshot')) == [
        'snapshot_iter_10.npz', 'snapshot_iter_15.npz', 'snapshot_iter_5.npz']


def test_images_added_or_removed_before_a_resume_are_named(tmp_path):
    faces = tmp_path / 'faces'
    faces.mkdir()
    rs = numpy.random.RandomState(0)
    for i in range(12):
        Image.fromarray(rs.randint(0, 255, (16, 16, 3), numpy.uint8)).save(faces / f'{i}.png')
    args = ['--image-dir', faces, '--size', 16, '--n-h', 8, '--n-z', 4, '--batch-size', 4,
            '--score-samples', 10, '--epochs', 1, '--no-progress', '--no-early-check']
    result = train(tmp_path, *args, script=FACES)
    assert 'decoding' not in result.stderr  # --no-progress: no decoding counter either
    for i in range(2):
        os.remove(faces / f'{i}.png')
    result = run_forked(FACES, '--resume', '--epochs', 2, '--model-dir', tmp_path / 'model',
                        '--plot-dir', tmp_path / 'plot')
    assert_one_line_error(result, f'the image folder {faces} now holds 10 images; the '
                                  f'snapshot {tmp_path / "model" / "snapshot_iter_3.npz"} '
                                  f'was made with 12')


def test_a_resume_may_reweigh_the_info_head_but_not_add_or_drop_it():
    # Only turning --info-head on or off changes D's shape; a new weight does not.
    saved = Config(z_categories=4, info_head=1.0).validate()
    assert resumed_config(saved, argparse.Namespace(info_head=0.5), ['info_head']).info_head == 0.5
    with pytest.raises(ConfigError, match='cannot change info_head'):
        resumed_config(saved, argparse.Namespace(info_head=0.0), ['info_head'])
