"""Data-parallel training on ChainerMN: N processes started by mpiexec train
one model, and do the maths of one process with the whole batch. Everything
MPI is here; ``launch.data_parallel()`` is the switch, ``start()`` the entry.

- Data: every process runs the one-process iterator (same order, same
  state, so snapshots are those of one process) and keeps its share of each
  batch, rows r*b to (r+1)*b of --batch-size = N*b; the step's z and input
  noise are drawn for the whole batch and shared out the same way.
- Gradients are averaged over the processes by ChainerMN's multi-node
  optimizer before each Adam step (and its gradient clipping), and the
  step's losses too, so every process holds the same k_t and weights.
- Batch norm is synchronised over the processes, with the running
  statistics one process would keep.
- Only process 0 writes (pictures, log, snapshots, the model directory) and
  prints; the others are silent unless they fail.
- A failure anywhere ends every process with one message: during set-up
  the processes agree on it; during training an error of all of them (a
  guard's stop) ends each cleanly, and any other one ends the job at once.

CPU processes use the 'naive' communicator, GPU processes (--gpu N: device
N + the process's rank on its machine, or N where a scheduler gives each
process one device) the NCCL one ('pure_nccl').
"""
import contextlib
import os
import sys
import time
import traceback
import warnings

import chainer
import chainer.links as L
import chainermn  # pure Python; MPI itself (mpi4py) loads only in a Group
import numpy
from chainer.functions.normalization import batch_normalization
from chainermn.functions.batch_normalization import MultiNodeBNImplSelector
from chainermn.links import MultiNodeBatchNormalization

from began.coverage.step import Coverage
from began.errors import BeganError, ConfigError
from began.training import launch
from began.updater import BeganUpdater

#: Seconds a process other than 0 waits before reporting an unexpected error,
#: so that an error every process meets is reported once, by process 0.
REPORT_DELAY = 1.0


def start():
    """The processes of this run: a Group when mpiexec started several,
    else Solo (everything as in a plain one-process run)."""
    return Group() if launch.data_parallel() else Solo()


class Solo:
    """One process: the Group interface, changing nothing."""
    rank, size, is_root = 0, 1, True

    def agreement(self):
        return contextlib.nullcontext()

    def failure_ends_all(self):
        return contextlib.nullcontext()

    def root_first(self, make, *args):
        return make(*args)

    def device_id(self, gpu):
        return gpu

    def connect(self, device, config):
        pass

    def synchronise(self, *links):
        return links

    def updater(self, *args, **kwargs):
        return BeganUpdater(*args, **kwargs)

    def agreed_signal(self, signum):
        return signum

    def agreed_failure(self, failure):
        return failure

    def begin(self, trainer):
        pass


class AgreedFailure(BeganError):
    """Another process failed during set-up; this one stops with it."""


class Group:
    """This process's place among the N that train one model."""

    def __init__(self):
        if launch.world_rank() != 0:  # process 0 speaks for all; errors use sys.__stderr__
            sys.stdout = sys.stderr = open(os.devnull, 'w')
        try:
            with launch.signals_kill_at_once():
                from mpi4py import MPI
        except ImportError:
            raise ConfigError(f'mpiexec started {launch.world_size()} processes, but mpi4py '
                              f'is not installed: pip install mpi4py mpich') from None
        self.MPI, world = MPI, MPI.COMM_WORLD
        self.rank, self.size = world.Get_rank(), world.Get_size()
        if (self.rank, self.size) != (launch.world_rank(), launch.world_size()):
            raise ConfigError(f'mpiexec started {launch.world_size()} processes, but to '
                              f'mpi4py\'s MPI this is process {self.rank} of {self.size}: use '
                              f'the mpiexec of the MPI mpi4py uses (pip install mpi4py mpich '
                              f'installs both)')
        self.is_root = self.rank == 0
        machine = world.Split_type(MPI.COMM_TYPE_SHARED)
        self.local_rank, self.local_size = machine.Get_rank(), machine.Get_size()
        machine.Free()
        self.agreements = world.Dup()   # set-up outcomes, apart from training's traffic
        self.world, self.comm = world, None

    # --- set-up: one outcome for all processes ---------------------------

    def agreement(self):
        """A block every process runs to its end, failing or not; there they
        compare outcomes, and when any failed every one raises (process 0
        with the lowest failing process's message). A collective operation
        may only open a block (or be an inner agreement): a process that
        failed earlier in the block skips the rest, and must not leave the
        others waiting in a collective."""
        return _Agreement(self)

    def root_first(self, make, *args):
        """make(*args) in process 0, then in the others: process 0 may write
        a cache (decoded images) that the others then read."""
        with self.agreement():
            if self.is_root:
                made = make(*args)
        return made if self.is_root else make(*args)

    def device_id(self, gpu):
        """--gpu N: device N + this process's rank on its machine, or N
        where each process sees one device (device.rank_device)."""
        from began.device import rank_device, visible_device_count
        if gpu is None or gpu < 0:
            return gpu
        return rank_device(gpu, self.local_rank, self.local_size, visible_device_count())

    def connect(self, device, config):
        """The ChainerMN communicator for this device. Collective: the first
        thing in an agreement block, so that every process reaches it."""
        batch_size = config.batch_size
        name = 'naive' if device.xp is numpy else 'pure_nccl'
        try:
            self.comm = chainermn.create_communicator(name, mpi_comm=self.world.Dup())
        except (RuntimeError, ImportError, OSError) as e:  # CuPy cannot load NCCL
            from began.device import nccl_missing
            raise nccl_missing(self.size, e) from None
        if batch_size % self.size:
            raise ConfigError(f'--batch-size {batch_size} does not split evenly over '
                              f'{self.size} processes; use a multiple of {self.size}')
        ungathered = [n for n in config.batch_coupled_terms() if n not in Coverage.GATHERED]
        if ungathered:
            # Each process would compute them on its share of the batch alone:
            # other maths than one process's, so refused rather than approximated.
            raise ConfigError(f"{', '.join('--' + n.replace('_', '-') for n in ungathered)} "
                              f'compare samples across the batch and run in one process '
                              f'only, not under mpiexec with {self.size}')
        if config.mmd > 0 and config.mmd_batch % self.size:
            raise ConfigError(f'--mmd-batch {config.mmd_batch} does not split evenly over '
                              f'{self.size} processes (each makes its share of the MMD\'s '
                              f'fakes); use a multiple of {self.size}')

    def synchronise(self, *links):
        """The links with every batch normalisation synchronised."""
        for link in links:
            _synchronise_batch_norm(link, self.comm)
        return links

    def updater(self, iterator, gen_optimizer, dis_optimizer, config, device=None):
        return DataParallelUpdater(self, iterator, gen_optimizer, dis_optimizer, config,
                                   device=device)

    # --- training ---------------------------------------------------------

    def begin(self, trainer):
        """Process 0's weights and k_t everywhere before the first step. The
        multi-node optimizers' first update() only broadcasts the weights:
        done here, so every update of the training loop is a step."""
        updater = trainer.updater
        for name in ('gen', 'dis'):
            updater.get_optimizer(name).update()
        updater.k = self.comm.mpi_comm.bcast(updater.k, root=0)

    def agreed_signal(self, signum):
        """A stop request (Ctrl-C, SIGTERM) of any process, in every
        process: all stop after the same update."""
        agreed = self.comm.mpi_comm.allreduce(signum or 0, op=self.MPI.MAX)
        return agreed or None

    def agreed_failure(self, failure):
        """A failure of any process (process 0's failed write, say) in every
        process, the lowest one's: all stop after the same update."""
        if not self.comm.mpi_comm.allreduce(failure is not None, op=self.MPI.LOR):
            return None
        return next(f for f in self.comm.mpi_comm.allgather(failure) if f is not None)

    def mean(self, values):
        """Each of the floats ``values`` averaged over the processes."""
        names = list(values)  # the same order in every process
        buffer = numpy.array([values[name] for name in names], numpy.float64)
        self.comm.mpi_comm.Allreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM)
        return dict(zip(names, (buffer / self.size).tolist()))

    @contextlib.contextmanager
    def failure_ends_all(self):
        """Training: a BeganError (a guard's stop, met by every process at
        the same update) ends each process as usual; any other error may be
        this process's alone while the others wait in a collective, so it is
        reported here and the whole job ends at once (a process that exits
        without finalising MPI makes mpiexec stop the others)."""
        try:
            yield
        except (BeganError, SystemExit):
            raise
        except BaseException as error:  # noqa: B036 (Ctrl-C too)
            if not self.is_root:
                time.sleep(REPORT_DELAY)
            out = sys.__stderr__
            if not isinstance(error, KeyboardInterrupt):
                traceback.print_exception(error, file=out)
            out.write(f'error: process {self.rank} of {self.size}: {_describe(error)}; '
                      f'stopping all processes (snapshots already written are kept)\n')
            out.flush()
            sys.stdout.flush()
            os._exit(130 if isinstance(error, KeyboardInterrupt) else 1)


class _Agreement:
    def __init__(self, group):
        self.group = group

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if getattr(error, 'agreed', False):  # an inner agreement's: compared already
            return False
        mine = None if error is None else _describe(error)
        if error is not None and not isinstance(error, (BeganError, SystemExit,
                                                         KeyboardInterrupt)):
            if not self.group.is_root:  # process 0's own traceback goes to its stderr
                traceback.print_exception(error, file=sys.__stderr__)
        outcomes = self.group.agreements.allgather(mine)
        failed = [(rank, text) for rank, text in enumerate(outcomes) if text is not None]
        if error is not None:
            error.agreed = True
            return False  # this process's own error goes on
        if failed:
            rank, text = failed[0]
            failure = AgreedFailure(f'process {rank} of {self.group.size}: {text}')
            failure.agreed = True
            raise failure


def _describe(error):
    """One line saying what went wrong."""
    if isinstance(error, BeganError):
        return str(error)
    if isinstance(error, SystemExit):
        return f'exited with status {error.code}'
    if isinstance(error, KeyboardInterrupt):
        return 'interrupted'
    lines = str(error).strip().splitlines()
    return f'{type(error).__name__}: {lines[0]}' if lines else type(error).__name__


# --- the step ---------------------------------------------------------------

class DataParallelUpdater(BeganUpdater):
    """BeganUpdater on this process's share of each batch; gradients and
    the step's losses averaged over the processes."""

    def __init__(self, group, iterator, gen_optimizer, dis_optimizer, config, device=None):
        self.group = group
        super().__init__(
            BatchShare(iterator, group.rank, group.size),
            chainermn.create_multi_node_optimizer(gen_optimizer, group.comm),
            chainermn.create_multi_node_optimizer(dis_optimizer, group.comm),
            config, device=device)
        self.coverage = Coverage(config, ProcessParts(group.comm))

    def step_random_state(self, xp):
        return DrawShare(super().step_random_state(xp), self.group.rank, self.group.size)

    def whole_batch(self, values):
        """Means of equal shares' means: the whole batch's means. (h_std is
        the processes' mean std of their shares: close to, not equal to,
        the whole batch's.)"""
        return self.group.mean(values)


class BatchShare(chainer.dataset.Iterator):
    """An iterator of whole batches, of which this process keeps its share.
    Its state is the whole iterator's, so a snapshot resumes with any
    number of processes."""

    def __init__(self, iterator, rank, size):
        self.iterator, self.rank, self.size = iterator, rank, size

    def __next__(self):
        batch = self.iterator.next()
        share = len(batch) // self.size
        return batch[self.rank * share:(self.rank + 1) * share]

    next = __next__

    def finalize(self):
        self.iterator.finalize()

    def serialize(self, serializer):
        self.iterator.serialize(serializer)

    def __getattr__(self, name):  # epoch, is_new_epoch, dataset, batch_size...
        if name == 'iterator':
            raise AttributeError(name)
        return getattr(self.iterator, name)


class DrawShare:
    """A step's RandomState whose draws are made for the whole batch (the
    same numbers one process draws) and shared out by rows."""
    DRAWS = ('uniform', 'normal', 'randint')

    def __init__(self, random_state, rank, size):
        self.random_state, self.rank, self.size = random_state, rank, size

    def __getattr__(self, name):
        if name not in self.DRAWS:
            raise AttributeError(f'DrawShare has no whole-batch {name}(); add it to '
                                 f'DrawShare.DRAWS if its size is batch-first')
        draw = getattr(self.random_state, name)

        def share(a, b, size):
            size = (size,) if numpy.ndim(size) == 0 else tuple(size)
            rows = size[0]
            whole = draw(a, b, (rows * self.size,) + size[1:])
            return whole[self.rank * rows:(self.rank + 1) * rows]
        return share


class ProcessParts:
    """The coverage terms' view of the batch across the processes
    (began/coverage/step.py's ``parts``): every process gathers the shares
    and computes a term on the whole batch, as one process would.

    No gradient scaling: ChainerMN's allgather sums, in its backward pass,
    the gradients every process computed for this share, so this share gets
    N times the gradient of a term every process computes alike; the
    multi-node optimizer's mean over the N processes then gives, for each
    weight, the sum over the shares, which is one process's gradient."""

    def __init__(self, comm):
        self.comm, self.count, self.rank = comm, comm.size, comm.rank

    def gather(self, v):
        """The whole batch in process order; a Variable's gradient flows
        back to this process's share."""
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)  # "experimental"
            if isinstance(v, chainer.Variable):
                return chainer.functions.concat(chainermn.functions.allgather(self.comm, v),
                                                axis=0)
            xp = chainer.backend.get_array_module(v)
            return xp.concatenate(self.comm.allgather(xp.ascontiguousarray(v)))

    def share(self, a):
        """This process's rows of a whole-batch array."""
        rows = len(a) // self.count
        return a[self.rank * rows:(self.rank + 1) * rows]

    @staticmethod
    def whole_draws(rs):
        """The random state behind the step's DrawShare: every process
        draws from it alike, as one process would."""
        return rs.random_state


# --- batch normalisation -----------------------------------------------------

def _synchronise_batch_norm(link, comm):
    """Replace each BatchNormalization under ``link`` by a
    SyncBatchNormalization holding the same parameters and statistics."""
    for child in list(link.children()):
        if not isinstance(child, L.BatchNormalization):
            _synchronise_batch_norm(child, comm)
        elif isinstance(link, chainer.ChainList):
            link[int(child.name)] = SyncBatchNormalization.replacing(child, comm)
        else:
            delattr(link, child.name)
            with link.init_scope():
                setattr(link, child.name, SyncBatchNormalization.replacing(child, comm))


class SyncBatchNormalization(MultiNodeBatchNormalization):
    """ChainerMN's batch normalisation over the whole batch of all
    processes, keeping the running statistics of one process: ChainerMN's
    running variance starts at 0 (Chainer's at 1) and its unbiasing uses
    this process's sample count; here the statistics start as the replaced
    link's and are unbiased with the whole batch's count. Parameter and
    statistic names are Chainer's, so snapshots move between the two."""

    @classmethod
    def replacing(cls, bn, comm):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)  # "experimental"
            new = cls(bn.avg_mean.shape, comm, decay=bn.decay, eps=bn.eps,
                      dtype=bn.avg_mean.dtype)
        new.gamma.array[...] = bn.gamma.array
        new.beta.array[...] = bn.beta.array
        new.avg_mean[...] = bn.avg_mean
        new.avg_var[...] = bn.avg_var
        new.N = bn.N
        return new

    def __call__(self, x, finetune=False):
        if finetune or not chainer.config.train:
            return super().__call__(x, finetune)
        function = batch_normalization.BatchNormalization(
            self.eps, None, None, self.decay,  # no running statistics: below
            impl_selector=MultiNodeBNImplSelector(self.comm, self._communication_backend))
        y, = function.apply((x, self.gamma, self.beta))
        m = x.size // self.gamma.size * self.comm.size
        adjust = m / max(m - 1., 1.)  # unbiased, as chainer.functions.batch_normalization
        self.avg_mean *= self.decay
        self.avg_mean += (1 - self.decay) * function.mean
        self.avg_var *= self.decay
        self.avg_var += (1 - self.decay) * adjust * function.var
        return y
