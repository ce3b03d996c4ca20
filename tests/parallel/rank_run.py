"""One process of a data-parallel test run (started by mpiexec): an
experiment's train.py main() with the given options, then this process's
training state (weights, Adam state, k_t, data order: the updater) written
to DUMP/rank_R.npz. FAULT makes process 1 fail: 'setup' (a DataError while
the networks are built) or N (a RuntimeError at iteration N); 'none' not.

    mpiexec -n 2 python tests/parallel/rank_run.py DUMP FAULT SCRIPT [OPTIONS...]
"""
import os
import runpy
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


def main():
    dump, fault, script, *options = sys.argv[1:]
    rank = launch.world_rank()
    if rank == 1 and fault != 'none':
        inject(fault)
    trainer = runpy.run_path(os.path.join(ROOT, script))['main'](options)
    import chainer
    chainer.serializers.save_npz(os.path.join(dump, f'rank_{rank}.npz'), trainer.updater)


if __name__ == '__main__':
    main()
