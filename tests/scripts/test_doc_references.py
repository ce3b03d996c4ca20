"""Every test the documents name exists: a renamed or removed test must not
leave a promise in the docs pointing at nothing."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r'(tests/[\w/]+\.py)(?:::(\w+))?')


def documents():
    return [ROOT / 'README.md', ROOT / 'ARCHITECTURE.md',
            *sorted((ROOT / 'docs').glob('*.md')),
            *sorted((ROOT / 'benchmarks').rglob('*.md'))]


def test_every_test_the_docs_name_exists():
    missing, named = [], 0
    for document in documents():
        for path, name in REFERENCE.findall(document.read_text(encoding='utf-8')):
            named += 1
            where = f'{document.relative_to(ROOT)}: {path}' + (f'::{name}' if name else '')
            test_file = ROOT / path
            if not test_file.is_file():
                missing.append(where)
            elif name and not re.search(rf'^def {name}\(', test_file.read_text(encoding='utf-8'),
                                        re.MULTILINE):
                missing.append(where)
    assert named > 20   # the docs do name their tests
    assert not missing, missing
