"""The MPI tests skip where mpiexec is missing, with the reason in the
summary, but under BEGAN_REQUIRE_MPI=1 (.ci/run) they fail instead."""
import pytest

import conftest


def test_missing_mpiexec_skips_with_its_reason(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, 'MPIEXEC', str(tmp_path / 'mpiexec'))
    monkeypatch.delenv('BEGAN_REQUIRE_MPI', raising=False)
    [mark] = conftest.mpi_marks()
    assert mark.name == 'skip' and mark.kwargs['reason'] == (
        f'no mpiexec next to this Python ({tmp_path / "mpiexec"}; run/_setup_venv '
        f'installs it: pip install mpi4py mpich)')


def test_missing_mpiexec_fails_where_mpi_is_required(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, 'MPIEXEC', str(tmp_path / 'mpiexec'))
    monkeypatch.setenv('BEGAN_REQUIRE_MPI', '1')
    with pytest.raises(pytest.fail.Exception) as failed:
        conftest.mpi_marks()
    assert str(failed.value).startswith('BEGAN_REQUIRE_MPI=1, but no mpiexec next to')


def test_present_mpiexec_runs_the_tests(monkeypatch, tmp_path):
    (tmp_path / 'mpiexec').write_text('')
    monkeypatch.setattr(conftest, 'MPIEXEC', str(tmp_path / 'mpiexec'))
    monkeypatch.setenv('BEGAN_REQUIRE_MPI', '1')
    assert conftest.mpi_marks() == []
