import os
import re
import shutil
import signal
import subprocess
import sys
import uuid

import pytest

import began  # noqa: F401  (its compat shims run before chainer loads)
from began.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault('MPLBACKEND', 'Agg')
sys.path.insert(0, os.path.join(ROOT, 'benchmarks'))
import forked  # noqa: E402  (benchmarks/forked.py: the scripts run in forked children)


MPIEXEC = os.path.join(os.path.dirname(sys.executable), 'mpiexec')


def descendants(pid):
    """Every process below pid, read from /proc (Linux)."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                # 'pid (name) state ppid ...': the name may hold spaces
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except OSError:  # ended meanwhile
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


# A process spinning on one core until its parent, pid argv[1], ends (the
# pid is passed: a parent killed before the child's first line would be gone).
SPIN_WHILE_PARENT_LIVES = 'import os, sys\nwhile os.getppid() == int(sys.argv[1]): pass'


def kill_tree(process):
    """SIGKILL a Popen'd process and everything below it: mpiexec's
    hydra_pmi_proxy runs in a session of its own, so killing mpiexec's
    process group would leave a hung rank and its proxy running."""
    for pid in [process.pid, *descendants(process.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.communicate()


def mpi_marks():
    """The MPI tests' pytestmark: they skip where mpiexec is missing (a
    user's install without MPICH), but with BEGAN_REQUIRE_MPI=1 (.ci/run)
    that is a collection error, so CI never loses them in silence."""
    if os.path.exists(MPIEXEC):
        return []
    reason = (f'no mpiexec next to this Python ({MPIEXEC}; run/_setup_venv installs it: '
              f'pip install mpi4py mpich)')
    if os.environ.get('BEGAN_REQUIRE_MPI') == '1':
        pytest.fail(f'BEGAN_REQUIRE_MPI=1, but {reason}', pytrace=False)
    return [pytest.mark.skip(reason=reason)]


def tiny_mixture_config(**changes):
    """A mixture run small enough for a unit test."""
    values = dict(experiment='gaussian_mixture', arch='mlp', dataset='mixture',
                  n_z=8, n_h=8, hidden=8, batch_size=8, epochs=2,
                  updates_per_epoch=5, weight_std=0.0)
    values.update(changes)
    return Config(**values).validate()


def run_script(script, *args, cwd=None, timeout=300):
    """Run one of the experiments' scripts in a fresh process."""
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


class CpuCheck:
    """benchmarks/gpu_check.py --cpu-only --keep, run once a session: the GPU
    check's whole sequence of user commands at tiny sizes (its 'tiny'
    profile). Its test reads the report; the scripts' tests take its
    trainings (train.py, then --resume for a third epoch, with pictures every
    epoch) instead of making their own: one training for both."""
    SEED = 3

    def __init__(self, folder):
        self.out, self.tmp = folder / 'out', folder / 'tmp'
        os.makedirs(self.tmp)
        # --minutes: the GPU's budget is no measure of a loaded CI machine
        self.result = subprocess.run(
            [sys.executable, os.path.join(ROOT, 'benchmarks', 'gpu_check.py'), '--cpu-only',
             '--seed', str(self.SEED), '--keep', '--minutes', '30', '--out', str(self.out)],
            capture_output=True, text=True, timeout=1900,
            env=dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=ROOT, TMPDIR=str(self.tmp)))
        kept = re.search(r'the runs are kept in (\S+);', self.result.stdout)
        self.kept = kept and kept.group(1)

    def copy_of_run(self, name, to):
        """A copy of the check's run ``name`` (model/, plot/) at ``to``, with
        its train.py commands' output as ``to``/stdout."""
        assert self.kept, self.result.stdout[-3000:] + self.result.stderr[-3000:]
        shutil.copytree(os.path.join(self.kept, name), to, dirs_exist_ok=True)
        with open(os.path.join(self.kept, 'commands.log')) as f:
            outputs = [block for block in ('\n' + f.read()).split('\n$ ')
                       if block.split(' ', 1)[0].endswith('/train.py')
                       and f'/{name}/model ' in block.split('\n', 1)[0]]
        (to / 'stdout').write_text('\n'.join(outputs))
        return to


@pytest.fixture(scope='session')
def cpu_check(tmp_path_factory):
    return CpuCheck(tmp_path_factory.mktemp('gpu_check'))


@pytest.fixture
def root():
    return ROOT


def run_forked(script, *args, timeout=120):
    """A script of the project, run as ``python script args`` would, in a child
    forked from this process (benchmarks/forked.py): its own process without
    paying Chainer's import again (~2 s a run)."""
    done = forked.run_forked([sys.executable, os.path.join(ROOT, script), *map(str, args)],
                             timeout=timeout)
    if done is None:
        raise AssertionError(f'{script} {args} timed out')
    return done


def assert_one_line_error(result, *fragments):
    """Status 2 and exactly one line on stderr, 'error: ...', holding every
    fragment (progress output with carriage returns aside)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert 'Traceback' not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines()
             if line.strip() and not line.startswith('decoding')]
    assert len(lines) == 1 and lines[0].startswith('error: '), result.stderr
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 1 MiB tmpfs (mounting needs root; skipped elsewhere)."""
    mount = tmp_path / f'tmpfs-{uuid.uuid4().hex[:6]}'
    mount.mkdir()
    done = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', str(mount)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f'cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}')
    yield mount
    subprocess.run(['umount', '-l', str(mount)], check=False)


def fill_but_pages(folder, pages):
    """Fill the file system of ``folder`` but for ``pages`` blocks."""
    stat = os.statvfs(folder)
    with open(os.path.join(folder, 'filler'), 'wb') as f:
        f.write(b'\0' * ((stat.f_bavail - pages) * stat.f_frsize))
