"""An index.html that shows every picture of a run, with captions, so a
person can look at the whole run in a browser.

    python -m began.pictures.html_index OUT_DIR [--title TITLE]
"""
import argparse
import html
import os
import re

# Caption of each kind of picture, by file-name pattern.
CAPTIONS = [
    (r'samples_epoch_(\d+)', 'Generator samples G(z) after epoch {0} (the same z every epoch)'),
    (r'reconstruction_real_epoch_(\d+)',
     "D's reconstructions of real images after epoch {0} (each real image, then D(x)). "
     'After epoch 1 this predicts success: if D cannot reconstruct real data, revise the '
     'hyperparameters'),
    (r'reconstruction_fake_epoch_(\d+)',
     "D's reconstructions of generated images after epoch {0} (G(z), then D(G(z)))"),
    (r'scatter_epoch_(\d+)', 'Real points, generated points and D\'s reconstructions, epoch {0}'),
    (r'kde_epoch_(\d+)', 'Kernel density of real, generated and reconstructed points, epoch {0}'),
    (r'compare', 'Generated points of each configuration side by side, captioned with '
     'modes captured and % high-quality samples (compare.py)'),
    (r'scatter_final', 'Real vs generated points and D\'s reconstructions (plot.py)'),
    (r'kde_final', 'Kernel density: real vs generated, and D\'s reconstructions (plot.py)'),
    (r'curve_losses', 'Losses L(x), L(G(z)), L_D and L_G by iteration (while k_t = 0, '
     'L_D = L(x) and L_G = L(G(z)): their lines lie on top of each other)'),
    (r'curve_k', 'k_t, the weight of L(G(z)) in D\'s loss'),
    (r'curve_M', 'Convergence measure M_global (lower is better)'),
    (r'curve_h', "Std of D's code h of real data (the post saw it grow to ~80)"),
    (r'samples', 'Generator samples from the saved model (plot.py)'),
    (r'real', 'Real training images (plot.py --image-dir)'),
    (r'analogy_z', 'G along straight lines between pairs of z (analogy.py)'),
    (r'analogy_h', "The decoder alone along lines between D's codes h of the same pairs"),
    (r'analogy_images', 'Two real images inverted into z, and G between them'),
    (r'analogy', 'G(z) along straight lines between pairs of z, over the true density'),
]


def caption(name):
    stem = os.path.splitext(name)[0]
    for pattern, text in CAPTIONS:
        m = re.fullmatch(pattern, stem)
        if m:
            return text.format(*m.groups())
    return stem.replace('_', ' ')


def _order(name):
    """Curves first, then pictures by kind and epoch, then the rest."""
    stem = os.path.splitext(name)[0]
    m = re.fullmatch(r'(.*)_epoch_(\d+)', stem)
    if stem.startswith('curve_'):
        return (0, stem, 0)
    if m:
        return (1, m.group(1), int(m.group(2)))
    return (2, stem, 0)


def write_index(out_dir, title='BEGAN run', sections=None):
    """Write OUT_DIR/index.html showing every PNG under OUT_DIR.

    ``sections``: optional [(heading, subfolder)]; by default one section per
    folder that holds PNGs. Returns the path and the number of pictures.
    """
    if sections is None:
        sections = []
        for folder, _, files in sorted(os.walk(out_dir)):
            if any(f.endswith('.png') for f in files):
                rel = os.path.relpath(folder, out_dir)
                sections.append((rel if rel != '.' else title, rel))
    parts = [f'<!doctype html><meta charset="utf-8"><title>{html.escape(title)}</title>',
             '<style>body{font-family:sans-serif;margin:2em;background:#fafafa}'
             'figure{display:inline-block;margin:0 1em 1.5em 0;vertical-align:top;'
             'max-width:100%}img{max-width:100%;image-rendering:pixelated;'
             'border:1px solid #ccc;background:#fff}figcaption{max-width:40em;'
             'font-size:90%;color:#333}</style>',
             f'<h1>{html.escape(title)}</h1>']
    count = 0
    for heading, rel in sections:
        folder = os.path.join(out_dir, rel)
        names = sorted((n for n in os.listdir(folder) if n.endswith('.png')), key=_order) \
            if os.path.isdir(folder) else []
        if not names:
            continue
        parts.append(f'<h2>{html.escape(heading)}</h2>')
        for name in names:
            src = html.escape(os.path.normpath(os.path.join(rel, name)).replace(os.sep, '/'))
            parts.append(f'<figure><img src="{src}" alt="{html.escape(name)}">'
                         f'<figcaption><b>{html.escape(name)}</b>: '
                         f'{html.escape(caption(name))}</figcaption></figure>')
            count += 1
    path = os.path.join(out_dir, 'index.html')
    with open(path, 'w') as f:
        f.write('\n'.join(parts) + '\n')
    return path, count


def main(argv=None):
    parser = argparse.ArgumentParser(description='Write index.html for a folder of pictures.')
    parser.add_argument('out_dir')
    parser.add_argument('--title', default='BEGAN run')
    parser.add_argument('--section', nargs=2, action='append', metavar=('HEADING', 'SUBDIR'),
                        help='a section of pictures (repeatable; default: every folder)')
    args = parser.parse_args(argv)
    path, count = write_index(args.out_dir, args.title, args.section)
    print(f'wrote {path} ({count} pictures)')


if __name__ == '__main__':
    main()
