"""All hyperparameters of a run in one object, saved as ``model.json``.

Every script that trains builds a :class:`Config` from its experiment's
preset plus the command line; every script that loads a model reads it back
from the model directory, so no training flag has to be repeated.

The fields of :class:`Config` are the one table of settings: each carries its
help text, its choices or range, and which experiments offer it on their
command line. :meth:`Config.validate` and :func:`add_arguments` read that
table; nothing else lists the settings.
"""
import argparse
import dataclasses
import json
import math
import os

from began.errors import ConfigError

CONFIG_FILE = 'model.json'

# The experiments, as their scripts' errors name them.
EXPERIMENTS = {'gaussian_mixture': 'the 8-Gaussian experiment (train_gaussian_mixture/)',
               'animeface': 'the anime-face experiment (train_animeface/)'}
MIXTURE_ONLY = ('gaussian_mixture',)
FACES_ONLY = ('animeface',)


@dataclasses.dataclass(frozen=True)
class Range:
    """Where a number may lie. A bound is a number or the name of the field
    that sets it; ``or_zero``: 0 (off) is allowed as well; ``note`` ends the
    message; ``says`` replaces what follows 'must be' (with {low}, {high}
    and {value})."""
    low: object = None
    high: object = None
    low_open: bool = False
    high_open: bool = False
    or_zero: bool = False
    note: str = ''
    says: str = ''

    def bounds(self, config):
        """(low, high) as numbers for ``config`` (None: no bound)."""
        return tuple(getattr(config, b) if isinstance(b, str) else b
                     for b in (self.low, self.high))

    def holds(self, value, config):
        low, high = self.bounds(config)
        if self.or_zero and value == 0:
            return True
        above_low = low is None or (value > low if self.low_open else value >= low)
        below_high = high is None or (value < high if self.high_open else value <= high)
        return above_low and below_high

    def message(self, label, value, config):
        low, high = self.bounds(config)
        if self.says:
            return f'{label} must be ' + self.says.format(low=low, high=high, value=value)
        if self.high is None:
            rule = ('0 or ' if self.or_zero else '') + \
                f"{'>' if self.low_open else '>='} {self._shown(self.low, low)}"
        else:
            rule = (f"in {'(' if self.low_open else '['}{self._shown(self.low, low)}, "
                    f"{self._shown(self.high, high)}{')' if self.high_open else ']'}")
        return f'{label} must be {rule}, got {value}' + (f' ({self.note})' if self.note else '')

    @staticmethod
    def _shown(bound, value):
        """A number as itself; another field as its name and value."""
        return f'{label(bound)} ({value})' if isinstance(bound, str) else f'{value}'


AT_LEAST_0 = Range(low=0)
AT_LEAST_1 = Range(low=1)
ABOVE_0 = Range(low=0, low_open=True)
UNIT = Range(low=0, high=1)


def is_on(weight):
    """A term whose layer exists only when its weight is above 0: turning it
    on or off changes the networks' shapes, a new weight does not."""
    return weight > 0


def setting(default, help, *, choices=(), range=None, offered_by=tuple(EXPERIMENTS),
            cli_name=None, fixes_shape=False, fake_branch=False, batch_coupled=False):
    """A Config field and its row of the table.

    choices: the values it may take, or {experiment: its values} where the
        experiments differ. range: a :class:`Range`. offered_by: the
        experiments whose scripts offer it as an option. cli_name: its
        command-line spelling, if not its own name. fixes_shape: it sets the
        networks' shapes (a resumed run cannot change it); or a function of
        its value giving what of it sets them (see :func:`changes_shape`). fake_branch,
        batch_coupled: a mode-coverage term of that kind (see Config)."""
    return dataclasses.field(default=default, metadata=dict(
        help=help, choices=choices, range=range, offered_by=offered_by,
        cli_name=cli_name, fixes_shape=fixes_shape, fake_branch=fake_branch,
        batch_coupled=batch_coupled))


@dataclasses.dataclass
class Config:
    # Which experiment and which networks.
    experiment: str = setting(
        'gaussian_mixture', "the experiment whose scripts train and read it (its train.py "
        "sets it)", offered_by=(), fixes_shape=True)
    arch: str = setting(
        'mlp', "networks: 'blog' (the post's) or 'paper' (the BEGAN paper's)",
        choices={'gaussian_mixture': ('mlp',), 'animeface': ('blog', 'paper')},
        offered_by=FACES_ONLY, fixes_shape=True)
    # Data.
    dataset: str = setting(
        'mixture', "training data: 'folder' (--image-dir) or 'toyfaces' (built in)",
        choices={'gaussian_mixture': ('mixture',), 'animeface': ('folder', 'toyfaces')},
        offered_by=FACES_ONLY, fixes_shape=True)
    mixture_shape: str = setting(
        'ring', "where the Gaussians sit: 'ring' (the post's) or 'grid' (a square grid)",
        choices=('ring', 'grid'), offered_by=MIXTURE_ONLY, cli_name='mixture')
    num_mixture: int = setting(
        8, 'number of Gaussians (a grid: a square number, e.g. 25)', range=AT_LEAST_1,
        offered_by=MIXTURE_ONLY, fixes_shape=True)
    mixture_radius: float = setting(
        2.0, 'radius of the ring; a grid: its outermost centres at +-this',
        offered_by=MIXTURE_ONLY)
    mixture_std: float = setting(
        0.04, 'standard deviation of each Gaussian', range=ABOVE_0, offered_by=MIXTURE_ONLY)
    image_dir: str = setting(
        '', 'folder of training images (any tree of png/jpg/webp/bmp/gif)',
        offered_by=FACES_ONLY)
    image_size: int = setting(
        96, 'image side in pixels (a multiple of 16 for the blog networks)',
        offered_by=FACES_ONLY, cli_name='size', fixes_shape=True)
    num_images: int = setting(
        10000, 'number of built-in toy faces to draw', range=AT_LEAST_1, offered_by=FACES_ONLY)
    # Networks.
    n_z: int = setting(256, 'dimension of z (the generator input)', range=AT_LEAST_1,
                       fixes_shape=True)
    n_h: int = setting(128, "dimension of h (the auto-encoder's bottleneck)", range=AT_LEAST_1,
                       fixes_shape=True)
    z_categories: int = setting(
        0, "K > 0: z's first K coordinates are a one-hot of a uniform category (its height "
        "the norm of the rest of z), so G can give each mode its own categories and leave "
        "the gaps between modes empty (0: z ~ U(-1, 1)^N_z, as in the post)",
        range=Range(low=0, high='n_z', high_open=True,
                    says='in [0, n-z) (some of z stays uniform), got {value} with n-z {high}'),
        batch_coupled=True)
    hidden: int = setting(
        64, "width of the networks (the mixture MLPs' units; --arch paper: filters n)",
        range=AT_LEAST_1, fixes_shape=True)
    skip: bool = setting(
        False, "--arch paper: the paper's skip connections, h0 (the decoder's first 8x8 "
        "tensor) upsampled and concatenated at every later scale of D's decoder and G "
        "(--no-skip: without, as the paper's plain networks)",
        offered_by=FACES_ONLY, fixes_shape=True)
    noise_std: float = setting(
        0.1, "std of the Gaussian noise added to D's input while training", range=AT_LEAST_0)
    weight_std: float = setting(
        0.01, "std of the Normal initialisation of the weights (0: Chainer's default)",
        range=AT_LEAST_0)
    # Objective and k_t control.
    gamma: float = setting(0.5, 'diversity ratio E[L(G(z))] / E[L(x)] the k_t control aims at',
                           range=UNIT)
    lambda_k: float = setting(0.001, 'learning rate of k_t', range=AT_LEAST_0)
    k_init: float = setting(0.0, "k_0, k_t's value at the start", range=UNIT)
    h_penalty: float = setting(
        0.0, "weight of mean(h^2) of D's code of real data, added to L_D (0: off, as in the "
        "post, whose h grew to std ~80; the log's h_std shows it)", range=AT_LEAST_0)
    # Mode coverage (beyond the post; each off by default).
    k_balance: str = setting(
        'difference', "what k_t's control balances: 'difference' (the post's gamma L(x) - "
        "L(G(z))) or 'ratio' (gamma - L(G(z)) / L(x): the same balance, its steps "
        "independent of the losses' scale)", choices=('difference', 'ratio'))
    pull_away: float = setting(
        0.0, "weight of EBGAN's pull-away term (mean squared cosine similarity of D's codes "
        "of the fake batch), added to L_G (0: off, as in the post)", range=AT_LEAST_0,
        fake_branch=True, batch_coupled=True)
    latent_recovery: float = setting(
        0.0, "weight of BEGAN-CS's latent constraint mean |enc(G(z)) - P z| (P: a fixed "
        "projection when N_h != N_z), added to L_D (0: off)", range=AT_LEAST_0,
        fake_branch=True)
    info_head: float = setting(
        0.0, "weight of an InfoGAN head: a linear layer on D's code names G(z)'s "
        "--z-categories category; its cross-entropy is added to L_D (D learns to tell the "
        "categories apart) and to L_G (G makes them distinct) (0: off)", range=AT_LEAST_0,
        fixes_shape=is_on, fake_branch=True)
    code_matching: float = setting(
        0.0, "weight of feature matching on D's code, mean over units of (mean h(G(z)) - "
        "mean h(x))^2 over the batches, added to L_G (0: off)", range=AT_LEAST_0,
        fake_branch=True, batch_coupled=True)
    margin: float = setting(
        0.0, "EBGAN's margin, tied to the real loss: L_D counts each fake's reconstruction "
        "error only up to this times L(x), so D's push on fakes is bounded (0: off, the "
        "post's unbounded -k L(G(z)))", range=AT_LEAST_0, fake_branch=True,
        batch_coupled=True)
    mmd: float = setting(
        0.0, "weight of MMD^2 between G(z) and x (a mixture of RBF kernels, widths scaled "
        "to the median distance of the real batch), added to L_G: matches the whole "
        "distribution, which BEGAN's mode-seeking L(G(z)) then sharpens (0: off, as in "
        "the post)", range=AT_LEAST_0, fake_branch=True, batch_coupled=True)
    mmd_space: str = setting(
        'data', "where --mmd compares: 'data' (the points or images) or 'code' (D's code h, "
        "as MMD-GAN does)", choices=('data', 'code'))
    mmd_batch: int = setting(
        0, "points on each side of the MMD: G(z) of this many z (the step's and more), the "
        "reals of the last steps (0: the step's batch only)",
        range=Range(low='batch_size', or_zero=True))
    mmd_narrowest: float = setting(
        0.125, "the narrowest of --mmd's kernel widths, as a fraction of the reals' median "
        "distance; the widths double from it up to 2 (smaller: the MMD also sees how "
        "wide each mode is, not only where the modes are)",
        range=Range(low=0, high=2, low_open=True))
    pooled_mmd: float = setting(
        0.0, "weight of a second MMD^2, between G(z) and x average-pooled to "
        "--pooled-mmd-size pixels a side, added to L_G beside --mmd: it compares the colours "
        "of large regions (hair, skin), which D's codes can blur (0: off)",
        range=AT_LEAST_0, offered_by=FACES_ONLY, fake_branch=True, batch_coupled=True)
    pooled_mmd_size: int = setting(
        8, "the side, in pixels, of the images --pooled-mmd compares (a divisor of --size)",
        range=AT_LEAST_1, offered_by=FACES_ONLY)
    sliced_wasserstein: float = setting(
        0.0, "weight of the sliced Wasserstein distance between G(z) and x (the points "
        "--mmd compares: --mmd-space, --mmd-batch), added to L_G: sorted along random "
        "directions, every fake is pulled toward a real partner (0: off)",
        range=AT_LEAST_0, fake_branch=True, batch_coupled=True)
    self_condition: bool = setting(
        False, "self-conditioning (Liu et al. 2020): each fake's --z-categories category is "
        "the cluster of a real of the batch (D's codes of the reals clustered as training "
        "goes), --mmd compares each cluster's fakes with its reals only, and G draws its "
        "categories in the clusters' shares of the data (--no-self-condition: off, as in "
        "the post)", fixes_shape=True, batch_coupled=True)
    # Optimisation.
    batch_size: int = setting(16, 'minibatch size (the post: 16; 128 mode-collapsed)',
                              range=AT_LEAST_1)
    lr: float = setting(1e-4, 'Adam learning rate (of G, and of D unless --lr-d)',
                        range=ABOVE_0)
    lr_d: float = setting(0.0, "D's Adam learning rate (0: --lr, as in the post)",
                          range=AT_LEAST_0)
    beta1: float = setting(0.9, 'Adam beta1', range=Range(low=0, high=1, high_open=True))
    grad_clip: float = setting(1.0, 'gradient norm clipping threshold', range=ABOVE_0)
    g_ema: float = setting(
        0.0, "decay per update of an exponential moving average of G's weights: the run's "
        "pictures, scores and generator.npz are the average's, while G trains as before (0: "
        "off, as in the post; e.g. 0.999)", range=Range(low=0, high=1, high_open=True))
    lr_patience: int = setting(
        0, 'halve the learning rate after this many epochs without a lower M_global, as the '
        'paper does (0: never)', range=AT_LEAST_0)
    anneal_epochs: int = setting(
        0, 'train the last N epochs at a tenth of both learning rates, which sharpens the '
        'modes G found (0: off, as in the post)',
        range=Range(low=0, high='epochs',
                    note='with fewer --epochs, give a smaller --anneal-epochs too'))
    epochs: int = setting(200, 'number of epochs', range=AT_LEAST_1)
    updates_per_epoch: int = setting(
        500, 'updates per epoch (mixture experiment)',
        range=AT_LEAST_1, offered_by=MIXTURE_ONLY)
    seed: int = setting(0, 'random seed (same seed, same run on CPU)', range=AT_LEAST_0)
    plot_interval: int = setting(5, 'draw pictures at epoch 1 and every this many epochs',
                                 range=AT_LEAST_1)
    score_samples: int = setting(
        10000, 'generated faces scored for mode coverage at each plot (toyfaces)',
        range=AT_LEAST_1, offered_by=FACES_ONLY)

    # --- checks ---------------------------------------------------------
    def validate(self):
        """Raise ConfigError naming the first value that cannot work: a type,
        then each field's choices and range (the table), then the rules that
        tie fields together."""
        fields = dataclasses.fields(self)
        for f in fields:
            _check_type(f, getattr(self, f.name))
        # A range bounded by another field after that field's own check.
        for f in sorted(fields, key=_bounded_by_a_field):
            _check_row(f, getattr(self, f.name), self)
        for ok, message in self._relations():
            if not ok:
                raise ConfigError(message)
        return self

    def _relations(self):
        """(holds, message) for each rule between fields, in order."""
        yield (any(self.arch in choices('arch', e) and self.dataset in choices('dataset', e)
                   for e in EXPERIMENTS),
               f'arch {self.arch!r} does not fit dataset {self.dataset!r}')
        yield (self.mmd == 0 or self.batch_size >= 2,
               f'mmd needs batch-size >= 2, got {self.batch_size}')
        yield (self.info_head == 0 or self.z_categories >= 2,
               f'info-head names z\'s categories: it needs --z-categories >= 2, '
               f'got {self.z_categories}')
        yield (not self.self_condition or (self.z_categories >= 2 and self.mmd > 0
                                           and self.mmd_batch == 0),
               f'self-condition clusters the reals into z\'s categories and compares each '
               f'cluster by the MMD: it needs --z-categories >= 2, --mmd > 0 and '
               f'--mmd-batch 0 (got z-categories {self.z_categories}, mmd {self.mmd}, '
               f'mmd-batch {self.mmd_batch})')
        yield (self.pooled_mmd == 0 or self.batch_size >= 2,
               f'pooled-mmd needs batch-size >= 2, got {self.batch_size}')
        yield (self.pooled_mmd == 0 or (self.pooled_mmd_size <= self.image_size
                                        and self.image_size % self.pooled_mmd_size == 0),
               f'pooled-mmd-size must divide size {self.image_size}, '
               f'got {self.pooled_mmd_size}')
        yield (self.sliced_wasserstein == 0 or self.batch_size >= 2,
               f'sliced-wasserstein needs batch-size >= 2, got {self.batch_size}')
        yield (self.mixture_shape != 'grid'
               or math.isqrt(self.num_mixture) ** 2 == self.num_mixture,
               f'a grid needs a square number of modes (num-mixture), got {self.num_mixture}')
        yield (not (self.anneal_epochs and self.lr_patience),
               'anneal-epochs and lr-patience both set the learning rate; use one of them')
        if self.arch == 'blog':
            yield (self.image_size >= 16 and self.image_size % 16 == 0,
                   f'size must be a multiple of 16 (>= 16) for the blog networks, '
                   f'got {self.image_size}')
        yield (not self.skip or self.arch == 'paper',
               f'--skip is a part of the paper networks (--arch paper); --arch {self.arch} '
               f'has no such connections')
        if self.arch == 'paper':
            yield (self.image_size >= 8 and self.image_size % 8 == 0
                   and (self.image_size // 8) & (self.image_size // 8 - 1) == 0,
                   f'size must be 8 times a power of two for the paper networks, '
                   f'got {self.image_size}')
        if self.dataset == 'folder':
            yield (bool(self.image_dir), '--image-dir DIR is required (a folder of your '
                                         'images); or use --dataset toyfaces for the built-in '
                                         'faces')

    # Mode-coverage terms (the table marks them):
    # fake_branch: they use D's pass over G(z), or G(z) itself, other than
    # through L(G(z)) (began/gradients.py's shortcut then does not hold).
    # batch_coupled: they compare the samples of a batch with each other (or
    # draw a category per sample): a data-parallel run gathers the whole batch
    # for those began/coverage/ lists in Coverage.GATHERED and refuses others.
    def fake_branch_terms(self):
        """The names of the fake_branch terms this run turns on."""
        return self._turned_on('fake_branch')

    def batch_coupled_terms(self):
        """The names of the batch_coupled terms this run turns on."""
        return self._turned_on('batch_coupled')

    def _turned_on(self, kind):
        return [name for name in fields_marked(kind) if getattr(self, name) > 0]

    def dis_lr(self):
        """D's learning rate: --lr-d, or --lr when that is 0 (the post)."""
        return self.lr_d or self.lr

    # --- model.json ------------------------------------------------------
    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values, source='config'):
        if not isinstance(values, dict):
            raise ConfigError(f'{source}: expected a JSON object')
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ConfigError(f'{source}: unknown key(s) {", ".join(unknown)}')
        converted = {}
        for key, value in values.items():
            # JSON has one number type: accept 1 for a float field.
            if names[key].type is float and isinstance(value, int) \
                    and not isinstance(value, bool):
                value = float(value)
            converted[key] = value
        config = cls(**converted)
        try:
            return config.validate()
        except ConfigError as e:
            raise ConfigError(f'{source}: {e}') from None

    def save(self, model_dir):
        """Write model.json atomically (a crash never leaves half a file)."""
        path = os.path.join(model_dir, CONFIG_FILE)
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.to_dict(), f, indent=2, sort_keys=True)
            f.write('\n')
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, model_dir):
        path = os.path.join(model_dir, CONFIG_FILE)
        if not os.path.isfile(path):
            raise ConfigError(f'no {CONFIG_FILE} in {model_dir}: is it a model directory?')
        try:
            with open(path) as f:
                values = json.load(f)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f'{path} is not valid JSON ({e})') from None
        return cls.from_dict(values, source=path)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


# --- reading the table -------------------------------------------------------

def row(name):
    """The table's row of the field ``name`` (see :func:`setting`)."""
    return _FIELDS[name].metadata


def fields_marked(key):
    """The names of the fields whose row sets ``key`` (e.g. 'fixes_shape')."""
    return tuple(name for name, f in _FIELDS.items() if f.metadata[key])


def changes_shape(name, old, new):
    """Whether the field ``name`` going from ``old`` to ``new`` changes the
    networks' shapes: its row's fixes_shape, or that function of the value."""
    part = row(name)['fixes_shape']
    return part(old) != part(new) if callable(part) else bool(part) and old != new


def label(name):
    """A field as the command line and the error messages spell it."""
    return (row(name)['cli_name'] or name).replace('_', '-')


def flag(name):
    """The command-line option of a Config field."""
    return '--' + label(name)


def choices(name, experiment=None):
    """The values ``name`` may take: in ``experiment``, or in any experiment
    (an empty tuple: any value of its type)."""
    values = row(name)['choices']
    if not isinstance(values, dict):
        return values
    if experiment is not None:
        return values[experiment]
    return tuple(dict.fromkeys(v for each in values.values() for v in each))


def offered(experiment, name):
    """Whether ``experiment``'s scripts offer the field ``name`` as an option."""
    return experiment in row(name)['offered_by']


def either(values):
    """'a', 'b' or 'c'."""
    quoted = [repr(v) for v in values]
    return ' or '.join([', '.join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def _check_type(field, value):
    if field.type is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value)
        kind = 'a finite number'
    elif field.type is bool:
        ok, kind = isinstance(value, bool), 'true or false'
    elif field.type is int:
        ok, kind = isinstance(value, int) and not isinstance(value, bool), 'an integer'
    else:
        ok, kind = isinstance(value, str), 'a string'
    if not ok:
        raise ConfigError(f'{field.name} must be {kind}, got {value!r}')


def _bounded_by_a_field(field):
    limits = field.metadata['range']
    return bool(limits) and any(isinstance(b, str) for b in (limits.low, limits.high))


def _check_row(field, value, config):
    """The field's choices and range, as its row of the table gives them."""
    allowed = choices(field.name)
    if allowed and value not in allowed:
        raise ConfigError(f'{label(field.name)} must be {either(allowed)}, got {value!r}')
    limits = field.metadata['range']
    if limits and not limits.holds(value, config):
        raise ConfigError(limits.message(label(field.name), value, config))


_FIELDS = {f.name: f for f in dataclasses.fields(Config)}


# --- command-line options ----------------------------------------------------

class ForeignOption(argparse.Action):
    """An option of the other experiment: one clear error, never ignored."""

    def __init__(self, option_strings, dest, owner='', **kwargs):
        self.owner = owner
        super().__init__(option_strings, dest, nargs='?', help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f'{option_string} is an option of {EXPERIMENTS[self.owner]}, '
                     f'not of this one')


def add_arguments(parser, preset):
    """Add one --option per Config field this experiment offers, defaulting to
    its preset; the other experiments' options are refused by name."""
    experiment = preset['experiment']
    defaults = Config(**preset)
    for f in _FIELDS.values():
        if offered(experiment, f.name) and f.type is bool:   # --name / --no-name
            action = parser.add_argument(flag(f.name), dest=f.name,
                                         default=getattr(defaults, f.name),
                                         action=argparse.BooleanOptionalAction,
                                         help=f.metadata['help'])
            if '%(default)' not in action.help:   # Python < 3.14 adds it itself
                action.help += ' (default: %(default)s)'
        elif offered(experiment, f.name):
            parser.add_argument(flag(f.name), dest=f.name, type=f.type,
                                default=getattr(defaults, f.name),
                                choices=choices(f.name, experiment) or None,
                                help=f"{f.metadata['help']} (default: %(default)s)")
        elif f.metadata['offered_by']:
            parser.add_argument(flag(f.name), dest=f'foreign_{f.name}',
                                owner=f.metadata['offered_by'][0], action=ForeignOption)


def from_args(args, preset):
    """The Config of a parsed command line, validated."""
    values = dict(preset)
    for name in _FIELDS:
        if offered(preset['experiment'], name) and hasattr(args, name):
            values[name] = getattr(args, name)
    return Config(**values).validate()
