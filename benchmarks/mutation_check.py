"""Does the suite notice a wrong line? (not a test; not run by CI)

    python benchmarks/mutation_check.py              # every mistake below
    python benchmarks/mutation_check.py --only gamma-ignored,k-clip-off
    python benchmarks/mutation_check.py --list       # the mistakes, and where each applies

Each mistake is one line of the project changed, found by its content (so
the list survives edits elsewhere; a line that is no longer there, or is
there twice, stops the check with its name: update the list). One at a
time, the mistake goes into a fresh copy of the committed tree (git archive
HEAD), and the tests that hold that promise run against the copy (the
test or file named beside each mistake, rather than the whole suite per
mistake: the check takes about as long as one suite run). A mistake is
caught when those tests fail.
The same subsets first run on the unchanged copy and must pass.

Writes RESULTS/mutation_check.md (a table: each mistake, caught or not, by
which test, seconds) and RESULTS/mutation_check.json; RESULTS is
benchmarks/results/. Exits 1 when a mistake was not caught.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, 'benchmarks', 'results')

# Tests that hold several of the promises below.
K_STEP = 'tests/method/test_updater.py::test_k_after_one_update_is_the_clipped_control_step'
GRADIENTS = 'tests/method/test_updater.py::test_gradients_do_not_leak_across'
FIXED_Z = ('tests/scripts/test_animeface_cli.py::'
           'test_each_epochs_grid_is_that_epochs_g_of_the_one_fixed_z')
TOYS = ('tests/benchmarks/test_mode_coverage.py::'
        'test_each_toy_is_the_published_one_and_a_true_sampler_scores_perfectly')

# name: (file, the line's text to find, what it becomes, tests to run, what the mistake is)
MUTATIONS = {
    'lambda-k-doubled': (
        'began/updater.py', 'config.lambda_k, config.k_balance)',
        '2 * config.lambda_k, config.k_balance)',
        [K_STEP], "lambda_k doubled in the updater's k_t step"),
    'demo-covering-section-removed': (
        'run/demo', '"8 Gaussians, --preset covering" mixture_covering/plot', None,
        ['tests/scripts/test_demo_page.py'], "the covering run's section left off the demo page"),
    'toys-std-0.04': (
        'benchmarks/mode_coverage.py', '*TOYS[toy][1],', "*TOYS[toy][1], '--mixture-std', '0.04',",
        [TOYS],
        "std 0.04 forced on every toy of the mode-coverage benchmark"),
    'z-changes-every-epoch': (
        'began/pictures/images.py', 'fixed_z(self.config, 100, generator=gen)',
        'fixed_z(self.config, 100, key=epoch, generator=gen)',
        [FIXED_Z],
        "the sample grid's z drawn anew each epoch"),
    'l-d-sign-flipped': (
        'began/objective.py', 'return loss_real - k * loss_fake',
        'return loss_real + k * loss_fake',
        ['tests/method/test_objective.py'], 'L_D = L(x) + k_t L(G(z))'),
    'l-d-gradient-sign-flipped': (
        'began/gradients.py', 'subtract_scaled(grad.array, k, fake_grad.array)',
        'subtract_scaled(grad.array, -k, fake_grad.array)',
        [GRADIENTS],
        "L_D's gradient to D with +k_t instead of -k_t (the shared backward pass)"),
    'gamma-ignored': (
        'began/objective.py', 'return gamma * real - fake', 'return real - fake',
        [K_STEP], "gamma left out of k_t's balance"),
    'k-clip-off': (
        'began/objective.py', 'return min(max(k, 0.0), 1.0)', 'return k',
        [K_STEP], 'k_t not clipped to [0, 1]'),
    'noise-std-ignored': (
        'began/updater.py', 'if self.config.noise_std <= 0:', 'if True:',
        [GRADIENTS],
        "no noise on D's inputs whatever --noise-std says"),
    'm-global-abs-dropped': (
        'began/objective.py', 'abs(gamma * float(loss_real) - float(loss_fake))',
        '(gamma * float(loss_real) - float(loss_fake))',
        ['tests/method/test_objective.py', 'tests/method/test_updater.py::test_reported_values'],
        "M_global's absolute value dropped"),
    'l1-becomes-l2': (
        'began/objective.py', 'return F.mean_absolute_error(v, reconstruction)',
        'return F.mean_squared_error(v, reconstruction)',
        ['tests/method/test_objective.py'], 'L(v) as a mean squared error (eta = 2)'),
    'k-init-ignored': (
        'began/updater.py', 'self.k = float(config.k_init)', 'self.k = 0.0',
        [K_STEP], '--k-init ignored'),
    'stop-signal-written-back': (
        'began/training/trainer.py', 'self.signal = self.group.agreed_signal(self.received)',
        'self.signal = self.group.agreed_signal(self.signal)',
        ['tests/training/test_resume.py::'
         'test_a_ctrl_c_during_the_stop_agreement_stops_after_the_next_update'],
        "the stop agreement reads the agreed signal, not the one received (the Ctrl-C hang)"),
    'high-quality-at-2-std': (
        'began/metrics/mixture_modes.py', '<= 3 * std', '<= 2 * std',
        [TOYS],
        'a high-quality sample within 2 std of its mode instead of 3'),
    'two-snapshots-kept': (
        'began/training/snapshots.py', 'SNAPSHOTS_KEPT = 3', 'SNAPSHOTS_KEPT = 2',
        ['tests/training/test_resume.py::'
         'test_kill_9_during_a_snapshot_write_then_resume_loads_the_previous_one'],
        'the newest 2 snapshots kept, not 3'),
    'every-process-the-first-share': (
        'began/training/parallel.py', 'return batch[self.rank * share:(self.rank + 1) * share]',
        'return batch[:share]',
        ['tests/parallel/test_data_parallel.py::test_one_update_on_2x8_equals_one_on_1x16'],
        'under mpiexec every process trains on the first share of the batch'),
    'mpi-starts-with-python-handlers': (
        'began/training/parallel.py', 'with launch.signals_kill_at_once():', 'if True:',
        ['tests/parallel/test_launch.py'],
        'MPI_Init runs with the Python Ctrl-C handler, which cannot run while it spins '
        '(the start-up hang)'),
    'mmd-narrowest-ignored': (
        'began/coverage/step.py', 'terms.mmd_scales(config.mmd_narrowest))',
        'terms.MMD_SCALES)', [GRADIENTS], "--mmd-narrowest ignored by the step's MMD"),
    'sliced-wasserstein-directions-shared-out': (
        'began/training/parallel.py', 'return rs.random_state', 'return rs',
        ['tests/parallel/test_data_parallel.py::test_covering_updates_on_2x8_equal_those_on_1x16'],
        "under mpiexec each process draws its own rows of the sliced Wasserstein directions"),
    'analogy-ignores-categories': (
        'train_animeface/analogy.py', 'config.z_categories, config.dataset', '0, config.dataset',
        ['tests/scripts/test_animeface_cli.py::test_covering_preset_sets_its_terms_and_run_length'],
        "analogy.py --images inverts a --z-categories model's z outside its prior"),
    'kill-tree-misses-the-proxy': (
        'tests/conftest.py', 'for pid in [process.pid, *descendants(process.pid)]:',
        'for pid in [process.pid]:', ['tests/test_harness.py'],
        "a timed-out mpiexec killed without the processes below it"),
    'busy-core-outlives-pytest': (
        'tests/conftest.py', "SPIN_WHILE_PARENT_LIVES = 'import os",
        "SPIN_WHILE_PARENT_LIVES = 'import time\\ntime.sleep(30)'  # 'import os",
        ['tests/test_harness.py'],
        "the Ctrl-C test's busy core keeps spinning after a killed pytest"),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', help='comma-separated names (default: all)')
    parser.add_argument('--list', action='store_true', help='list the mistakes and stop')
    parser.add_argument('--results', default=RESULTS,
                        help='folder of mutation_check.md/.json (default: %(default)s)')
    args = parser.parse_args(argv)
    args.names = args.only.split(',') if args.only else list(MUTATIONS)
    unknown = set(args.names) - set(MUTATIONS)
    if unknown:
        parser.error(f'unknown mistake(s) {", ".join(sorted(unknown))}; see --list')
    return args


def copy_of_head(where):
    """The committed tree in ``where``, using this checkout's .venv."""
    archive = subprocess.run(['git', '-C', ROOT, 'archive', 'HEAD'], capture_output=True,
                             check=True).stdout
    subprocess.run(['tar', '-x', '-C', where], input=archive, check=True)
    # This checkout's venv up to date first: otherwise a script of the copy
    # that sources run/_env.sh would reinstall it, pointing it at the copy.
    subprocess.run([os.path.join(ROOT, 'run', '_setup_venv')], check=True)
    os.symlink(os.path.join(ROOT, '.venv'), os.path.join(where, '.venv'))
    return subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                          capture_output=True, text=True, check=True).stdout.strip()


def locate(tree, name):
    """(path, lines, index of the line to change) of mistake ``name``."""
    path, old, _, _, _ = MUTATIONS[name]
    with open(os.path.join(tree, path)) as f:
        lines = f.read().split('\n')
    found = [i for i, line in enumerate(lines) if old in line]
    if len(found) != 1:
        sys.exit(f'error: {name}: {old!r} is on {len(found)} lines of {path}, not 1; '
                 f'update MUTATIONS')
    for test in MUTATIONS[name][3]:
        if not os.path.isfile(os.path.join(tree, test.split('::')[0])):
            sys.exit(f'error: {name}: no {test.split("::")[0]}; update MUTATIONS')
    return os.path.join(tree, path), lines, found[0]


def pytest(tree, tests):
    """(passed, first failing test, seconds) of ``tests`` run in ``tree``."""
    start = time.time()
    result = subprocess.run(
        [os.path.join(tree, '.venv', 'bin', 'python'), '-m', 'pytest', '-q', '-x', '-rfE',
         '-p', 'no:cacheprovider', *tests], cwd=tree, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=tree, MPLBACKEND='Agg'))
    if result.returncode not in (0, 1, 2):  # 1: tests failed; 2: a module no longer imports
        sys.exit(f'error: pytest {" ".join(tests)} ended with status {result.returncode}:\n'
                 f'{result.stdout[-2000:]}{result.stderr[-2000:]}')
    failed = re.findall(r'^(?:FAILED|ERROR) (\S+)', result.stdout, re.M)
    last = (result.stdout.strip().splitlines() or [''])[-1]
    return result.returncode == 0, failed[0] if failed else last, round(time.time() - start)


def check(tree, name):
    path, lines, i = locate(tree, name)
    _, old, new, tests, _ = MUTATIONS[name]
    original = '\n'.join(lines)
    mutated = lines[:i] + ([] if new is None else [lines[i].replace(old, new)]) + lines[i + 1:]
    with open(path, 'w') as f:
        f.write('\n'.join(mutated))
    try:
        passed, failure, seconds = pytest(tree, tests)
    finally:
        with open(path, 'w') as f:
            f.write(original)
    return dict(name=name, caught=not passed, by=failure, seconds=seconds,
                line=lines[i].strip(), to=None if new is None else
                lines[i].replace(old, new).strip(), tests=tests)


def report(args, commit, baseline, results, load):
    lines = ['# Mutation check', '',
             f'`python benchmarks/mutation_check.py` at commit {commit}, '
             f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, load average {load} '
             f'(2 cores, shared). Each mistake is one line changed in a copy of the tree; '
             f'the tests named beside it run against the copy. The same tests passed on the '
             f'unchanged copy first ({baseline[1]} s).', '',
             f'**{sum(r["caught"] for r in results)} of {len(results)} caught.**', '',
             '| mistake | file | tests run | caught by | seconds |', '|---|---|---|---|---|']
    for r in results:
        what = MUTATIONS[r['name']][4]
        by = f'`{r["by"]}`' if r['caught'] else '**not caught**'
        tests = ', '.join(f'`{t}`' for t in r['tests'])
        lines.append(f'| {r["name"]}: {what} | `{MUTATIONS[r["name"]][0]}` | {tests} | {by} | '
                     f'{r["seconds"]} |')
    os.makedirs(args.results, exist_ok=True)
    with open(os.path.join(args.results, 'mutation_check.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(args.results, 'mutation_check.json'), 'w') as f:
        json.dump(dict(commit=commit, load=load, baseline_seconds=baseline[1], results=results),
                  f, indent=1)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    tree = tempfile.mkdtemp(prefix='mutation_check_')
    try:
        commit = copy_of_head(tree)
        for name in args.names:
            locate(tree, name)  # every line is there before anything runs
        if args.list:
            for name in args.names:
                print(f'{name}: {MUTATIONS[name][0]}: {MUTATIONS[name][4]}')
            return
        tests = sorted({t for name in args.names for t in MUTATIONS[name][3]})
        print(f'unchanged copy of {commit}: {" ".join(tests)} ...', flush=True)
        baseline = pytest(tree, tests)
        if not baseline[0]:
            sys.exit(f'error: the unchanged copy fails ({baseline[1]}); fix that first '
                     f'(python -m pytest {baseline[1]} in a copy shows why)')
        results = []
        for name in args.names:
            result = check(tree, name)
            results.append(result)
            print(f'{name}: {"caught by " + result["by"] if result["caught"] else "NOT CAUGHT"}'
                  f' ({result["seconds"]} s)', flush=True)
        report(args, commit, baseline, results, os.getloadavg()[0])
        caught = sum(r['caught'] for r in results)
        print(f'{caught} of {len(results)} caught; '
              f'{os.path.join(args.results, "mutation_check.md")}')
        if caught < len(results):
            sys.exit(1)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


if __name__ == '__main__':
    main()
