"""Whether this process is one of several that mpiexec started: the switch
that turns on data-parallel training (``parallel.py``), read from the
variables MPI launchers set, before NumPy or MPI is loaded.

    python train.py ...                # one process, as always
    mpiexec -n 2 python train.py ...   # one model trained by 2 processes
"""
import contextlib
import os
import signal

# World size and processes on this machine, as MPICH/Intel MPI (Hydra), Open
# MPI and MVAPICH set them for every process they start.
SIZE_VARIABLES = ('PMI_SIZE', 'OMPI_COMM_WORLD_SIZE', 'MV2_COMM_WORLD_SIZE')
RANK_VARIABLES = ('PMI_RANK', 'OMPI_COMM_WORLD_RANK', 'MV2_COMM_WORLD_RANK')
LOCAL_SIZE_VARIABLES = ('MPI_LOCALNRANKS', 'OMPI_COMM_WORLD_LOCAL_SIZE',
                        'MV2_COMM_WORLD_LOCAL_SIZE')
THREAD_VARIABLES = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')


def _first_int(names, default):
    for name in names:
        try:
            return int(os.environ[name])
        except (KeyError, ValueError):
            continue
    return default


def world_size():
    """How many processes mpiexec started (1 when not under mpiexec)."""
    return max(1, _first_int(SIZE_VARIABLES, 1))


def world_rank():
    """This process's number among them (0 when not under mpiexec)."""
    return max(0, _first_int(RANK_VARIABLES, 0))


def data_parallel():
    """The switch: several processes train one model."""
    return world_size() > 1


def limit_cpu_threads():
    """Share this machine's cores among its processes: each gets
    cores // processes BLAS/OpenMP threads, unless the user set them:
    without the limit, each process's BLAS threads compete for the same
    cores (benchmarks/results/design_measurements.md). It must run before
    NumPy loads OpenBLAS, so ``began/__init__.py`` calls it."""
    if not data_parallel():
        return
    local = max(1, _first_int(LOCAL_SIZE_VARIABLES, world_size()))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(max(1, cores // local)))


def interrupt_ends_at_once():
    """Under mpiexec, from start-up until the training loop's own clean stop
    takes over (trainer.run): Ctrl-C or SIGTERM ends this process at once,
    with one line from process 0. A Python exit would finalise MPI, which
    waits for the processes still in a collective: forever, when they wait
    for this one. A process that ends without finalising makes mpiexec end
    the others."""
    if data_parallel():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _end_at_once)


def _end_at_once(signum, frame):
    if world_rank() == 0:  # os.write: a print here could interrupt another print
        os.write(2, b'error: interrupted (snapshots already written are kept)\n')
    os._exit(128 + signum)


@contextlib.contextmanager
def signals_kill_at_once():
    """While MPI starts (MPI_Init, inside mpi4py's import): Ctrl-C or
    SIGTERM kills this process by the signal's default action. A Python
    handler runs only when C code returns to the interpreter, and MPI_Init
    spins until every process has joined: for ever, when another process
    already ended on the same Ctrl-C (seen under load: one process in
    PMPI_Init_thread, mpiexec waiting on it)."""
    if not data_parallel():
        yield
        return
    handlers = {signum: signal.signal(signum, signal.SIG_DFL)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
