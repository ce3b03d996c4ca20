"""Run an experiment's script as ``python SCRIPT ARGS...`` would, noting each
update's losses and time (benchmarks/gpu_check.py runs every train.py so).

    python benchmarks/recorded_run.py RECORD.json [--host-random] SCRIPT [ARGS...]

RECORD.json gets {"updates": [[iteration, start_s, update_s, loss_real,
loss_fake, loss_d, loss_g], ...], "host_random_calls": N, "gpu_pool_mib": M}:
start_s from the first update's start, update_s the update alone (it ends by
reading its losses back from the device, so it has finished there), M what
CuPy's memory pool holds at the end. Nothing of the run changes, except with
--host-random: the updater's z and D's input noise are then drawn with NumPy
on the host, as a CPU run draws them, and sent to the device (N counts those
draws), so that a GPU run can be compared with a CPU run of the same seed
update by update.
"""
import json
import os
import runpy
import sys
import time

import began  # noqa: F401  (began.compat runs before chainer is imported)

import chainer
import numpy

import began.updater
from began.rng import derive_seed


LOSSES = ('loss_real', 'loss_fake', 'loss_d', 'loss_g')


class HostRandomState:
    """A CPU run's draws, numpy.random.RandomState(seed), sent to ``xp``'s device."""

    def __init__(self, seed, xp):
        self.rs, self.xp = numpy.random.RandomState(seed), xp

    def uniform(self, *args, **kwargs):
        return self.xp.asarray(self.rs.uniform(*args, **kwargs))

    def normal(self, *args, **kwargs):
        return self.xp.asarray(self.rs.normal(*args, **kwargs))


def host_random_state(xp, seed, stream, *keys):
    host_random_state.calls += 1
    return HostRandomState(derive_seed(seed, stream, *keys), xp)


host_random_state.calls = 0


def record_updates(records):
    """Wrap BeganUpdater.update_core so that each update appends its row."""
    update_core = began.updater.BeganUpdater.update_core
    origin = []

    def recorded(self):
        start = time.perf_counter()
        update_core(self)
        seconds = time.perf_counter() - start
        if not origin:
            origin.append(start)
        observation = chainer.reporter.get_current_reporter().observation
        records.append([self.iteration + 1, start - origin[0], seconds]
                       + [float(observation[k]) for k in LOSSES])
    began.updater.BeganUpdater.update_core = recorded


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    record, argv = argv[0], argv[1:]
    if argv[0] == '--host-random':
        began.updater.random_state = host_random_state
        argv = argv[1:]
    records = []
    record_updates(records)
    script = os.path.abspath(argv[0])
    sys.argv = [script, *argv[1:]]
    sys.path[0] = os.path.dirname(script)
    try:
        runpy.run_path(script, run_name='__main__')
    finally:
        with open(record, 'w') as f:
            json.dump({'updates': records, 'host_random_calls': host_random_state.calls,
                       'gpu_pool_mib': gpu_pool_mib()}, f)


def gpu_pool_mib():
    """What CuPy's memory pool holds at the end (None without CuPy)."""
    cupy = sys.modules.get('cupy')
    if cupy is None or not chainer.backends.cuda.available:
        return None
    return round(cupy.get_default_memory_pool().total_bytes() / 2 ** 20, 1)


if __name__ == '__main__':
    main(sys.argv[1:])
