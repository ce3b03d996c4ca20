import re

from PIL import Image

from began.pictures.html_index import caption, write_index


def test_index_shows_every_picture_with_a_caption(tmp_path):
    names = {'faces/plot': ['samples_epoch_1.png', 'samples_epoch_10.png', 'samples_epoch_2.png',
                            'curve_k.png', 'reconstruction_real_epoch_1.png', 'analogy_z.png'],
             'mixture/plot': ['scatter_epoch_1.png', 'kde_final.png', 'odd name.png']}
    for folder, files in names.items():
        (tmp_path / folder).mkdir(parents=True)
        for name in files:
            Image.new('RGB', (4, 4)).save(tmp_path / folder / name)
    (tmp_path / 'faces/plot/notes.txt').write_text('not a picture')
    path, count = write_index(str(tmp_path), 'demo', [('Faces', 'faces/plot'),
                                                      ('Mixture', 'mixture/plot')])
    page = open(path).read()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert count == len(sources) == 9
    assert set(sources) == {f'{d}/{n}' for d, fs in names.items() for n in fs}
    # curves first, then epochs in numeric order (2 before 10)
    faces = [s for s in sources if s.startswith('faces/')]
    assert faces[0] == 'faces/plot/curve_k.png'
    assert faces.index('faces/plot/samples_epoch_2.png') < faces.index('faces/plot/samples_epoch_10.png')
    assert page.count('<figcaption>') == 9 and 'notes.txt' not in page


def test_captions():
    assert 'epoch 10' in caption('samples_epoch_10.png')
    assert 'revise the hyperparameters' in caption('reconstruction_real_epoch_1.png')
    assert caption('something_else.png') == 'something else'
