"""The suite's own clean-up: a test that times out or a pytest that is
killed leaves no process running."""
import os
import subprocess
import sys
import time

from conftest import SPIN_WHILE_PARENT_LIVES, kill_tree

# A child that starts a grandchild in a session of its own (as mpiexec
# starts hydra_pmi_proxy), prints its pid and waits.
TREE = """
import subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],
                              stdout=subprocess.DEVNULL,
                              start_new_session=True)
print(grandchild.pid, flush=True)
time.sleep(60)
"""


def alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def ended_within(pid, seconds):
    end = time.time() + seconds
    while alive(pid) and time.time() < end:
        time.sleep(0.05)
    return not alive(pid)


def test_kill_tree_reaches_a_grandchild_in_its_own_session():
    child = subprocess.Popen([sys.executable, '-c', TREE], stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    grandchild = int(child.stdout.readline())
    assert os.getsid(grandchild) != os.getsid(child.pid)
    kill_tree(child)
    assert ended_within(child.pid, 10) and ended_within(grandchild, 10)


def test_the_busy_core_ends_with_its_parent():
    parent = subprocess.Popen(
        [sys.executable, '-c', 'import os, subprocess, sys, time\n'
         f'spinner = subprocess.Popen([sys.executable, "-c", {SPIN_WHILE_PARENT_LIVES!r}, '
         'str(os.getpid())])\n'
         'print(spinner.pid, flush=True)\ntime.sleep(600)'],
        stdout=subprocess.PIPE, text=True)
    spinner = int(parent.stdout.readline())
    assert alive(spinner)
    parent.kill()   # as a killed pytest: no teardown runs
    parent.wait()
    assert ended_within(spinner, 10)
