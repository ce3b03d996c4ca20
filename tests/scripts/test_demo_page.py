"""run/demo's page shows every plot folder the demo writes. The demo runs
as it is, with its page assembly, but each training, plot, analogy and
compare script is a stand-in that writes one small picture where the real
one would write its pictures (and an empty log), and notes the folder: a
whole demo in seconds."""
import os
import re
import subprocess
import sys

from conftest import ROOT

# The stand-in python of the demo's venv: the project's scripts write a
# picture into their --plot-dir / --out (noted in $DEMO_STANDIN_NOTES);
# anything else (python -, python -m ...) is the real Python.
STANDIN = '''#!/bin/sh
case "$1" in
  train_gaussian_mixture/*.py|train_animeface/*.py) exec "{python}" "{fake}" "$@" ;;
  *) exec "{python}" "$@" ;;
esac
'''
FAKE_SCRIPT = '''import os, sys
from PIL import Image
args = sys.argv[2:]
def value(option):
    return args[args.index(option) + 1] if option in args else None
if value('--model-dir') and sys.argv[1].endswith('train.py'):
    os.makedirs(value('--model-dir'), exist_ok=True)
    with open(os.path.join(value('--model-dir'), 'log'), 'w') as f:
        f.write('[]')
for option in ('--plot-dir', '--out'):
    path = value(option)
    if path:
        if path.endswith('.png'):
            folder, name = os.path.dirname(path), os.path.basename(path)
        else:
            folder, name = path, os.path.basename(sys.argv[1]).replace('.py', '_stand_in.png')
        os.makedirs(folder, exist_ok=True)
        Image.new('RGB', (4, 4)).save(os.path.join(folder, name))
        with open(os.environ['DEMO_STANDIN_NOTES'], 'a') as f:
            f.write(os.path.abspath(folder) + '\\n')
'''


def standin_venv(tmp_path):
    """A venv folder whose python is the stand-in, marked as set up (the
    stamp run/_setup_venv checks) so the demo uses it as it is."""
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True)
    fake = tmp_path / 'fake_script.py'
    fake.write_text(FAKE_SCRIPT)
    python = venv / 'bin' / 'python'
    python.write_text(STANDIN.format(python=sys.executable, fake=fake))
    python.chmod(0o755)
    recipe = subprocess.run([os.path.join(ROOT, 'run', '_setup_venv'), '--recipe'],
                            capture_output=True, text=True, check=True).stdout
    (venv / '.began-installed').write_text(recipe)
    return venv


def test_every_plot_folder_the_demo_writes_is_on_its_page(tmp_path):
    out, notes = tmp_path / 'demo', tmp_path / 'notes'
    result = subprocess.run(
        [os.path.join(ROOT, 'run', 'demo'), str(out)], capture_output=True, text=True,
        timeout=300, env=dict(os.environ, BEGAN_VENV=str(standin_venv(tmp_path)),
                              DEMO_STANDIN_NOTES=str(notes)))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'setting up' not in result.stderr, result.stderr[-3000:]  # the stand-in as it is
    folders = {os.path.relpath(line, out) for line in notes.read_text().split()}
    assert {'mixture/plot', 'mixture_covering/plot', 'faces/plot',
            'faces_covering/plot'} <= folders, folders
    page = (out / 'index.html').read_text()
    headings = re.findall(r'<h2 id="s\d">\d\. ([^<]*)</h2>', page)
    assert headings == ['8 Gaussians', '8 Gaussians, --preset covering', 'Toy anime faces',
                        'Toy anime faces, --preset covering'], headings
    sources = re.findall(r'<img src="([^"]+)"', page)
    # Each compare.png (the post's run beside the covering one) is on the page.
    assert {'mixture/plot/compare.png', 'faces_covering/plot/compare.png'} <= set(sources)
    for folder in folders:
        assert any(src.startswith(folder + '/') for src in sources), (folder, sources)
