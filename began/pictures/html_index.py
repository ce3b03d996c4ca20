"""An index.html that shows every picture of a run, results first, so a
person sees what came out before how it got there.

    python -m began.pictures.html_index OUT_DIR [--title TITLE]
        [--section HEADING SUBDIR [LOG]] ...

The page opens with a contents list: one card a section, with its lead
picture and final scores. Each section then shows its results (what
plot.py and analogy.py drew, and the last epoch of any picture they did not
redraw; under a picture, the NAME.txt its script wrote beside it), its
scores by epoch with one line explaining each score (from the
training log, when given), the pictures of each epoch side by side (small,
each a link to the full size), and the training curves in a small grid.
"""
import html
import json
import os
import re

from began.command_line import ArgumentParser, check_writable, guarded
from began.errors import BeganError

# Caption of each kind of picture, by file-name pattern (epoch pictures:
# by kind, without the epoch; the page says which epoch).
CAPTIONS = [
    (r'samples_epoch', 'Generator samples G(z), the same z every epoch'),
    (r'reconstruction_real_epoch',
     "D's reconstructions of real images (each real image, then D(x)). The post's tip: "
     "the one after epoch 1 predicts success; if D cannot reconstruct real data by "
     'then, revise the hyperparameters'),
    (r'reconstruction_fake_epoch',
     "D's reconstructions of generated images (G(z), then D(G(z)))"),
    (r'scatter_epoch', "Real points, generated points and D's reconstructions"),
    (r'kde_epoch', 'Kernel density of real, generated and reconstructed points'),
    (r'compare', "G's samples of each configuration side by side, captioned with its mode "
     'coverage: modes captured and % high-quality points (8 Gaussians), or face_modes, '
     'face_clean and face_kl (faces) (compare.py)'),
    (r'scatter_final', "Real vs generated points and D's reconstructions (plot.py)"),
    (r'kde_final', "Kernel density: real vs generated, and D's reconstructions (plot.py)"),
    (r'curve_losses', 'Losses L(x), L(G(z)), L_D and L_G by iteration (while k_t = 0, '
     'L_D = L(x) and L_G = L(G(z)): their lines lie on top of each other)'),
    (r'curve_k', "k_t, the weight of L(G(z)) in D's loss"),
    (r'curve_M', 'Convergence measure M_global (lower is better)'),
    (r'curve_h', "Std of D's code h of real data (the post saw it grow to ~80)"),
    (r'samples', 'Generator samples from the saved model (plot.py)'),
    (r'real', 'Real training images (plot.py --image-dir)'),
    (r'analogy_images', 'Two real images inverted into z, and G between them (analogy.py)'),
    (r'analogy_z', 'G along straight lines between pairs of z (analogy.py)'),
    (r'analogy_h', "The decoder alone along lines between D's codes h of the same pairs"),
    (r'analogy', 'G(z) along straight lines between pairs of z, over the true density '
     '(analogy.py)'),
]

# Results, in the order a person wants them; a kind drawn by epoch whose
# final picture is not here shows its last epoch among the results.
RESULTS = ['compare', 'samples', 'scatter_final', 'kde_final', 'reconstruction_real',
           'reconstruction_fake', 'real', 'analogy_images', 'analogy', 'analogy_z', 'analogy_h']
FINAL_OF = {'samples': 'samples', 'scatter': 'scatter_final', 'kde': 'kde_final'}
CURVES = ['curve_losses', 'curve_M', 'curve_k', 'curve_h']
EPOCH_KINDS = ['samples', 'reconstruction_real', 'reconstruction_fake', 'scatter', 'kde']

# The log's scores, in table order, with one line each on the page.
SCORES = [
    ('M', 'M', '', 'M_global, the paper\'s convergence measure: D\'s error on real data plus '
     'how far L(G(z)) is from gamma L(x); lower is better.'),
    ('k', 'k_t', '', "the weight of L(G(z)) in D's loss, which the controller moves to keep "
     'L(G(z)) = gamma L(x); stuck at 0 or 1 means D and G are out of balance.'),
    ('modes', 'modes', '', "Gaussians of the ring that hold at least one high-quality sample, "
     'of 2,500 samples (8 of 8: every mode covered).'),
    ('high_quality', 'high quality', '%', 'share of those samples within 3 std of the centre '
     'of their nearest Gaussian.'),
    ('face_modes', 'face_modes', '', 'hair x eye colour modes, of 48, that at least one '
     'generated face reads cleanly as (48: every mode covered).'),
    ('face_clean', 'face_clean', '%', 'generated faces whose hair and eye colour each read '
     'unambiguously as one palette colour.'),
    ('face_kl', 'face_kl', '', 'KL(generated || true) between the mode distributions of the '
     'clean faces, in nats: 0 is perfect, 3.87 (log 48) a single mode; absent (—) while '
     'no face reads cleanly.'),
    ('speckle', 'speckle', '', "fine-detail energy of 100 samples over that of 100 real "
     'images: about 1 matches the data, below 1 is blurrier, above 1 speckled.'),
]
ABSENT = '—'
# face_kl is left out of a row with no clean face; its column still shows.
SHOWN_WITH = {'face_kl': 'face_clean'}

NOTE_CHARS = 2000
STYLE = '''
body{font-family:sans-serif;margin:0 auto;max-width:1240px;padding:0 20px 2em;
  background:#fafafa;color:#222}
h1{margin:.5em 0 .2em}h2{margin-top:1.5em;border-bottom:2px solid #ccc}
a img{border:1px solid #ccc;background:#fff;image-rendering:pixelated}
.cards{display:flex;gap:16px;flex-wrap:wrap}
.card{flex:1 1 300px;border:1px solid #ccc;background:#fff;padding:8px 12px}
.card h2{margin:0 0 .3em;border:0;font-size:120%}.card img{max-width:100%;max-height:300px}
.card p{margin:.3em 0;font-size:90%}
figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top;max-width:100%}
figure.result img{max-width:100%;max-height:360px}
figcaption{max-width:40em;font-size:85%;color:#333}
figcaption .note{display:block;white-space:pre-wrap;font-family:monospace;margin-top:.3em}
table.epochs{width:100%;border-collapse:collapse;table-layout:fixed}
table.epochs th{font-weight:normal;font-size:85%;text-align:left;vertical-align:top;
  padding:2px 8px 2px 0}
table.epochs td{padding:2px}table.epochs td img{width:100%}
table.scores{border-collapse:collapse;font-size:90%}
table.scores td,table.scores th{border:1px solid #ccc;padding:2px 8px;text-align:right}
dl.scores{font-size:85%}dl.scores dt{float:left;font-weight:bold;margin-right:.5em}
.curves{display:grid;grid-template-columns:repeat(4,1fr);gap:8px}
.curves img{width:100%}
'''


def caption(name):
    """A picture's caption from its file name."""
    kind, epoch = _kind_epoch(os.path.splitext(name)[0])
    if epoch is None:
        return kind_caption(kind)
    return f'{kind_caption(kind + "_epoch")}, epoch {epoch}'


def kind_caption(stem):
    for pattern, text in CAPTIONS:
        if re.fullmatch(pattern, stem):
            return text
    return stem.replace('_', ' ')


def _kind_epoch(stem):
    """('samples', 3) for 'samples_epoch_3'; (stem, None) for the rest."""
    m = re.fullmatch(r'(.*)_epoch_(\d+)', stem)
    return (m.group(1), int(m.group(2))) if m else (stem, None)


def _ranked(keys, order):
    """keys in the order of the list ``order``, the others after, by name."""
    return sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))


def group_pictures(names):
    """The PNG names of a folder in the page's groups: 'results', 'epochs'
    ({kind: [(epoch, name)]}), 'curves' and 'other'. Every name lands in a
    group; a last-epoch picture among the results is in 'epochs' too."""
    stems = {os.path.splitext(n)[0]: n for n in names}
    epochs, curves, rest = {}, [], {}
    for stem, name in sorted(stems.items()):
        kind, epoch = _kind_epoch(stem)
        if epoch is not None:
            epochs.setdefault(kind, []).append((epoch, name))
        elif stem.startswith('curve_'):
            curves.append(name)
        else:
            rest[stem] = name
    epochs = {kind: sorted(epochs[kind]) for kind in _ranked(epochs, EPOCH_KINDS)}
    lasts = {kind: pictures[-1][1] for kind, pictures in epochs.items()
             if FINAL_OF.get(kind) not in stems}
    results = {**lasts, **{stem: n for stem, n in rest.items() if stem in RESULTS}}
    return dict(results=[results[key] for key in _ranked(results, RESULTS)], epochs=epochs,
                curves=[stems[c] for c in _ranked([os.path.splitext(n)[0] for n in curves],
                                                  CURVES)],
                other=[n for stem, n in rest.items() if stem not in RESULTS])


def read_log(path):
    """The log's rows that hold a score (the picture epochs)."""
    try:
        with open(path) as f:
            rows = json.load(f)
    except FileNotFoundError:
        raise BeganError(f'log not found: {path}') from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BeganError(f'{path} is not a readable training log ({e})') from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BeganError(f'{path} is not a training log (expected a JSON list of rows)')
    keys = {key for key, _, _, _ in SCORES[2:]}
    return [r for r in rows if keys & set(r)]


def _logged(key, rows):
    return any(key in r or SHOWN_WITH.get(key) in r for r in rows)


def _value(row, key):
    value = row.get(key)
    if not isinstance(value, (int, float)) or value != value:  # absent or NaN
        return ABSENT
    if key in ('modes', 'face_modes'):
        return f'{value:.0f}'
    if key in ('high_quality', 'face_clean'):
        return f'{value:.1f}'
    return f'{value:.3g}' if key in ('M', 'k') else f'{value:.3f}'


def _src(rel, name):
    return html.escape(os.path.normpath(os.path.join(rel, name)).replace(os.sep, '/'))


def _note(notes, name):
    text = notes.get(name)
    return f'<span class="note">{html.escape(text)}</span>' if text else ''


def read_notes(folder, names):
    """{picture: text} of the NAME.txt a script wrote beside NAME.png (what
    the picture alone does not say, e.g. how each inversion read); at most
    NOTE_CHARS of each."""
    notes = {}
    for name in names:
        path = os.path.join(folder, name[:-len('.png')] + '.txt')
        if os.path.isfile(path):
            with open(path, encoding='utf-8', errors='replace') as f:
                notes[name] = f.read(NOTE_CHARS).strip()
    return notes


def _picture(src, alt):
    return f'<a href="{src}"><img src="{src}" alt="{html.escape(alt)}"></a>'


class Page:
    """index.html, built section by section."""

    def __init__(self, title):
        self.title, self.cards, self.body = title, [], []

    def section(self, number, heading, rel, names, log_rows, notes=None):
        groups = group_pictures(names)
        notes = notes or {}
        anchor = f's{number}'
        parts, links = [f'<h2 id="{anchor}">{number}. {html.escape(heading)}</h2>'], []

        def sub(key, title):
            links.append(f'<a href="#{anchor}-{key}">{title}</a>')
            parts.append(f'<h3 id="{anchor}-{key}">{title}</h3>')

        if groups['results']:
            sub('results', 'Results')
            for name in groups['results']:
                parts.append(f'<figure class="result">{_picture(_src(rel, name), name)}'
                             f'<figcaption><b>{html.escape(name)}</b>: '
                             f'{html.escape(caption(name))}{_note(notes, name)}'
                             f'</figcaption></figure>')
        if log_rows:
            sub('scores', 'Scores by epoch')
            parts.append(self.scores(log_rows))
        if groups['epochs']:
            sub('epochs', 'By epoch')
            parts.append(self.epochs(rel, groups['epochs']))
        if groups['curves']:
            sub('curves', 'Training curves')
            parts.append('<div class="curves">')
            for name in groups['curves']:
                parts.append(f'<figure>{_picture(_src(rel, name), name)}<figcaption>'
                             f'{html.escape(caption(name))}</figcaption></figure>')
            parts.append('</div>')
        if groups['other']:
            sub('other', 'Other pictures')
            for name in groups['other']:
                parts.append(f'<figure class="result">{_picture(_src(rel, name), name)}'
                             f'<figcaption><b>{html.escape(name)}</b>{_note(notes, name)}'
                             f'</figcaption></figure>')
        lead = groups['results'][0] if groups['results'] else None
        self.cards.append(self.card(anchor, number, heading, rel, lead, log_rows, links))
        self.body.extend(parts)

    def card(self, anchor, number, heading, rel, lead, log_rows, links):
        parts = [f'<div class="card"><h2><a href="#{anchor}">{number}. '
                 f'{html.escape(heading)}</a></h2>']
        if lead:
            parts.append(f'<a href="#{anchor}-results"><img src="{_src(rel, lead)}" '
                         f'alt="{html.escape(lead)}"></a><p>{html.escape(caption(lead))}</p>')
        if log_rows:
            last = log_rows[-1]
            shown = [f'{label} {_value(last, key)}{unit}' for key, label, unit, _ in SCORES
                     if _logged(key, log_rows) and key not in ('M', 'k')]
            parts.append(f'<p>After epoch {last.get("epoch", "?")}: '
                         f'{html.escape(", ".join(shown))}</p>')
        parts.append(f'<p>{" · ".join(links)}</p></div>')
        return '\n'.join(parts)

    def scores(self, rows):
        keys = [(key, f'{label} {unit}'.strip(), text) for key, label, unit, text in SCORES
                if _logged(key, rows)]
        head = ''.join(f'<th>{html.escape(label)}</th>' for _, label, _ in keys)
        lines = ['<table class="scores"><tr><th>epoch</th><th>iteration</th>' + head + '</tr>']
        for row in rows:
            cells = ''.join(f'<td>{_value(row, key)}</td>' for key, _, _ in keys)
            lines.append(f'<tr><td>{row.get("epoch", "")}</td>'
                         f'<td>{row.get("iteration", "")}</td>{cells}</tr>')
        lines.append('</table><dl class="scores">')
        lines += [f'<dt>{html.escape(label)}</dt><dd>{html.escape(text)}</dd>'
                  for _, label, text in keys]
        lines.append('</dl>')
        return '\n'.join(lines)

    def epochs(self, rel, kinds):
        columns = sorted({epoch for pics in kinds.values() for epoch, _ in pics})
        lines = ['<table class="epochs"><tr><th style="width:14%"></th>'
                 + ''.join(f'<th>epoch {e}</th>' for e in columns) + '</tr>']
        for kind, pics in kinds.items():
            by_epoch = dict(pics)
            cells = ''.join(
                f'<td>{_picture(_src(rel, by_epoch[e]), by_epoch[e])}</td>'
                if e in by_epoch else '<td></td>' for e in columns)
            lines.append(f'<tr><th>{html.escape(kind_caption(kind + "_epoch"))}</th>'
                         f'{cells}</tr>')
        lines.append('</table>')
        return '\n'.join(lines)

    def html(self):
        return '\n'.join([
            f'<!doctype html><meta charset="utf-8"><title>{html.escape(self.title)}</title>',
            f'<style>{STYLE}</style>', f'<h1>{html.escape(self.title)}</h1>',
            '<p>Contents: each section\'s results, its scores by epoch, its pictures by '
            'epoch side by side, its training curves. Click a picture for its full size.</p>',
            '<nav class="cards">', *self.cards, '</nav>', *self.body]) + '\n'


def _check_folder(path, what):
    if not os.path.exists(path):
        raise BeganError(f'{what} not found: {path}')
    if not os.path.isdir(path):
        raise BeganError(f'{what} is not a folder: {path}')


def write_index(out_dir, title='BEGAN run', sections=None):
    """Write OUT_DIR/index.html showing every PNG under OUT_DIR.

    ``sections``: optional [(heading, subfolder)] or [(heading, subfolder,
    training log)], paths relative to OUT_DIR; by default one section per
    folder that holds PNGs. Every input is checked before the page is
    written. Returns the path and the number of pictures.
    """
    _check_folder(out_dir, 'output folder')
    if not sections:
        sections = []
        for folder, _, files in sorted(os.walk(out_dir)):
            if any(f.endswith('.png') for f in files):
                rel = os.path.relpath(folder, out_dir)
                sections.append((rel if rel != '.' else title, rel))
        if not sections:
            raise BeganError(f'no pictures (.png) under {out_dir}')
    read = []
    for heading, rel, *log in sections:
        folder = os.path.join(out_dir, rel)
        _check_folder(folder, f'section "{heading}" folder')
        names = [n for n in os.listdir(folder) if n.endswith('.png')]
        if not names:
            raise BeganError(f'no pictures (.png) in {folder}')
        read.append((heading, rel, names,
                     read_log(os.path.join(out_dir, log[0])) if log else [],
                     read_notes(folder, names)))
    path = os.path.join(out_dir, 'index.html')
    check_writable(out_dir, 'output folder')
    if os.path.isdir(path):
        raise BeganError(f'cannot write {path}: it is a folder')
    page = Page(title)
    for number, (heading, rel, names, rows, notes) in enumerate(read, 1):
        page.section(number, heading, rel, names, rows, notes)
    count = sum(len(names) for _, _, names, _, _ in read)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write(page.html())
    os.replace(tmp, path)
    return path, count


@guarded
def main(argv=None):
    parser = ArgumentParser(prog='python -m began.pictures.html_index',
                            description='Write index.html for a folder of pictures.')
    parser.add_argument('out_dir')
    parser.add_argument('--title', default='BEGAN run')
    parser.add_argument('--section', nargs='+', action='append', metavar='ARG',
                        help='HEADING SUBDIR [LOG]: a section of pictures, and the '
                             'training log of its scores, paths relative to OUT_DIR '
                             '(repeatable; default: every folder that holds pictures)')
    args = parser.parse_args(argv)
    for values in args.section or []:
        if len(values) not in (2, 3):
            parser.error(f'--section takes HEADING SUBDIR [LOG], got {len(values)} '
                         f'value(s): {" ".join(values)}')
    path, count = write_index(args.out_dir, args.title, args.section)
    print(f'wrote {path} ({count} pictures)')


if __name__ == '__main__':
    main()
