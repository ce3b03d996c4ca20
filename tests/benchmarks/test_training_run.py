"""A benchmark stopped with Ctrl-C lets its training write its snapshot
(benchmarks/training_run.py), as train.py does when stopped by itself."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import ROOT

# A stand-in for train.py: the first signal ends it after its "update" with a
# "snapshot", a second ends it at once without one (train.py's rule).
TRAINING = textwrap.dedent('''
    import os, signal, sys, time
    stops = []
    signal.signal(signal.SIGINT, lambda s, f: stops.append(s))
    signal.signal(signal.SIGTERM, lambda s, f: stops.append(s))
    open(sys.argv[1] + '/ready', 'w').close()
    end = time.time() + 60   # (never outlives a failed test for long)
    while not stops and time.time() < end:
        time.sleep(0.01)
    end = time.time() + float(sys.argv[2])   # the update in progress
    while len(stops) < 2 and time.time() < end:
        time.sleep(0.01)
    if len(stops) > 1:   # a second signal came during it
        os._exit(1)
    with open(sys.argv[1] + '/snapshot', 'w') as f:
        f.write(signal.Signals(stops[0]).name)
    sys.exit(128 + stops[0])
''')

BENCHMARK = textwrap.dedent('''
    import sys
    sys.path.insert(0, {benchmarks!r})
    from training_run import run_training
    with open(sys.argv[1] + '/train.out', 'a') as out:
        status = run_training([sys.executable, sys.argv[1] + '/training.py', *sys.argv[1:]], out)
    print('finished', status)
''')


def start(tmp_path, update_seconds=0.5):
    (tmp_path / 'training.py').write_text(TRAINING)
    (tmp_path / 'benchmark.py').write_text(
        BENCHMARK.format(benchmarks=os.path.join(ROOT, 'benchmarks')))
    benchmark = subprocess.Popen([sys.executable, str(tmp_path / 'benchmark.py'), str(tmp_path),
                                  str(update_seconds)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)   # its own group, as in a terminal
    end = time.time() + 60
    while not (tmp_path / 'ready').exists():
        assert time.time() < end and benchmark.poll() is None, benchmark.communicate()
        time.sleep(0.02)
    return benchmark


@pytest.mark.parametrize('signum, whom', [
    (signal.SIGINT, 'group'),    # Ctrl-C at the terminal: the benchmark's whole group
    (signal.SIGINT, 'process'),  # kill -INT of the benchmark alone
    (signal.SIGTERM, 'process'),
])
def test_a_stopped_benchmark_waits_for_its_trainings_snapshot(tmp_path, signum, whom):
    benchmark = start(tmp_path)
    if whom == 'group':
        os.killpg(benchmark.pid, signum)
    else:
        benchmark.send_signal(signum)
    out, err = benchmark.communicate(timeout=60)
    # the training got the signal once (a second would have stopped it at once)
    assert (tmp_path / 'snapshot').read_text() == signal.Signals(signum).name
    assert benchmark.returncode == 1 and 'finished' not in out
    assert err.count('\n') == 1, err
    assert err.startswith(f'stopped by {signal.Signals(signum).name}: ')
    assert f'status {128 + signum}' in err and 'the same command continues it' in err


def test_a_second_stop_ends_the_training_at_once(tmp_path):
    benchmark = start(tmp_path, update_seconds=30)   # (ended by the second stop)
    benchmark.send_signal(signal.SIGINT)
    time.sleep(0.1)
    benchmark.send_signal(signal.SIGINT)
    out, err = benchmark.communicate(timeout=60)
    assert not (tmp_path / 'snapshot').exists()
    assert benchmark.returncode == 1 and 'status 1 ' in err


def test_an_unstopped_training_gives_its_status(tmp_path):
    (tmp_path / 'training.py').write_text('import sys; print("trained"); sys.exit(3)')
    (tmp_path / 'benchmark.py').write_text(
        BENCHMARK.format(benchmarks=os.path.join(ROOT, 'benchmarks')))
    result = subprocess.run([sys.executable, str(tmp_path / 'benchmark.py'), str(tmp_path), '0'],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout == 'finished 3\n' and result.returncode == 0
    assert (tmp_path / 'train.out').read_text() == 'trained\n'


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='PR_SET_PDEATHSIG is Linux')
def test_a_killed_benchmark_stops_its_training_with_a_snapshot(tmp_path):
    benchmark = start(tmp_path)
    benchmark.kill()   # SIGKILL: the benchmark cannot pass anything on
    benchmark.communicate(timeout=60)
    end = time.time() + 60
    while not (tmp_path / 'snapshot').exists():
        assert time.time() < end, 'the training did not stop'
        time.sleep(0.05)
    assert (tmp_path / 'snapshot').read_text() == 'SIGINT'
