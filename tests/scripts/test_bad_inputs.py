"""Every bad input is one line on stderr ('error: ...', status 2), or a skip
with a count; never a traceback, never a lost checkpoint; and no file can
run code when loaded (pickling is off everywhere)."""
import errno
import json
import os
import re
import shutil

import chainer
import numpy
import pytest
from PIL import Image

from began.config import Config
from began.data.mixture import MixtureIterator
from began.nets import build_models
from began.training.model_dir import save_model_dir
from began.training.trainer import build_trainer
from conftest import ROOT, assert_one_line_error, run_forked, tiny_mixture_config

MIXTURE = 'train_gaussian_mixture/train.py'
PLOT = 'train_gaussian_mixture/plot.py'
ANALOGY = 'train_gaussian_mixture/analogy.py'
FACES = 'train_animeface/train.py'
TINY = ['--n-z', 8, '--n-h', 8, '--hidden', 8, '--updates-per-epoch', 5, '--no-progress']


def tree(path):
    """{relative path: bytes} of every file under path: to show nothing changed."""
    return {os.path.relpath(os.path.join(d, f), path): open(os.path.join(d, f), 'rb').read()
            for d, _, files in os.walk(path) for f in files}


# --- a trained mixture run, its model directory and snapshot, built in-process

@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A tiny mixture run of one epoch (5 updates), trained in this process."""
    tmp = tmp_path_factory.mktemp('trained')
    config = tiny_mixture_config(epochs=1)
    gen, dis = build_models(config)
    trainer = build_trainer(config, MixtureIterator(config.batch_size, 5, config.seed), gen, dis,
                            chainer.get_device('@numpy'), str(tmp / 'model'), str(tmp / 'plot'),
                            log_trigger=(100, 'epoch'), progress=False)
    trainer.run()
    return tmp / 'model'


def model_dir_with(tmp_path, trained, name='model', json_text=None, **files):
    """A copy of the trained model directory with model.json or files replaced."""
    target = tmp_path / name
    shutil.copytree(trained, target)
    if json_text is not None:
        (target / 'model.json').write_bytes(json_text if isinstance(json_text, bytes)
                                            else json_text.encode())
    for file_name, source in files.items():
        shutil.copy(source, target / file_name.replace('_npz', '.npz'))
    return target


# --- image folders ------------------------------------------------------------

def face_args(tmp_path, image_dir, *more):
    return ['--image-dir', image_dir, '--size', 16, '--n-h', 16, '--batch-size', 8,
            '--epochs', 1, '--no-progress', '--model-dir', tmp_path / 'm',
            '--plot-dir', tmp_path / 'p', *more]


def test_no_image_folder_says_how_to_give_one(tmp_path):
    """Each bad folder's message: tests/data/test_image_folder.py; train.py
    refusing one before writing: tests/scripts/test_bad_paths.py."""
    result = run_forked(FACES, *face_args(tmp_path, '')[2:])
    assert_one_line_error(result, '--image-dir DIR is required', '--dataset toyfaces')
    assert not (tmp_path / 'm').exists()


def test_corrupt_truncated_tiny_and_huge_images_train_with_a_skip_count(tmp_path):
    images = tmp_path / 'images'
    images.mkdir()
    for i in range(7):
        Image.new('RGB', (24, 20), (30 * i, 100, 200 - 20 * i)).save(images / f'good{i}.png')
    Image.new('RGB', (1, 1), (255, 0, 0)).save(images / 'one_pixel.png')
    # 6000 x 6000 (36 Mpixel, under Pillow's bomb limit): loads, downscaled.
    Image.new('RGB', (6000, 6000), (0, 128, 0)).save(images / 'huge.png', compress_level=1)
    (images / 'corrupt.jpg').write_bytes(os.urandom(2000))
    whole = (images / 'good0.png').read_bytes()
    (images / 'truncated.png').write_bytes(whole[:len(whole) // 2])

    result = run_forked(FACES, *face_args(tmp_path, images, '--no-early-check',
                                          '--score-samples', 10))
    assert result.returncode == 0, result.stderr
    assert re.search(r'^warning: skipped 2 unreadable image\(s\) of 11 under .*corrupt\.jpg, '
                     r'truncated\.png$', result.stderr, re.M), result.stderr
    assert '9 training images of 16x16' in result.stdout
    assert (tmp_path / 'm' / 'snapshot_iter_2.npz').exists()


# --- where things are written -------------------------------------------------

def test_unwritable_model_plot_and_output_folders(tmp_path, trained):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')  # root ignores modes; a path under a file fails for anyone
    result = run_forked(MIXTURE, *TINY, '--model-dir', blocker / 'sub',
                        '--plot-dir', tmp_path / 'p')
    assert_one_line_error(result, f'cannot write to the model directory {blocker / "sub"} '
                                  f'({blocker} is a file, not a folder)')
    result = run_forked(MIXTURE, *TINY, '--model-dir', tmp_path / 'm',
                        '--plot-dir', blocker / 'sub')
    assert_one_line_error(result, f'cannot write to the plot directory {blocker / "sub"}')
    result = run_forked(PLOT, '--model-dir', trained, '--out', blocker / 'sub')
    assert_one_line_error(result, f'cannot write to the output folder {blocker / "sub"}')


def test_a_fresh_run_never_overwrites_a_run_with_snapshots(tmp_path, trained):
    model = model_dir_with(tmp_path, trained)
    before = tree(model)
    result = run_forked(MIXTURE, *TINY, '--model-dir', model, '--plot-dir', tmp_path / 'p')
    assert_one_line_error(result, f'{model} already holds a run', 'snapshot_iter_5.npz',
                          '--resume')
    assert tree(model) == before


# --- model.json and weights -----------------------------------------------------

def test_corrupt_or_hand_edited_model_json(tmp_path, trained):
    good = json.loads((trained / 'model.json').read_text())
    cases = [
        ('{"n_z": 8,', 'model.json is not valid JSON (Expecting property name'),
        (b'\xff\xfe garbage', "model.json is not valid JSON ('utf-8' codec can't decode"),
        ('[1, 2]', 'model.json: expected a JSON object'),
        (json.dumps(dict(good, n_z='eight')), "model.json: n_z must be an integer, got 'eight'"),
        (json.dumps(dict(good, n_z=None)), 'model.json: n_z must be an integer, got None'),
        (json.dumps(dict(good, colour=1)), 'model.json: unknown key(s) colour'),
        (json.dumps(dict(good, gamma=2)), 'model.json: gamma must be in [0, 1], got 2.0'),
        (json.dumps(dict(good, experiment='animeface')),
         'holds a model of the animeface experiment, not of gaussian_mixture'),
        # Valid, but not what the weights were trained with:
        (json.dumps(dict(good, n_z=9)), 'generator.npz does not fit these networks'),
    ]
    for i, (text, message) in enumerate(cases):
        model = model_dir_with(tmp_path, trained, f'model{i}', json_text=text)
        assert_one_line_error(run_forked(PLOT, '--model-dir', model, '--out', tmp_path / 'o'),
                              message)
    model = model_dir_with(tmp_path, trained, 'model_analogy', json_text='{')
    assert_one_line_error(run_forked(ANALOGY, '--model-dir', model, '--out', tmp_path / 'o'),
                          'model.json is not valid JSON')


def test_weights_of_another_size_or_experiment_or_missing(tmp_path, trained):
    other = tmp_path / 'other_size'
    config = tiny_mixture_config(n_z=16)
    save_model_dir(str(other), config, *build_models(config))
    model = model_dir_with(tmp_path, trained, 'swapped', generator_npz=other / 'generator.npz')
    assert_one_line_error(run_forked(PLOT, '--model-dir', model, '--out', tmp_path / 'o'),
                          'swapped/generator.npz does not fit these networks (could not '
                          'broadcast', 'another architecture, size or experiment')

    faces = tmp_path / 'faces'
    config = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=4, n_h=4).validate()
    save_model_dir(str(faces), config, *build_models(config))
    model = model_dir_with(tmp_path, trained, 'foreign', discriminator_npz=faces / 'generator.npz')
    assert_one_line_error(run_forked(PLOT, '--model-dir', model, '--out', tmp_path / 'o'),
                          'foreign/discriminator.npz does not fit these networks (missing')

    model = model_dir_with(tmp_path, trained, 'incomplete')
    os.remove(model / 'generator.npz')
    assert_one_line_error(run_forked(PLOT, '--model-dir', model, '--out', tmp_path / 'o'),
                          f'file not found: {model / "generator.npz"}')


# --- --resume ------------------------------------------------------------------

def test_bad_resumes(tmp_path, trained):
    snapshot = trained / 'snapshot_iter_5.npz'
    truncated = tmp_path / 'truncated.npz'
    truncated.write_bytes(snapshot.read_bytes()[:3000])
    model = tmp_path / 'm'
    cases = [
        # A mixture snapshot given to the anime-face script:
        (FACES, ['--resume', snapshot], f'{snapshot} is a snapshot of the gaussian_mixture '
                                        f'experiment, not of animeface'),
        (MIXTURE, ['--resume', tmp_path / 'none.npz'], 'snapshot not found'),
        (MIXTURE, ['--resume'], f'no snapshot to resume from in {model}'),
        (MIXTURE, ['--resume', truncated], f'{truncated} is not a readable snapshot (not a '
                                           f'whole .npz archive'),
        (MIXTURE, ['--resume', trained / 'model.json'], 'is not a readable snapshot'),
        (MIXTURE, ['--resume', trained / 'generator.npz'], 'is not a snapshot of this project'),
        (MIXTURE, ['--resume', snapshot, '--n-z', 9],
         'a resumed run keeps its networks; cannot change n_z (it was trained with n_z=8)'),
        # --info-head gives D another layer: not for a run trained without it
        (MIXTURE, ['--resume', snapshot, '--info-head', 1],
         'a resumed run keeps its networks; cannot change info_head (it was trained with '
         'info_head=0.0)'),
    ]
    for script, args, message in cases:
        result = run_forked(script, *args, '--model-dir', model, '--plot-dir', tmp_path / 'p')
        assert_one_line_error(result, message)
    assert not model.exists() or not os.listdir(model)


def test_resume_ignores_a_corrupt_model_json(tmp_path, trained):
    # --resume reads the Config from the snapshot, and rewrites model.json.
    model = model_dir_with(tmp_path, trained, json_text='{"n_z": 8,')
    result = run_forked(MIXTURE, '--resume', '--epochs', 2, '--model-dir', model,
                        '--plot-dir', tmp_path / 'p', '--no-progress')
    assert result.returncode == 0, result.stderr
    assert json.loads((model / 'model.json').read_text())['epochs'] == 2
    assert (model / 'snapshot_iter_10.npz').exists()


def test_size_not_a_multiple_of_16(tmp_path):
    args = ['--dataset', 'toyfaces', '--model-dir', tmp_path / 'm', '--plot-dir', tmp_path / 'p']
    assert_one_line_error(run_forked(FACES, *args, '--size', 40),
                          'size must be a multiple of 16 (>= 16) for the blog networks, got 40')


# --- files that carry pickled objects ---------------------------------------

class Payload:
    """Unpickling this would create the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), 'w'))


def test_pickled_objects_are_refused_and_never_run(tmp_path, trained):
    marker = tmp_path / 'code_ran'
    evil = numpy.array([Payload(marker)], dtype=object)
    model = model_dir_with(tmp_path, trained)
    numpy.savez(model / 'generator.npz', payload=evil)  # numpy pickles the object
    snapshot = tmp_path / 'evil_snapshot.npz'
    with numpy.load(trained / 'snapshot_iter_5.npz') as npz:
        numpy.savez(snapshot, **{k: npz[k] for k in npz.files}, **{'updater/payload': evil})

    # A fresh interpreter, the way a user runs a downloaded model.
    result = run_forked(PLOT, '--model-dir', model, '--out', tmp_path / 'o')
    assert_one_line_error(result, f'{model / "generator.npz"} holds a pickled object; '
                                  f'refusing to load it (it could run code)')
    result = run_forked(MIXTURE, '--resume', snapshot, '--model-dir', tmp_path / 'm2',
                        '--plot-dir', tmp_path / 'p')
    assert_one_line_error(result, f'{snapshot} holds a pickled object; refusing to load it')
    assert not marker.exists()

    # The control: loading with pickling on does run it.
    with numpy.load(snapshot, allow_pickle=True) as npz:
        npz['updater/payload']
    assert marker.exists()


def test_no_load_in_the_code_allows_pickles():
    """Audit: every weight or snapshot load goes through model_dir.read_npz."""
    offending = []
    pattern = re.compile(r'allow_pickle\s*=\s*True|load_npz\(|pickle\.loads?\(|autoload=True')
    files = 0
    for folder in ('began', 'train_gaussian_mixture', 'train_animeface', 'benchmarks'):
        for parent, _, names in os.walk(os.path.join(ROOT, folder)):
            for name in sorted(n for n in names if n.endswith('.py')):
                path = os.path.join(parent, name)
                files += 1
                with open(path) as f:
                    for number, line in enumerate(f, 1):
                        if pattern.search(line):
                            offending.append(f'{os.path.relpath(path, ROOT)}:{number}: '
                                             f'{line.strip()}')
    assert files > 30 and not offending, (files, offending)


# --- a full disk while training -------------------------------------------------

def test_a_full_disk_warns_and_training_goes_on(tmp_path, monkeypatch):
    from began.pictures.mixture import MixturePictures

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    config = tiny_mixture_config(epochs=2)
    gen, dis = build_models(config)
    model, plot = tmp_path / 'model', tmp_path / 'plot'
    trainer = build_trainer(config, MixtureIterator(config.batch_size, 5, config.seed), gen, dis,
                            chainer.get_device('@numpy'), str(model), str(plot),
                            pictures=[MixturePictures(config, str(plot))], progress=False)
    monkeypatch.setattr(Image.Image, 'save', full)  # every PNG: Pillow and matplotlib
    with pytest.warns(UserWarning) as record:
        trainer.run()
    messages = [str(w.message) for w in record]
    assert trainer.updater.iteration == 10
    assert any(m.startswith('could not write the epoch_1 pictures') for m in messages), messages
    assert any(m.startswith('could not write') and 'curve_losses.png' in m for m in messages)
    assert all('No space left on device' in m for m in messages if 'could not' in m)
    assert (model / 'snapshot_iter_10.npz').exists() and (model / 'generator.npz').exists()
    assert not [name for name in os.listdir(plot) if name.endswith('.png')]


def test_a_failed_write_of_the_image_grids_warns(tmp_path, monkeypatch):
    # Pictures only warn; a failed write of the model, the log or a snapshot
    # stops training (tests/training/test_write_failures.py).
    from began.pictures.images import ImagePictures

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # The image grids of the anime-face experiment (Pillow, through save_png).
    faces = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                   n_z=4, n_h=4).validate()
    fgen, fdis = build_models(faces)
    pictures = ImagePictures(faces, str(tmp_path / 'grids'),
                             numpy.zeros((4, 3, 16, 16), numpy.uint8))
    monkeypatch.setattr(Image.Image, 'save', full)

    def no_extension(name):  # as Trainer.get_extension: no --g-ema average here
        raise ValueError(name)

    fake = type('T', (), {'updater': type('U', (), dict(generator=fgen, discriminator=fdis,
                                                        epoch=1)),
                          'get_extension': staticmethod(no_extension)})
    with pytest.warns(UserWarning) as record:
        pictures(fake)
    assert [re.sub(r'^could not write .*/(\w+\.png): \[Errno 28\] No space left on device$',
                   r'\1', str(w.message)) for w in record] == [
        'samples_epoch_1.png', 'reconstruction_real_epoch_1.png',
        'reconstruction_fake_epoch_1.png']


# --- a full disk after training: plot.py and analogy.py -------------------------

def test_a_full_disk_in_plot_py_is_one_line(tmp_path, monkeypatch):
    model = tmp_path / 'model'
    trained = run_forked(MIXTURE, *TINY, '--epochs', 1, '--plot-interval', 1000,
                         '--model-dir', model, '--plot-dir', tmp_path / 'p')
    assert trained.returncode == 0, trained.stderr

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Image.Image, 'save', full)  # every PNG: Pillow and matplotlib
    result = run_forked('train_gaussian_mixture/plot.py', '--model-dir', model,
                        '--out', tmp_path / 'out')
    assert_one_line_error(result, 'could not write', os.strerror(errno.ENOSPC))
    assert not [n for n in os.listdir(tmp_path / 'out') if '.tmp' in n]


def test_other_os_errors_are_not_taken_for_a_full_disk():
    from began.command_line import guarded

    @guarded
    def main(argv):
        raise FileNotFoundError(errno.ENOENT, 'missing', 'x')

    with pytest.raises(FileNotFoundError):
        main([])
