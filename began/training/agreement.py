"""Before training under mpiexec, every process checks that it is about to
train the run process 0 trains: the same options, the same number of
examples and the same resume snapshot (iteration and content hash).
Processes that disagree would hang in a collective or silently average
different models; instead every one stops at once with the same line,
before anything is written.

The comparison is collective: it must open an agreement block
(parallel.Group.agreement), so that every process reaches it.
"""
import hashlib
import os

from began.errors import ConfigError

# Options outside the Config that change what every process computes.
RUN_FLAGS = ('no_early_check', 'early_check_updates', 'no_fast_cpu')


class ProcessesDisagree(ConfigError):
    """Processes of one run about to train different things."""
    agreed = True  # raised alike in every process: parallel._Agreement passes it on


def file_digest(path):
    with open(path, 'rb') as f:
        return hashlib.file_digest(f, 'sha256').hexdigest()[:12]


def describe_run(config, args, dataset, snapshot):
    """What must be the same in every process: {part: value}."""
    parts = {f'--{name.replace("_", "-")}': value
             for name, value in sorted(config.to_dict().items())}
    parts.update({f'--{name.replace("_", "-")}': getattr(args, name) for name in RUN_FLAGS})
    parts['data'] = 'generated' if dataset is None else f'{len(dataset)} examples'
    if snapshot is None:
        parts['snapshot'] = 'none (a new run)'
    else:
        path, arrays = snapshot
        parts['snapshot'] = (f'{os.path.basename(path)} (iteration {int(arrays["updater/iteration"])}, '
                             f'sha256 {file_digest(path)})')
    return parts


def check_processes_agree(group, parts):
    """Raise ProcessesDisagree, in every process, naming the first process
    whose ``parts`` differ from process 0's and what differs."""
    if group.size == 1:
        return
    everyone = group.agreements.allgather(parts)
    root = everyone[0]
    for rank, theirs in enumerate(everyone[1:], 1):
        differ = [name for name in sorted(set(root) | set(theirs))
                  if root.get(name) != theirs.get(name)]
        if differ:
            raise ProcessesDisagree(
                f'process {rank} of {group.size} would train another run than process 0: '
                + '; '.join(f'{name} {theirs.get(name)!s} (process 0: {root.get(name)!s})'
                            for name in differ)
                + '; give every process the same options, data and snapshot')
