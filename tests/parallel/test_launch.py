"""The switch (training/launch.py): on only when mpiexec started several
processes; each process then gets its share of the machine's cores."""
import os
import signal

import pytest

from began.training import launch

LAUNCHERS = launch.SIZE_VARIABLES + launch.RANK_VARIABLES + launch.LOCAL_SIZE_VARIABLES


@pytest.fixture
def environ(monkeypatch):
    saved = dict(os.environ)  # limit_cpu_threads sets variables monkeypatch does not see
    for name in LAUNCHERS + launch.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    os.environ.clear()
    os.environ.update(saved)


def test_plain_python_and_one_process_are_not_data_parallel(environ):
    assert launch.world_size() == 1 and not launch.data_parallel()
    environ.setenv('PMI_SIZE', '1')  # mpiexec -n 1
    assert not launch.data_parallel()
    launch.limit_cpu_threads()
    assert not any(name in os.environ for name in launch.THREAD_VARIABLES)


@pytest.mark.parametrize('size, rank, local', [('PMI_SIZE', 'PMI_RANK', 'MPI_LOCALNRANKS'),
                                               ('OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_RANK',
                                                'OMPI_COMM_WORLD_LOCAL_SIZE')])
def test_under_mpiexec_each_process_gets_its_share_of_the_cores(environ, size, rank, local):
    environ.setenv(size, '4')
    environ.setenv(rank, '3')
    environ.setenv(local, '2')  # 2 of the 4 processes on this machine
    environ.setenv('OMP_NUM_THREADS', '7')  # the user's choice stands
    assert launch.data_parallel() and launch.world_size() == 4 and launch.world_rank() == 3
    launch.limit_cpu_threads()
    share = str(max(1, len(os.sched_getaffinity(0)) // 2))
    assert os.environ['OPENBLAS_NUM_THREADS'] == os.environ['MKL_NUM_THREADS'] == share
    assert os.environ['OMP_NUM_THREADS'] == '7'


def test_a_signal_while_mpi_starts_kills_at_once(environ):
    """In mpi4py's import (MPI_Init, which spins in C until every process
    joins) a Ctrl-C or SIGTERM takes its default action; before and after,
    the Python handler that ends the process with one line is back."""
    environ.setenv('PMI_SIZE', '2')
    launch.interrupt_ends_at_once()
    try:
        ours = signal.getsignal(signal.SIGINT)
        assert ours is launch._end_at_once
        with launch.signals_kill_at_once():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is ours
        assert signal.getsignal(signal.SIGTERM) is ours
        environ.setenv('PMI_SIZE', '1')   # one process: nothing changes
        with launch.signals_kill_at_once():
            assert signal.getsignal(signal.SIGINT) is ours
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_mpi_starts_inside_signals_kill_at_once():
    """Group imports mpi4py (which starts MPI) inside the context."""
    import inspect
    from began.training import parallel
    source = inspect.getsource(parallel.Group.__init__)
    assert 'with launch.signals_kill_at_once():\n                from mpi4py import MPI' in source
