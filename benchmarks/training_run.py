"""A benchmark's training run, stopped as train.py itself is stopped.

subprocess.run kills its child when Ctrl-C reaches the parent, so a
benchmark stopped with Ctrl-C lost every update since the training's last
snapshot (up to an epoch) and left no word of it. Here the training runs in
its own session and gets exactly the signals the benchmark gets: the first
Ctrl-C or SIGTERM makes it stop after its update and write a snapshot (the
same benchmark command then continues it), a second one stops it at once.
On Linux a benchmark killed outright (kill -9) stops its training the same
way, rather than leaving it running on its own with its model's lock.
"""
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1   # linux/prctl.h


def stop_with_parent():
    """A function for the child to run before exec: SIGINT to it when this
    process dies (Linux; elsewhere None). The training then stops as after a
    Ctrl-C, with its snapshot. prctl is looked up here, not in the forked
    child: a lock another thread held at the fork (the loader's) would never
    be released there."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def in_child():
        prctl(PR_SET_PDEATHSIG, signal.SIGINT)
        if os.getppid() != parent:   # it died before prctl: no signal would come
            os.kill(os.getpid(), signal.SIGINT)
    return in_child


def run_training(command, out):
    """Run ``command`` with its stdout and stderr to the file ``out``; its exit
    status. After a stop (once the training has written its snapshot) this
    process exits with a one-line message."""
    stops, children = [], []   # stops: [signal, forwarded yet]

    def deliver():
        # Each stop is marked before it is sent: a handler that runs in
        # between (a second Ctrl-C) sends only its own.
        for stop in stops:
            if children and not stop[1]:
                stop[1] = True
                children[0].send_signal(stop[0])

    def forward(signum, frame):
        stops.append([signum, False])
        deliver()

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        # Its own session: a Ctrl-C at the terminal reaches it once, from here.
        children.append(subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True,
                                         preexec_fn=stop_with_parent()))
        deliver()   # a stop that came before the training was there
        status = children[0].wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stops:
        sys.exit(f'stopped by {signal.Signals(stops[0][0]).name}: the training ended with status '
                 f'{status} (see {out.name}); the same command continues it from its snapshot')
    return status
