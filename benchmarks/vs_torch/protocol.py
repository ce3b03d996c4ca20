"""The line protocol between bench_vs_torch.py and its two workers.

The coordinator writes one JSON command a line to a worker's stdin and reads
one JSON answer a line back. A worker answers on the stdout it was started
with; anything else it prints (warnings, libraries' chatter) goes to stderr.
Commands every worker answers: steps, sgemm, peak, quit; a worker adds its
own (build, ...) as ``handlers``.
"""
import json
import os
import resource
import sys
import time


def serve(handlers, step):
    """Answer commands until 'quit'. ``step()`` runs one training step of
    the model built last (``handlers['build']`` sets it up)."""
    answers = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)  # stray prints must not break the protocol
    common = {
        'steps': lambda n: {'seconds': timed(step, n)},
        'peak': lambda: {'peak_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
        'quit': lambda: {},
    }
    for line in sys.stdin:
        request = json.loads(line)
        command = request.pop('cmd')
        answer = dict(common, **handlers)[command](**request)
        answers.write(json.dumps(answer) + '\n')
        answers.flush()
        if command == 'quit':
            return


def timed(step, n):
    """Seconds for n steps (each step ends with its losses read back)."""
    start = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - start


def sgemm_gflops(matmul, make, n=2048, repeats=5):
    """Best GFLOP/s of an n x n float32 matrix product."""
    a, b = make(n), make(n)
    matmul(a, b)
    best = min(timed(lambda: matmul(a, b), 1) for _ in range(repeats))
    return {'gflops': 2 * n ** 3 / best / 1e9}
