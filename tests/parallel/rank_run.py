"""One process of a data-parallel test run (started by mpiexec): an
experiment's train.py main() with the given options, then this process's
training state (weights, Adam state, k_t, data order: the updater) written
to DUMP/rank_R.npz. FAULT makes process 1 fail: 'setup' (a DataError while
the networks are built) or N (a RuntimeError at iteration N); 'none' not.
FAULT 'sigint-in-agreement-N' sends every process a SIGINT of its own
while the processes agree whether to stop before update N + 1 (its handler
runs as the collective returns).

    mpiexec -n 2 python tests/parallel/rank_run.py DUMP FAULT SCRIPT [OPTIONS...]
"""
import os
import runpy
import signal
import sys

import began  # noqa: F401  (compat shims and thread limits first)
from began.training import launch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def inject(fault):
    if fault == 'setup':
        import began.nets
        from began.errors import DataError

        def failing_build(config):
            raise DataError('injected set-up failure')
        began.nets.build_models = failing_build
        return
    from began.updater import BeganUpdater
    original, at = BeganUpdater.update_core, int(fault)

    def failing_update(self):
        if self.iteration == at:
            raise RuntimeError(f'injected failure at iteration {at}')
        original(self)
    BeganUpdater.update_core = failing_update


def sigint_in_agreement(iteration):
    from began.training.parallel import Group
    original, calls = Group.agreed_signal, []

    def agreed_signal(self, signum):
        agreed = original(self, signum)
        calls.append(signum)
        if len(calls) == iteration + 1:
            signal.raise_signal(signal.SIGINT)
        return agreed
    Group.agreed_signal = agreed_signal


def main():
    dump, fault, script, *options = sys.argv[1:]
    rank = launch.world_rank()
    if fault.startswith('sigint-in-agreement-'):
        sigint_in_agreement(int(fault.rsplit('-', 1)[1]))
    elif rank == 1 and fault != 'none':
        inject(fault)
    trainer = runpy.run_path(os.path.join(ROOT, script))['main'](options)
    import chainer
    chainer.serializers.save_npz(os.path.join(dump, f'rank_{rank}.npz'), trainer.updater)


if __name__ == '__main__':
    main()
