"""A Python script run in a child forked from this process: a real process
(its own exit status, output, signal handlers and state) without importing
Chainer again as a fresh interpreter would (a second or two a run). The test
suite (tests/conftest.py) and the GPU check's --cpu-only run (gpu_check.py)
run the scripts this way. CPU only: a CUDA context does not survive a fork."""
import io
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import time
import traceback


def run_forked(command, cwd=None, env=None, timeout=120):
    """``command`` ([python, script, *args]) as ``python script args`` would run
    it, in ``cwd`` with ``env`` (default: this process's): a CompletedProcess,
    or None when it ran past ``timeout`` seconds (then it is killed)."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    # SIGTERM waits until the fork is done: a handler of this process's would
    # otherwise run inside an at-fork callback (logging's), where Python
    # ignores what it raises (seen: a stopped GPU check ran on to PASS).
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    if pid == 0:  # the child: never returns
        code = 1
        signal.signal(signal.SIGTERM, signal.SIG_DFL)   # (a handler of the parent's is not its)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        try:
            if cwd is not None:
                os.chdir(cwd)
            if env is not None:
                os.environ.clear()
                os.environ.update(env)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdout = io.TextIOWrapper(io.FileIO(1, 'w', closefd=False), line_buffering=True)
            sys.stderr = io.TextIOWrapper(io.FileIO(2, 'w', closefd=False), line_buffering=True)
            sys.argv = list(command[1:])
            sys.path[0] = os.path.dirname(os.path.abspath(command[1]))
            runpy.run_path(command[1], run_name='__main__')
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if isinstance(e.code, str):
                sys.stderr.write(e.code + '\n')
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    end = time.time() + timeout
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)   # (a SIGTERM that waited comes now)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.time() > end:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
            time.sleep(0.02)
    except BaseException:   # this process is stopped: the child goes with it
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    out.seek(0)
    err.seek(0)
    return subprocess.CompletedProcess(list(command), os.waitstatus_to_exitcode(status),
                                       out.read().decode(), err.read().decode())
