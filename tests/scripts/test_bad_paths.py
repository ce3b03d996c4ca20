"""Every path a script reads (images, image folders, model directories, logs,
output folders) is checked before anything is written: a bad one is one
line, 'error: ...' naming it (status 2), and the output is never made."""
import os

import pytest
from PIL import Image

from began.config import Config
from began.nets import build_models
from began.training.model_dir import save_model_dir
from conftest import ROOT, assert_one_line_error, run_forked, tiny_mixture_config

FACE_PLOT, FACE_ANALOGY = 'train_animeface/plot.py', 'train_animeface/analogy.py'
MIX_PLOT, MIX_ANALOGY = 'train_gaussian_mixture/plot.py', 'train_gaussian_mixture/analogy.py'
MIX_TRAIN, FACE_TRAIN = 'train_gaussian_mixture/train.py', 'train_animeface/train.py'
INDEX = 'began/pictures/html_index.py'


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    """Tiny model directories of both experiments (untrained), one good
    image and the bad kinds of path."""
    tmp = tmp_path_factory.mktemp('inputs')
    config = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=4, n_h=4).validate()
    save_model_dir(str(tmp / 'faces'), config, *build_models(config))
    config = tiny_mixture_config()
    save_model_dir(str(tmp / 'mixture'), config, *build_models(config))
    Image.new('RGB', (20, 20), (200, 30, 30)).save(tmp / 'good.png')
    whole = (tmp / 'good.png').read_bytes()
    (tmp / 'truncated.png').write_bytes(whole[:len(whole) // 2])
    (tmp / 'empty.png').write_bytes(b'')
    (tmp / 'text.png').write_text('not an image')
    (tmp / 'a_file').write_text('')
    (tmp / 'empty_dir').mkdir()
    return tmp


def test_analogy_images_that_cannot_be_read(inputs, tmp_path):
    out = tmp_path / 'out'
    for image, message in [
            (inputs / 'missing.png', f'image not found: {inputs / "missing.png"}'),
            ('/etc/passwd', '/etc/passwd is not an image (or not one Pillow can read)'),
            (inputs / 'text.png', f'{inputs / "text.png"} is not an image'),
            (inputs / 'empty.png', f'{inputs / "empty.png"} is not an image'),
            (inputs / 'empty_dir', f'{inputs / "empty_dir"} is a folder, not an image'),
            (inputs / 'truncated.png', f'cannot read the image {inputs / "truncated.png"} '
                                       f'(image file is truncated')]:
        result = run_forked(FACE_ANALOGY, '--model-dir', inputs / 'faces', '--out', out,
                            '--images', image, inputs / 'good.png')
        assert_one_line_error(result, message)
        assert not out.exists()


def test_plot_image_folder_is_checked_before_any_picture(inputs, tmp_path):
    """(Each bad folder's message: tests/data/test_image_folder.py.)"""
    out = tmp_path / 'out'
    result = run_forked(FACE_PLOT, '--model-dir', inputs / 'faces', '--out', out,
                        '--image-dir', inputs / 'a_file')
    assert_one_line_error(result, f'image folder is not a folder: {inputs / "a_file"}')
    assert not out.exists()


@pytest.mark.parametrize('script, other', [(FACE_PLOT, 'gaussian_mixture'),
                                           (FACE_ANALOGY, 'gaussian_mixture'),
                                           (MIX_PLOT, 'animeface'), (MIX_ANALOGY, 'animeface')])
def test_model_directories_that_cannot_be_read(inputs, tmp_path, script, other):
    out = tmp_path / 'out'
    wrong = inputs / ('mixture' if other == 'gaussian_mixture' else 'faces')
    for model, message in [
            (inputs / 'missing', f'model directory not found: {inputs / "missing"}'),
            (inputs / 'a_file', f'model directory is not a folder: {inputs / "a_file"}'),
            (inputs / 'empty_dir', f'no model.json in {inputs / "empty_dir"}'),
            (wrong, f'{wrong} holds a model of the {other} experiment')]:
        assert_one_line_error(run_forked(script, '--model-dir', model, '--out', out), message)
        assert not out.exists()
    good = inputs / ('faces' if other == 'gaussian_mixture' else 'mixture')
    result = run_forked(script, '--model-dir', good, '--out', inputs / 'a_file' / 'sub')
    assert_one_line_error(result, f'cannot write to the output folder {inputs / "a_file" / "sub"} '
                                  f'({inputs / "a_file"} is a file, not a folder)')


def test_train_makes_no_folder_until_every_input_is_read(inputs, tmp_path):
    model, plot = tmp_path / 'm', tmp_path / 'p'
    for args, message in [
            (['--plot-dir', inputs / 'a_file'], 'cannot write to the plot directory'),
            (['--plot-dir', plot, '--resume', inputs / 'mixture'],
             f'--resume {inputs / "mixture"} is a folder; give a snapshot file')]:
        result = run_forked(MIX_TRAIN, '--model-dir', model, *args)
        assert_one_line_error(result, message)
        assert not model.exists() and not plot.exists()
    result = run_forked(FACE_TRAIN, '--image-dir', inputs / 'empty_dir', '--model-dir', model,
                        '--plot-dir', plot)
    assert_one_line_error(result, 'no images')
    assert not model.exists() and not plot.exists()


def test_html_index_inputs(inputs, tmp_path):
    run = tmp_path / 'run'
    (run / 'plot').mkdir(parents=True)
    Image.new('RGB', (4, 4)).save(run / 'plot' / 'samples.png')
    (run / 'log').write_text('{"not": "a list"}')
    for args, message in [
            ([tmp_path / 'missing'], f'output folder not found: {tmp_path / "missing"}'),
            ([inputs / 'a_file'], 'output folder is not a folder'),
            ([inputs / 'empty_dir'], f'no pictures (.png) under {inputs / "empty_dir"}'),
            ([run, '--section', 'A', 'nothing'], f'section "A" folder not found: {run / "nothing"}'),
            ([run, '--section', 'A', '.'], f'no pictures (.png) in {run}/.'),
            ([run, '--section', 'A', 'plot', 'no_log'], f'log not found: {run / "no_log"}'),
            ([run, '--section', 'A', 'plot', '/etc/passwd'],
             '/etc/passwd is not a readable training log'),
            ([run, '--section', 'A', 'plot', 'log'], 'is not a training log (expected a JSON list'),
            ([run, '--section', 'A'], '--section takes HEADING SUBDIR [LOG], got 1 value(s)')]:
        result = run_forked(INDEX, *args)
        assert result.returncode == 2 and 'Traceback' not in result.stderr, result.stderr
        assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr
    assert not (run / 'index.html').exists()
