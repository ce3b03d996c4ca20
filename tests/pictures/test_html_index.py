import json
import re

from PIL import Image

from began.pictures.html_index import caption, group_pictures, write_index

FACES = ['samples_epoch_1.png', 'samples_epoch_10.png', 'samples_epoch_2.png', 'curve_k.png',
         'curve_losses.png', 'reconstruction_real_epoch_1.png',
         'reconstruction_real_epoch_2.png', 'analogy_z.png', 'samples.png']
MIXTURE = ['scatter_epoch_1.png', 'scatter_final.png', 'kde_final.png', 'odd name.png']


def make_run(tmp_path):
    names = {'faces/plot': FACES, 'mixture/plot': MIXTURE}
    for folder, files in names.items():
        (tmp_path / folder).mkdir(parents=True)
        for name in files:
            Image.new('RGB', (4, 4)).save(tmp_path / folder / name)
    (tmp_path / 'faces/plot/notes.txt').write_text('not a picture')
    return names


def test_page_shows_every_picture_results_first(tmp_path):
    names = make_run(tmp_path)
    path, count = write_index(str(tmp_path), 'demo', [('Faces', 'faces/plot'),
                                                      ('Mixture', 'mixture/plot')])
    page = open(path).read()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert count == 13
    assert set(sources) == {f'{d}/{n}' for d, fs in names.items() for n in fs}
    assert 'notes.txt' not in page
    # Every picture of the sections links to its full size.
    body = page[page.index('</nav>'):]
    assert re.findall(r'<a href="([^"]+)"><img src="([^"]+)"', body) == \
        [(s, s) for s in re.findall(r'<img src="([^"]+)"', body)]
    # Contents first (one card a section, with its lead picture), then each
    # section: results, the pictures by epoch, the curves.
    nav = page[page.index('<nav'):page.index('</nav>')]
    assert re.findall(r'<img src="([^"]+)"', nav) == ['faces/plot/samples.png',
                                                      'mixture/plot/scatter_final.png']
    assert 'href="#s1-results"' in nav and 'href="#s2-epochs"' in nav
    faces = page[page.index('id="s1"'):page.index('id="s2"')]
    order = [faces.index(f'id="s1-{part}"') for part in ('results', 'epochs', 'curves')]
    assert order == sorted(order)
    results = faces[:faces.index('id="s1-epochs"')]
    assert re.findall(r'<img src="faces/plot/([^"]+)"', results) == [
        'samples.png', 'reconstruction_real_epoch_2.png', 'analogy_z.png']
    # By epoch: one row a kind, epochs side by side in numeric order.
    epochs = faces[faces.index('id="s1-epochs"'):faces.index('id="s1-curves"')]
    rows = re.findall(r'<tr>(.*?)</tr>', epochs, re.S)
    assert re.findall(r'<th>epoch (\d+)</th>', rows[0]) == ['1', '2', '10']
    assert re.findall(r'src="faces/plot/([^"]+)"', rows[1]) == [
        'samples_epoch_1.png', 'samples_epoch_2.png', 'samples_epoch_10.png']
    assert re.findall(r'src="faces/plot/([^"]+)"', rows[2]) == [
        'reconstruction_real_epoch_1.png', 'reconstruction_real_epoch_2.png']
    curves = faces[faces.index('id="s1-curves"'):]
    assert re.findall(r'src="faces/plot/([^"]+)"', curves) == ['curve_losses.png',
                                                               'curve_k.png']
    assert 'odd name.png' in page[page.index('id="s2-other"'):]


def test_default_sections_and_a_real_run_on_the_page(tmp_path):
    names = make_run(tmp_path)
    path, count = write_index(str(tmp_path), 'run')
    sources = set(re.findall(r'<img src="([^"]+)"', open(path).read()))
    assert count == 13 and sources == {f'{d}/{n}' for d, fs in names.items() for n in fs}


def test_grouping_puts_every_picture_somewhere():
    groups = group_pictures(['scatter_epoch_2.png', 'kde_epoch_2.png', 'scatter_final.png',
                             'curve_M.png', 'weird_epoch_3.png', 'x.png'])
    assert groups['results'] == ['scatter_final.png', 'kde_epoch_2.png', 'weird_epoch_3.png']
    assert list(groups['epochs']) == ['scatter', 'kde', 'weird']
    assert groups['curves'] == ['curve_M.png'] and groups['other'] == ['x.png']


def test_scores_with_one_line_each_and_absent_face_kl(tmp_path):
    make_run(tmp_path)
    rows = [{'epoch': 1, 'iteration': 10, 'M': 0.5, 'k': 0.0, 'face_modes': 0.0,
             'face_clean': 0.0, 'speckle': 0.4},
            {'epoch': 1, 'iteration': 15, 'M': 0.45, 'k': 0.0},        # no score: not shown
            {'epoch': 2, 'iteration': 20, 'M': 0.3, 'k': 0.01, 'face_modes': 12.0,
             'face_clean': 40.5, 'face_kl': 0.8123, 'speckle': 0.9}]
    (tmp_path / 'faces' / 'log').write_text(json.dumps(rows))
    (tmp_path / 'mixture' / 'log').write_text(json.dumps(
        [{'epoch': 1, 'iteration': 500, 'M': 0.3, 'k': 0.0, 'modes': 3, 'high_quality': 12.5}]))
    path, _ = write_index(str(tmp_path), 'demo', [('Faces', 'faces/plot', 'faces/log'),
                                                  ('Mixture', 'mixture/plot', 'mixture/log')])
    page = open(path).read()
    assert 'nan' not in page.lower()
    faces = page[page.index('id="s1-scores"'):page.index('id="s1-epochs"')]
    table = re.findall(r'<tr><td>(\d+)</td><td>(\d+)</td>(.*?)</tr>', faces)
    assert [(e, i) for e, i, _ in table] == [('1', '10'), ('2', '20')]
    assert re.findall(r'<td>([^<]*)</td>', table[0][2]) == ['0.5', '0', '0', '0.0', '—', '0.400']
    assert re.findall(r'<td>([^<]*)</td>', table[1][2])[4] == '0.812'
    explained = dict(re.findall(r'<dt>([^<]+)</dt><dd>([^<]+)</dd>', faces))
    assert set(explained) == {'M', 'k_t', 'face_modes', 'face_clean %', 'face_kl', 'speckle'}
    assert 'absent (—) while no face reads cleanly' in explained['face_kl']
    mixture = page[page.index('id="s2-scores"'):]
    assert {'modes', 'high quality %'} <= set(re.findall(r'<dt>([^<]+)</dt>', mixture))
    nav = page[page.index('<nav'):page.index('</nav>')]
    assert 'After epoch 2: face_modes 12, face_clean 40.5%, face_kl 0.812' in nav
    assert 'After epoch 1: modes 3, high quality 12.5%' in nav


def test_captions():
    assert caption('samples_epoch_10.png').endswith('epoch 10')
    assert 'revise the hyperparameters' in caption('reconstruction_real_epoch_1.png')
    assert caption('something_else.png') == 'something else'


def test_a_note_beside_a_picture_is_shown_under_it(tmp_path):
    make_run(tmp_path)
    (tmp_path / 'faces/plot/analogy_z.txt').write_text(
        'inverted a.png: G(z) as hair <unclear>\ninverted b.png: fine\n')
    (tmp_path / 'mixture/plot/odd name.txt').write_text('x' * 5000)
    path, _ = write_index(str(tmp_path), 'demo', [('Faces', 'faces/plot'),
                                                  ('Mixture', 'mixture/plot')])
    page = open(path).read()
    figure = re.search(r'<figure[^>]*><a href="faces/plot/analogy_z.png">.*?</figure>',
                       page, re.S)[0]
    assert ('<span class="note">inverted a.png: G(z) as hair &lt;unclear&gt;\n'
            'inverted b.png: fine</span>') in figure
    assert page.count('class="note"') == 2 and 'x' * 2000 in page and 'x' * 2001 not in page
