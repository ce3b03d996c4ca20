"""run/demo: every argument and DEMO_* value is checked before anything is
trained or written, and the page is there to open as soon as part 1 ends."""
import os
import re
import subprocess

from conftest import ROOT, assert_one_line_error


def demo(*args, timeout=120, **env):
    return subprocess.run([os.path.join(ROOT, 'run', 'demo'), *map(str, args)],
                          capture_output=True, text=True, env=dict(os.environ, **env),
                          timeout=timeout)


def test_bad_arguments_and_values_are_one_line_naming_them(tmp_path):
    inputs = tmp_path / 'inputs'
    inputs.mkdir()
    (inputs / 'a_file').write_text('')
    out = tmp_path / 'out'
    whole_number = 'must be a whole number from 1 to 999999999, got'
    for args, env, fragments in [
            ([out, 'extra'], {}, ['takes one argument at most, OUT_DIR (got 2']),
            (['--fast'], {}, ['unknown option --fast']),
            ([inputs / 'a_file'], {}, ['cannot write to the output folder']),
            ([inputs], {}, ['holds other files and no earlier demo']),
            ([out], {'DEMO_COVER_EPOCHS': '0'}, ['DEMO_COVER_EPOCHS', whole_number, "'0'"]),
            ([out], {'DEMO_MIXTURE_UPDATES': '1e3'}, ['DEMO_MIXTURE_UPDATES', whole_number]),
            ([out], {'DEMO_FACE_SIZE': 'big'}, ['DEMO_FACE_SIZE', whole_number, "'big'"]),
            ([out], {'DEMO_FACE_EPOCHS': '0'}, ['DEMO_FACE_EPOCHS', whole_number]),
            ([out], {'DEMO_FACE_IMAGES': '-5'}, ['DEMO_FACE_IMAGES', whole_number, "'-5'"]),
            ([out], {'DEMO_FACE_COVER_EPOCHS': 'x'}, ['DEMO_FACE_COVER_EPOCHS', whole_number]),
            ([out], {'DEMO_COVER_EPOCHS': '1' + '0' * 20}, ['DEMO_COVER_EPOCHS', whole_number]),
            ([out], {'DEMO_PARTS': '3'}, ['DEMO_PARTS must be 1', "got '3'"]),
            # Values of the right form that the training would refuse.
            ([out], {'DEMO_FACE_SIZE': '40'}, ['DEMO_FACE_SIZE=40: ', 'multiple of 16'])]:
        line = assert_one_line_error(demo(*args, **env), 'error: run/demo: ', *fragments)
        assert line.startswith('error: run/demo: '), line
        assert not out.exists(), (args, env)
    assert sorted(os.listdir(inputs)) == ['a_file']  # a folder of other files is left alone
    result = demo('--help')
    assert result.returncode == 0 and 'Usage: run/demo [OUT_DIR]' in result.stdout


def test_page_is_there_when_part_one_ends(tmp_path):
    """DEMO_PARTS=1 stops where part 2 would start: index.html then shows
    part 1's sections, and the terminal said where to open it. An earlier
    demo's output is replaced, so no stale faces show."""
    out = tmp_path / 'demo'
    (out / 'faces' / 'plot').mkdir(parents=True)
    (out / 'faces' / 'plot' / 'samples.png').write_bytes(b'')
    (out / '.began-demo').write_text('')
    result = demo(out, timeout=600, DEMO_PARTS='1', DEMO_MIXTURE_UPDATES='10',
                  DEMO_COVER_EPOCHS='1')
    assert result.returncode == 0, result.stderr[-2000:]
    banners = re.findall(r'^== part (\d)/2 ', result.stdout, re.M)
    assert banners == ['1', '1'], result.stdout
    opened = re.findall(r'^page updated .*: open (.*)$', result.stdout, re.M)
    assert opened == [str(out / 'index.html')] * 2, result.stdout
    page = (out / 'index.html').read_text()
    headings = re.findall(r'<h2 id="s\d">\d\. ([^<]*)</h2>', page)
    assert headings == ['8 Gaussians', '8 Gaussians, --preset covering'], headings
    assert 'src="mixture/plot/compare.png"' in page
    assert not (out / 'faces').exists()
