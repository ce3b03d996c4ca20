"""The anime-face scripts end to end on tiny toy faces, each in its own process."""
import json
import os
import re

import chainer
import numpy
import pytest
from PIL import Image

from began.data.image_folder import to_float
from began.data.toyfaces import HAIR_COLORS, make_toyfaces
from began.metrics.face_modes import report as face_report
from began.nets import build_models
from began.nets.sampling import fixed_z, generate
from began.pictures.face_compare import scored_faces
from began.pictures.grids import display_scale, tile, to_uint8_images
from began.training.model_dir import load_model_dir
from began.training.snapshots import read_snapshot
from conftest import run_forked

TINY = ['--dataset', 'toyfaces', '--num-images', 64, '--size', 16, '--n-h', 16,
        '--batch-size', 8, '--score-samples', 100, '--no-progress']


# The GPU check's faces run (conftest.CpuCheck): 48 toy faces of 32x32 in
# batches of 8, 2 epochs, then --resume for a third; pictures every epoch.
PER_EPOCH, EPOCHS = 48 // 8, 3


@pytest.fixture(scope='module')
def trained(cpu_check, tmp_path_factory):
    return cpu_check.copy_of_run('faces', tmp_path_factory.mktemp('animeface'))


def test_training_writes_grids_log_and_model(trained):
    plots = set(os.listdir(trained / 'plot'))
    for epoch in range(1, EPOCHS + 1):
        for kind in ('samples', 'reconstruction_real', 'reconstruction_fake'):
            assert f'{kind}_epoch_{epoch}.png' in plots
    grid = Image.open(trained / 'plot' / 'samples_epoch_1.png')
    assert grid.mode == 'RGB' and grid.width == grid.height   # 10 x 10 cells
    model = set(os.listdir(trained / 'model'))
    assert {'model.json', 'generator.npz', 'discriminator.npz', 'log'} <= model
    log = json.loads((trained / 'model' / 'log').read_text())
    assert log[-1]['epoch'] == EPOCHS and log[-1]['iteration'] == EPOCHS * PER_EPOCH
    scored = [entry for entry in log if 'face_modes' in entry]
    assert [e['epoch'] for e in scored] == [1, 2, 3]  # values: the grid test below
    assert [e['epoch'] for e in log if 'speckle' in e] == [1, 2, 3]   # every picture epoch
    assert all(e['speckle'] > 0 for e in log if 'speckle' in e)
    # 18 updates give no clean face: face_kl is left out, never NaN.
    assert all(e['face_clean'] == 0 and 'face_kl' not in e for e in scored)
    assert 'nan' not in (trained / 'model' / 'log').read_text().lower()
    assert 'face_kl' in (trained / 'stdout').read_text()   # PrintReport's column...
    assert 'nan' not in (trained / 'stdout').read_text().lower()   # ...left blank


def test_each_epochs_grid_is_that_epochs_g_of_the_one_fixed_z(trained):
    """samples_epoch_N.png is G as it was at the end of epoch N (read from
    that epoch's snapshot) applied to fixed_z, the same z every epoch; the
    log's face scores of epoch N are those of that G's score samples."""
    config, _, _ = load_model_dir(str(trained / 'model'))
    z = fixed_z(config, 100)
    scale = display_scale(config.image_size)
    log = json.loads((trained / 'model' / 'log').read_text())
    scores = {row['epoch']: row for row in log if 'face_modes' in row}
    grids = []
    for epoch in range(1, EPOCHS + 1):   # (the third: after the resume)
        iteration = epoch * PER_EPOCH
        generator, _ = build_models(config)
        arrays = read_snapshot(str(trained / 'model' / f'snapshot_iter_{iteration}.npz'))
        chainer.serializers.NpzDeserializer(arrays, path='updater/model:gen/').load(generator)
        want = tile(to_uint8_images(generate(generator, z)), 10, 10)
        grid = numpy.asarray(Image.open(trained / 'plot' / f'samples_epoch_{epoch}.png'))
        numpy.testing.assert_array_equal(grid[::scale, ::scale], want, err_msg=str(epoch))
        grids.append(grid)
        score_fake = generate(generator, fixed_z(config, config.score_samples, key=1))
        rescored = face_report(score_fake)
        assert {key: scores[epoch][key] for key in rescored} == pytest.approx(rescored)
        # compare.py scores (and shows) these very samples: its caption is the log's.
        fake, compared = scored_faces(config, generator)
        numpy.testing.assert_array_equal(fake, score_fake)
        assert compared == pytest.approx(rescored)
    assert not numpy.array_equal(grids[0], grids[-1])  # G trained in between


def test_plot_and_analogy(trained, tmp_path):
    images = tmp_path / 'real'
    images.mkdir()
    for i, color in enumerate([(255, 0, 0), (0, 0, 255), (0, 255, 0)]):
        Image.new('RGB', (20, 30), color).save(images / f'{i}.png')
    out = trained / 'out'
    result = run_forked('train_animeface/plot.py', '--model-dir', trained / 'model', '--out', out,
                        '--rows', 3, '--cols', 4, '--image-dir', images)
    assert result.returncode == 0, result.stderr
    samples = Image.open(out / 'samples.png')
    assert samples.width > samples.height      # 3 rows x 4 columns
    assert (out / 'real.png').exists()
    result = run_forked('train_animeface/analogy.py', '--model-dir', trained / 'model',
                        '--out', out, '--pairs', 3, '--steps', 4, '--invert-steps', 5,
                        '--images', images / '0.png', images / '1.png')
    assert result.returncode == 0, result.stderr
    assert {'analogy_z.png', 'analogy_h.png', 'analogy_images.png'} <= set(os.listdir(out))
    assert result.stdout.count('inverted') == 2

    # The run's page: every PNG of it, and its scores (face_kl absent, not NaN).
    result = run_forked('began/pictures/html_index.py', trained, '--section', 'run', 'plot',
                        'model/log', '--section', 'plot.py and analogy.py', 'out')
    assert result.returncode == 0, result.stderr
    page = (trained / 'index.html').read_text()
    pngs = {f'{d}/{n}' for d in ('plot', 'out') for n in os.listdir(trained / d)
            if n.endswith('.png')}
    assert set(re.findall(r'<img src="([^"]+)"', page)) == pngs
    assert f'({len(pngs)} pictures)' in result.stdout
    assert '<dt>face_kl</dt>' in page and 'nan' not in page.lower()


def test_analogy_of_a_mixture_model_is_refused(tmp_path):
    result = run_forked('train_gaussian_mixture/train.py', '--epochs', 1, '--updates-per-epoch', 2,
                        '--n-z', 4, '--model-dir', tmp_path / 'm', '--plot-dir', tmp_path / 'p',
                        '--no-progress')
    assert result.returncode == 0, result.stderr
    result = run_forked('train_animeface/plot.py', '--model-dir', tmp_path / 'm')
    assert result.stderr.splitlines() == [
        f'error: {tmp_path / "m"} holds a model of the gaussian_mixture experiment, '
        f'not of animeface'], result.stderr
    assert result.returncode == 2


def test_covering_preset_sets_its_terms_and_run_length(tmp_path):
    """--preset covering: the covering terms on (the MMD on D's codes),
    gamma 1.0, G's rate 4x D's, and its own length, 48 epochs, the last 4
    annealed; then it stops."""
    result = run_forked('train_animeface/train.py', '--preset', 'covering', '--dataset',
                        'toyfaces', '--num-images', 8, '--size', 16, '--n-h', 16,
                        '--batch-size', 8, '--score-samples', 50, '--no-progress',
                        '--plot-interval', 48,   # pictures and scores at the end only
                        '--model-dir', tmp_path / 'model', '--plot-dir', tmp_path / 'plot')
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / 'model' / 'model.json').read_text())
    assert (saved['n_z'], saved['z_categories'], saved['mmd'], saved['mmd_space'],
            saved['gamma'], saved['lr'], saved['lr_d'], saved['epochs'],
            saved['anneal_epochs']) == (256, 200, 1.0, 'code', 1.0, 4e-4, 1e-4, 48, 4)
    log = json.loads((tmp_path / 'model' / 'log').read_text())
    assert log[-1]['iteration'] == 48   # 48 epochs of 8 images in batches of 8
    assert 'face_modes' in log[-1]
    # analogy.py inverts into the prior of the categories, and reads the faces
    faces, factors = make_toyfaces(2, 16, seed=5)
    for name, face in zip('ab', faces):
        Image.fromarray(face).save(tmp_path / f'{name}.png')
    result = run_forked('train_animeface/analogy.py', '--model-dir', tmp_path / 'model',
                        '--out', tmp_path / 'out', '--pairs', 2, '--steps', 3,
                        '--invert-steps', 3, '--images', tmp_path / 'a.png', tmp_path / 'b.png')
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith('inverted')]
    assert len(lines) == 2 and all(re.search(r', category \d+ of 200; reads as hair ', line)
                                   for line in lines), result.stdout
    hair = HAIR_COLORS[factors['hair'][0]][0]
    assert 'a.png: mean' in lines[0] and f'reads as hair {hair}, eyes ' in lines[0]
    # the same lines beside the picture, for the demo's page
    assert (tmp_path / 'out' / 'analogy_images.txt').read_text().splitlines() == lines


def test_compare_draws_models_side_by_side(trained, tmp_path):
    out = tmp_path / 'compare.png'
    result = run_forked('train_animeface/compare.py', '--model-dirs', trained / 'model',
                        trained / 'model', '--labels', 'post', 'covering', '--out', out)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if 'face_modes' in line]
    assert [line.split(':')[0] for line in lines] == ['post', 'covering']
    assert lines[0].split(':')[1] == lines[1].split(':')[1]   # one model, one score
    picture = Image.open(out)
    assert picture.width > 1.5 * picture.height   # two panels side by side
    refused = run_forked('train_animeface/compare.py', '--model-dirs', trained / 'model',
                         '--labels', 'a', 'b', '--out', out)
    assert refused.returncode == 2 and '1 model directories but 2 labels' in refused.stderr


def test_readings_name_the_nearest_colour_of_an_unclear_face():
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'train_animeface', 'analogy.py')
    spec = importlib.util.spec_from_file_location('animeface_analogy', path)
    analogy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(analogy)
    faces, factors = make_toyfaces(1, 32, seed=3)
    x = to_float(faces.transpose(0, 3, 1, 2))
    hair = HAIR_COLORS[factors['hair'][0]][0]
    clean, = analogy.readings(x)
    assert clean.startswith(f'hair {hair}, eyes ') and 'unclear' not in clean
    # A face washed towards grey reads no colour cleanly, and still names the nearest.
    muted, = analogy.readings(0.6 * x)
    match = re.fullmatch(r'hair unclear \(nearest (\w+), (\d+) away\), eyes unclear '
                         r'\(nearest \w+, (\d+) away\)', muted)
    assert match and int(match[2]) >= 40 and int(match[3]) >= 40, muted
