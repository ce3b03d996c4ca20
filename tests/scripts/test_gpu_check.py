"""benchmarks/gpu_check.py --cpu-only: the GPU check's whole sequence of user
commands, on the CPU at tiny sizes; and the check's report, which comes back
whatever happens (a failing step, an exception, a kill, a Python that cannot
even import)."""
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, assert_one_line_error

CHECK = os.path.join(ROOT, 'benchmarks', 'gpu_check.py')
SCRIPT = os.path.join(ROOT, 'benchmarks', 'gpu_check.sh')
STEPS = ('import and probe', 'faces 32 px: train.py, 2 epochs',
         'faces: train.py --resume, epoch 3', 'faces: plot.py, analogy.py --images',
         'mixture: train.py, 2 epochs', 'mixture: train.py --resume, epoch 3',
         'mixture: resumed = uninterrupted', 'mixture: plot.py, analogy.py',
         'compare with the CPU: mixture', 'compare with the CPU: faces',
         'faces 16 px: train.py, 1 epoch (timing)', 'beside PyTorch on this device',
         'mixture: --preset covering, 2 epochs', 'faces: --arch paper',
         'faces: --h-penalty 0.01 --g-ema 0.99', 'faces: --preset covering --self-condition')
TORCH = importlib.util.find_spec('torch') is not None


def gpu_check(*args, tmp, timeout=600, wait=True):
    """The check in a new process; its kept runs go to ``tmp``, not /tmp."""
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONPATH=ROOT, TMPDIR=str(tmp))
    os.makedirs(tmp, exist_ok=True)
    command = [sys.executable, CHECK, *map(str, args)]
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)


def load_check_module():
    spec = importlib.util.spec_from_file_location('gpu_check', CHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def checked(cpu_check):
    return cpu_check.out, cpu_check.tmp, cpu_check.result


def test_cpu_only_runs_every_step_in_order_and_passes(checked):
    out, _, result = checked
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = (out / 'gpu_check_report.txt').read_text()
    expected = '(16/16 steps)' if TORCH else '(15/15 steps, 1 skipped)'
    assert report.startswith(f'began GPU check: PASS {expected}'), report
    lines = [line for line in report.splitlines() if re.match(r'^(ok|FAIL|skip) ', line)]
    assert [line.split('  ', 1)[1] for line in lines] == [
        next(line.split('  ', 1)[1] for line in lines if step in line) for step in STEPS]
    for line, step in zip(lines, STEPS):
        status = 'skip' if step.startswith('beside PyTorch') and not TORCH else 'ok  '
        assert line.startswith(status) and step in line, (step, line)
    assert "equal the uninterrupted run's bit for bit" in report
    numbers = json.loads(re.search(r'^numbers: (.*)$', report, re.M).group(1))
    assert numbers['compare faces']['all'] == 0.0 and numbers['compare mixture']['all'] == 0.0
    for key in ('faces 32 px', 'mixture', 'faces 16 px', 'covering'):
        assert numbers[key]['updates_per_s'] > 0


def test_the_checks_seed_reaches_every_new_run(checked):
    out, _, _ = checked
    files = out / 'gpu_check_files'
    commands = (files / 'commands.log').read_text().splitlines()
    trains = [c for c in commands if c.startswith('$ ') and 'train.py' in c]
    assert len(trains) == 14
    assert all('--seed 3' in c or '--resume' in c for c in trains), trains
    configs = {d: json.loads((files / d / 'model' / 'model.json').read_text())
               for d in ('faces', 'mixture', 'faces_small', 'covering', 'paper', 'h_penalty',
                         'faces_covering')}
    assert {c['seed'] for c in configs.values()} == {3}
    assert configs['covering']['mmd'] > 0 and configs['faces']['image_size'] == 32
    assert configs['h_penalty']['g_ema'] == 0.99
    assert configs['faces_covering']['self_condition'] and configs['faces_covering']['mmd'] == 0.25


def test_keep_copies_only_small_files_to_out(checked):
    out, tmp, result = checked
    kept = re.search(r'the runs are kept in (\S+);', result.stdout).group(1)
    assert kept.startswith(str(tmp))   # the snapshots stay in the temporary folder
    assert any(name.startswith('snapshot_iter_')
               for name in os.listdir(os.path.join(kept, 'faces', 'model')))
    written = [os.path.join(d, f) for d, _, files in os.walk(out) for f in files]
    assert written and not [f for f in written if f.endswith('.npz')]
    assert max(os.path.getsize(f) for f in written) <= 2 ** 20
    assert os.path.isfile(out / 'gpu_check_files' / 'faces' / 'final' / 'samples.png')


def test_a_step_that_cannot_run_fails_the_check(tmp_path):
    result = gpu_check('--cpu-only', '--minutes', 0, '--out', tmp_path / 'out',
                       tmp=tmp_path / 'tmp')
    assert result.returncode == 1
    report = (tmp_path / 'out' / 'gpu_check_report.txt').read_text()
    assert report.startswith('began GPU check: FAIL (1/')   # the probe still runs
    assert 'not run: out of time' in report
    assert os.listdir(tmp_path / 'tmp') == []               # the runs' folder is removed


def test_an_unusable_gpu_is_one_line_and_a_report(tmp_path):
    try:
        import cupy  # noqa: F401
        pytest.skip('CuPy is installed here')
    except ImportError:
        pass
    result = gpu_check('--gpu', 0, '--out', tmp_path / 'out', tmp=tmp_path / 'tmp')
    assert_one_line_error(result, '--gpu 0 needs CuPy')
    report = (tmp_path / 'out' / 'gpu_check_report.txt').read_text()
    assert report.startswith('began GPU check: FAIL (0/1 steps)')
    assert 'import and probe: error: --gpu 0 needs CuPy' in report


def test_any_exception_in_a_step_goes_into_the_report_and_the_check_goes_on(tmp_path):
    module = load_check_module()
    report = tmp_path / 'report.txt'
    check = module.Check(-1, 0, str(tmp_path / 'work'), time.time() + 60, 'tiny', str(report))
    seen = []

    def watch():  # the report names the step while it runs
        seen.append(report.read_text())
        return None, 'fine'
    assert check.step('one', lambda: {}['missing']) is None
    check.step('two', watch)
    check.step('three', lambda: (_ for _ in ()).throw(module.Skipped('no PyTorch')))
    assert 'running: two' in seen[0] and seen[0].startswith('began GPU check: UNFINISHED')
    ok, text = check.write_report(final=True)
    assert not ok and text.startswith('began GPU check: FAIL (1/2 steps, 1 skipped)')
    assert re.search(r"^FAIL .*one: KeyError: 'missing'", text, re.M)
    assert re.search(r'^ok .*two: fine', text, re.M) and 'skipped: no PyTorch' in text
    assert "KeyError: 'missing'" in (tmp_path / 'work' / 'commands.log').read_text()


def stop_during_a_run(process, report, deadline):
    """SIGTERM while the report names a step after the probe as running; the
    step's name, or None when the check ended first. The check is frozen
    (SIGSTOP) while the report is read again, so the step named is the one
    the signal reaches, however slow this process is to poll."""
    def running():
        text = report.read_text() if report.exists() else ''
        found = re.search(r'^running: (.+?) \(the check stopped', text, re.M)
        return found and not found.group(1).startswith('import and probe') and found.group(1)
    while time.time() < deadline and process.poll() is None:
        if running():
            process.send_signal(signal.SIGSTOP)
            step = running()
            if step:
                process.send_signal(signal.SIGTERM)   # (delivered once it runs on)
            process.send_signal(signal.SIGCONT)
            if step:
                return step
        time.sleep(0.1)
    return None


def test_a_killed_check_still_writes_its_report(tmp_path):
    process = gpu_check('--cpu-only', '--out', tmp_path / 'out', tmp=tmp_path / 'tmp',
                        wait=False)
    report = tmp_path / 'out' / 'gpu_check_report.txt'
    step = stop_during_a_run(process, report, time.time() + 120)
    output = process.communicate(timeout=180)   # (a loaded machine is slow to wind down)
    assert step, ('the check ended before a step could be stopped', output)
    text = report.read_text()
    assert text.startswith('began GPU check: FAIL'), text
    lines = [line for line in text.splitlines() if re.match(r'^(ok|FAIL|skip) ', line)]
    assert all(line.startswith(('ok', 'skip')) for line in lines[:-1]), text
    assert re.match(rf'^FAIL .*{re.escape(step)}: stopped by SIGTERM$', lines[-1]), text
    assert os.listdir(tmp_path / 'tmp') == []


def test_a_stop_between_two_steps_still_fails_the_check(tmp_path):
    module = load_check_module()
    check = module.Check(-1, 0, str(tmp_path / 'work'), time.time() + 60, 'tiny',
                         str(tmp_path / 'report.txt'))
    check.step('one', lambda: (None, 'fine'))
    check.note_stop(module.Stopped('SIGTERM'))
    ok, text = check.write_report(final=True)
    assert not ok and text.startswith('began GPU check: FAIL (1/2 steps)'), text
    assert 'FAIL    0.0 s  (between two steps): stopped by SIGTERM' in text
    check.note_stop(module.Stopped('SIGTERM'))   # a stop already noted is noted once
    assert len(check.steps) == 2


def test_a_stop_swallowed_by_library_code_still_ends_the_check(tmp_path):
    module = load_check_module()
    check = module.Check(-1, 0, str(tmp_path / 'work'), time.time() + 60, 'tiny',
                         str(tmp_path / 'report.txt'))

    def swallows_a_stop():   # as Python does with what an at-fork callback raises
        try:
            module.stop(signal.SIGTERM, None)
        except module.Stopped:
            pass
        return None, 'fine'

    check.step('one', swallows_a_stop)
    with pytest.raises(module.Stopped):
        check.step('two', lambda: (None, 'fine'))
    check.note_stop(module.STOPS[0])
    ok, text = check.write_report(final=True)
    assert not ok and 'stopped by SIGTERM' in text, text


def test_a_sigterm_during_a_fork_stops_the_check_and_its_child(tmp_path):
    """Seen under load: the SIGTERM came while the check forked a script, its
    handler ran in logging's at-fork callback, Python ignored the exception
    and the stopped check ran on to PASS. Here the signal comes in that very
    callback."""
    script = tmp_path / 'sleeps.py'
    script.write_text('import time\ntime.sleep(20)\n')
    code = f"""if True:
        import importlib.util, os, signal, sys, time
        sys.path.insert(0, os.path.dirname({CHECK!r}))
        spec = importlib.util.spec_from_file_location('gpu_check', {CHECK!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        signal.signal(signal.SIGTERM, module.stop)
        armed = [True]

        def term_once():
            if armed:
                armed.clear()
                signal.raise_signal(signal.SIGTERM)

        os.register_at_fork(after_in_parent=term_once)
        start = time.time()
        try:
            module.launch_forked([sys.executable, {str(script)!r}], '.', dict(os.environ), 60)
        except module.Stopped as e:
            print('stopped by', e, 'after', round(time.time() - start), 's')
    """
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.startswith('stopped by SIGTERM after 0 s'), result


def fake_python(tmp_path, body):
    """A 'python' that runs ``body`` (bash) for gpu_check.py, the real one otherwise."""
    path = tmp_path / 'python'
    path.write_text(f'#!/usr/bin/env bash\nif [ "${{1:-}}" = benchmarks/gpu_check.py ]; then\n'
                    f'{body}\nfi\nexec {sys.executable} "$@"\n')
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize('body,status,says', [
    ('echo "ImportError: numpy.sctypes was removed" >&2; exit 3', 3,
     'ImportError: numpy.sctypes was removed'),
    ('echo "running: a step" > "$OUT/gpu_check_report.txt"; sleep 30', 124,
     'killed at the 2 s limit'),
])
def test_the_shell_script_writes_a_report_when_python_could_not(tmp_path, body, status, says):
    out = tmp_path / 'out'
    env = dict(os.environ, OUT=str(out), PYTHON=fake_python(tmp_path, body),
               GPU_CHECK_LIMIT_S='2')
    result = subprocess.run(['bash', SCRIPT, str(tmp_path / 'no-wheels'), '--gpu', '0'],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == status, result.stdout + result.stderr
    report = (out / 'gpu_check_report.txt').read_text()
    assert report.startswith(f'began GPU check: FAIL (gpu_check.py ended with status {status}')
    assert says in report
    assert 'chainer 7.8.1 and what it imports are installed already' in (
        out / 'gpu_check_console.txt').read_text()
