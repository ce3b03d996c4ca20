"""The method's modules import downwards only: BEGAN's objective knows no
coverage term, and the coverage terms know no updater, so the import circle
the split removed cannot creep back."""
import ast
import pathlib

import pytest

BEGAN = pathlib.Path(__file__).resolve().parents[2] / 'began'


def imported_modules(path):
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f'{node.module}.{alias.name}' for alias in node.names)
    return names


@pytest.mark.parametrize('module, forbidden', [
    ('objective.py', ('began.coverage', 'began.updater', 'began.gradients')),
    ('coverage/terms.py', ('began.updater', 'began.coverage.step')),
    ('coverage/step.py', ('began.updater',)),
    ('gradients.py', ('began.updater', 'began.coverage')),
    ('pictures/html_index.py', ('began.cli',)),  # the scripts' plumbing is command_line's
])
def test_imports_go_down(module, forbidden):
    imported = imported_modules(BEGAN / module)
    assert not [name for name in imported if name.startswith(forbidden)], imported


def test_update_core_fits_on_one_screen():
    tree = ast.parse((BEGAN / 'updater.py').read_text())
    update_core = next(node for node in ast.walk(tree)
                       if isinstance(node, ast.FunctionDef) and node.name == 'update_core')
    assert update_core.end_lineno - update_core.lineno + 1 <= 50


@pytest.mark.parametrize('module', sorted(p.name for p in (BEGAN / 'coverage').glob('*.py')))
def test_the_coverage_terms_know_no_mpi(module):
    """A data-parallel run hands Coverage its gather (training/parallel.py)."""
    imported = imported_modules(BEGAN / 'coverage' / module)
    assert not [name for name in imported
                if name.startswith(('chainermn', 'mpi4py', 'began.training'))], imported


def test_the_gathered_terms_are_the_batch_coupled_ones():
    from began.config import fields_marked
    from began.coverage import Coverage
    assert set(Coverage.GATHERED) <= set(fields_marked('batch_coupled'))
