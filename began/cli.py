"""What the experiments' scripts share: the loading scripts' options and the
whole train.py flow (config, data, trainer, resume). The one-line errors and
output checks under them are began.command_line's, imported here too."""
import argparse
import os
import sys
import warnings

from began import config as config_module
from began.command_line import (  # noqa: F401  (the scripts import them from here)
    ArgumentParser, check_writable, fail, guarded, open_output, positive_int)
from began.errors import ConfigError


def load_main(parser, experiment, argv=None):
    """Parse the options every loading script shares and read the model
    directory: (config, generator, discriminator, args). Nothing is written:
    the script reads its other inputs, then calls open_output(args.out)."""
    from began.device import get_device
    from began.training.model_dir import load_model_dir
    parser.add_argument('--model-dir', default='model',
                        help='model directory written by train.py (default: %(default)s)')
    parser.add_argument('--out', default='plot', help='output folder (default: %(default)s)')
    parser.add_argument('--gpu', type=int, default=-1,
                        help='CuPy device; -1: the CPU (default: %(default)s)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the z drawn (default: %(default)s)')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    config, generator, discriminator = load_model_dir(args.model_dir, experiment)
    device = get_device(args.gpu)
    generator.to_device(device)
    discriminator.to_device(device)
    check_writable(args.out, 'output folder')
    return config, generator, discriminator, args


def explicit_dests(parser, argv):
    """Destinations of the options given on the command line itself."""
    given = set()
    for action in parser._actions:
        for option in action.option_strings:
            if any(arg == option or arg.startswith(option + '=') for arg in argv):
                given.add(action.dest)
    return given


def add_run_arguments(parser, default_gpu=-1):
    parser.add_argument('--gpu', type=int, default=default_gpu,
                        help='CuPy device to train on; -1: the CPU (default: %(default)s)')
    parser.add_argument('--model-dir', default='model',
                        help='where model.json, weights, snapshots and the log go '
                             '(default: %(default)s)')
    parser.add_argument('--plot-dir', default='plot',
                        help='where the pictures go (default: %(default)s)')
    parser.add_argument('--resume', nargs='?', const='auto', default=None, metavar='SNAPSHOT',
                        help='continue from SNAPSHOT, or without a path from the newest '
                             'snapshot in --model-dir')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar (logs only)')
    parser.add_argument('--no-early-check', action='store_true',
                        help="do not stop a run whose D cannot reconstruct real data "
                             "better than their mean after the first epoch (the post's tip)")
    parser.add_argument('--early-check-updates', type=positive_int, default=None, metavar='N',
                        help='run the early check after N updates (default: the end of '
                             'the first epoch with at least 500 updates)')
    parser.add_argument('--no-fast-cpu', action='store_true',
                        help="train on the CPU with Chainer's own kernels instead of "
                             "began.fast_cpu's (the same maths, slower)")


def resumed_config(saved, args, given):
    """The snapshot's Config with the options given on this command line."""
    changes = {name: getattr(args, name) for name in given
               if hasattr(saved, name) and getattr(args, name) != getattr(saved, name)}
    # A resumed run cannot change the fields that fix the networks' shapes.
    fixed = sorted(name for name, value in changes.items()
                   if config_module.changes_shape(name, getattr(saved, name), value))
    if fixed:
        raise ConfigError(f'a resumed run keeps its networks; cannot change '
                          f'{", ".join(fixed)} (it was trained with '
                          + ', '.join(f'{n}={getattr(saved, n)!r}' for n in fixed) + ')')
    if changes:
        print('resuming with changed ' + ', '.join(f'{k}={v!r}' for k, v in changes.items()))
    return saved.replace(**changes).validate()


def compare_args(description, argv):
    """The compare.py scripts' command line: model directories, a label
    each (default: the folders) and the picture to write, checked before
    any model is read. Returns (args, labels)."""
    parser = ArgumentParser(description=description)
    parser.add_argument('--model-dirs', nargs='+', required=True,
                        help='model directories written by train.py')
    parser.add_argument('--labels', nargs='+', help='a caption for each (default: the folders)')
    parser.add_argument('--out', default='plot/compare.png',
                        help='picture to write (default: %(default)s)')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    labels = args.labels or args.model_dirs
    if len(labels) != len(args.model_dirs):
        raise ConfigError(f'{len(args.model_dirs)} model directories but {len(labels)} labels')
    if os.path.isdir(args.out):
        raise ConfigError(f'--out {args.out} is a folder; give the picture\'s file name, '
                          f'e.g. --out {os.path.join(args.out, "compare.png")}')
    check_writable(os.path.dirname(os.path.abspath(args.out)), 'output folder')
    return args, labels


def named_preset(preset, presets, argv):
    """The preset that --preset NAME on ``argv`` names: the experiment's own
    (the post's, 'post') or it with the changes ``presets[NAME]``."""
    if not presets:
        return preset
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument('--preset', default='post')
    known, _ = first.parse_known_args(argv)
    return dict(preset, **presets.get(known.preset, {}))


def train_main(experiment, preset, make_data, make_pictures, argv=None,
               description='', log_trigger=None, extra_arguments=None,
               make_check_data=None, presets=None):
    """The train.py of an experiment: parse, assemble the Trainer, train.

    presets: {name: changes to ``preset``} offered as --preset NAME (the
        post's own is 'post', the default); they set the options' defaults.

    make_data(config, progress) -> (iterator, dataset or None); progress: whether
        decoding images may show a progress line
    make_pictures(config, plot_dir, dataset) -> list of Trainer extensions
    log_trigger(config, iterator) -> trigger of the log and curves
    make_check_data(config, dataset) -> real examples for the early check
        (default: guards.check_examples, fresh mixture points or 100 images)

    Exits with status 128 + N when signal N (Ctrl-C, SIGTERM) stopped it.
    """
    from began.training import parallel

    argv = sys.argv[1:] if argv is None else list(argv)
    # Several processes under mpiexec train one model (training/parallel.py):
    # in set-up, an error in any of them stops all with one message.
    group = parallel.start()
    with group.agreement():
        preset = dict(named_preset(preset, presets, argv), experiment=experiment)
        parser = train_parser(preset, description, presets, extra_arguments)
        args = parser.parse_args(argv)
        config, snapshot, snapshots_seen = run_config(group, args, preset,
                                                      explicit_dests(parser, argv))
        # Every input is read before the first write (the folders made below).
        device = training_device(group, args)
    with group.agreement():
        group.connect(device, config)  # first: all processes meet its collectives
        models, (iterator, dataset), check_data = networks_and_data(
            group, config, args, make_data, make_check_data)
    with group.agreement():  # every process trains the same run, or none does
        model_dir_lock = claim_outputs(  # noqa: F841  (held for the run's life)
            group, config, args, dataset, snapshot, snapshots_seen)
        trainer = make_trainer(group, device, config, args, models, iterator, dataset,
                               make_pictures, log_trigger, check_data)
        if snapshot and not resume_from(group, trainer, *snapshot):
            return trainer
        if group.is_root:
            from began.training.model_dir import save_config
            save_config(args.model_dir, config)
    return run_trainer(group, trainer, args)


def train_parser(preset, description, presets, extra_arguments):
    """The train.py command line: the run's options, --preset, the Config's
    options (``preset``'s values their defaults) and the experiment's own."""
    parser = ArgumentParser(description=description)
    add_run_arguments(parser)
    if presets:
        parser.add_argument('--preset', choices=['post', *presets], default='post',
                            help="a new run's defaults: 'post' (the post's configuration) "
                                 "or a named set of changes to it (a resumed run keeps its "
                                 "own; options given still win) (default: %(default)s)")
    config_module.add_arguments(parser, preset)
    if extra_arguments:
        extra_arguments(parser)
    return parser


def run_config(group, args, preset, given):
    """(the run's Config, (snapshot path, its arrays) when resuming or None,
    the snapshots the model directory holds). ``given``: the options on the
    command line itself."""
    from began.memory_estimate import check_training_fits
    from began.training import lock, snapshots
    if group.is_root:  # one run a model directory: refused before reading more
        lock.check_free(args.model_dir)
    snapshots_seen = snapshots.snapshot_files(args.model_dir)
    snapshot = None
    candidates = snapshots.resolve_resume(args.resume, args.model_dir)
    if candidates:
        # The snapshot's Config, not the command line's defaults (which may
        # not even validate, e.g. a folder run resumed without --image-dir).
        path, arrays, saved = snapshots.open_resume_snapshot(candidates, preset['experiment'])
        config = resumed_config(saved, args, given)
        snapshot = (path, arrays)
    else:
        config = config_module.from_args(args, preset)
        if snapshots_seen:
            # A fresh run here would overwrite its weights and, three epochs
            # on, delete its snapshots: a forgotten --resume must not do that.
            raise ConfigError(f'{args.model_dir} already holds a run (newest snapshot '
                              f'{snapshots_seen[0]}); continue it with --resume, or give '
                              f'another --model-dir')
    check_training_fits(config)  # before any network is allocated
    return config, snapshot, snapshots_seen


def training_device(group, args):
    """This process's device, once the output folders are known writable."""
    from began.device import get_device
    device = get_device(group.device_id(args.gpu))
    if group.is_root:
        check_writable(args.model_dir, 'model directory')
        check_writable(args.plot_dir, 'plot directory')
    return device


def networks_and_data(group, config, args, make_data, make_check_data):
    """((G, D), (iterator, dataset), the early check's real examples or None)."""
    import chainer
    from began.nets import build_models
    from began.training import guards
    chainer.config.type_check = False  # fewer checks a step; no effect on the maths
    if args.no_fast_cpu:
        chainer.global_config.began_fast_cpu = False
    models = group.synchronise(*build_models(config))  # seeded
    iterator, dataset = group.root_first(make_data, config, not args.no_progress)
    check_data = None
    if not args.no_early_check:
        check_data = (make_check_data or guards.check_examples)(config, dataset)
    return models, (iterator, dataset), check_data


def claim_outputs(group, config, args, dataset, snapshot, snapshots_seen):
    """Once every process agrees on the run: process 0 locks the model
    directory (the lock it returns is held for the run's life) and makes the
    output folders."""
    from began.training import agreement, lock
    agreement.check_processes_agree(group, agreement.describe_run(config, args, dataset,
                                                                  snapshot))
    if not group.is_root:
        return None
    model_dir_lock = lock.hold(args.model_dir, snapshots_seen)
    open_output(args.model_dir, 'model directory')
    open_output(args.plot_dir, 'plot directory')
    return model_dir_lock


def make_trainer(group, device, config, args, models, iterator, dataset, make_pictures,
                 log_trigger, check_data):
    """training.build_trainer with the experiment's pictures and log trigger."""
    from began.training import trainer as training
    generator, discriminator = models
    return training.build_trainer(
        config, iterator, generator, discriminator, device, args.model_dir,
        args.plot_dir, make_pictures(config, args.plot_dir, dataset),
        log_trigger=log_trigger(config, iterator) if log_trigger else (1, 'epoch'),
        progress=not args.no_progress, check_examples=check_data,
        early_check_updates=args.early_check_updates, group=group)


def resume_from(group, trainer, path, arrays):
    """Load the snapshot into the trainer; False when it has nothing left to train."""
    from began.training import resume as resuming, snapshots
    snapshots.load_snapshot(trainer, arrays, path)
    if resuming.nothing_left(trainer, path):
        return False
    print(f'resumed from {path} at iteration {trainer.updater.iteration}, '
          f'k = {trainer.updater.k:.4f}')
    if group.is_root:
        resuming.set_aside_newer(trainer, path)  # the next --resume continues this one
    return True


def run_trainer(group, trainer, args):
    """Train; exit with status 128 + N when signal N stopped the run."""
    from began.training import trainer as training
    with group.failure_ends_all(), warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        group.begin(trainer)
        stopped_by = training.run(trainer)
    print(f'{"stopped" if stopped_by else "done"}: model in {args.model_dir}, '
          f'pictures in {args.plot_dir}')
    if stopped_by:
        sys.exit(128 + stopped_by)
    return trainer
