"""All hyperparameters of a run in one object, saved as ``model.json``.

Every script that trains builds a :class:`Config` from its experiment's
preset plus the command line; every script that loads a model reads it back
from the model directory, so no training flag has to be repeated.
"""
import argparse
import dataclasses
import json
import math
import os

from began.errors import ConfigError

CONFIG_FILE = 'model.json'
MIXTURE_SHAPES = ('ring', 'grid')   # began.data.mixture draws both
MMD_SPACES = ('data', 'code')
K_BALANCES = ('difference', 'ratio')   # objective.balance computes both


@dataclasses.dataclass
class Config:
    # Which experiment and which networks.
    experiment: str = 'gaussian_mixture'
    arch: str = 'mlp'              # mlp | blog | paper
    # Data.
    dataset: str = 'mixture'       # mixture | folder | toyfaces
    mixture_shape: str = 'ring'    # ring | grid
    num_mixture: int = 8
    mixture_radius: float = 2.0
    mixture_std: float = 0.04
    image_dir: str = ''
    image_size: int = 96
    num_images: int = 10000
    # Networks.
    n_z: int = 256
    n_h: int = 128
    z_categories: int = 0          # z's first K coordinates: a one-hot category (0: off)
    hidden: int = 64               # mlp: D's width (G gets twice); paper: n
    noise_std: float = 0.1         # Gaussian noise on D's input while training
    weight_std: float = 0.01       # Normal init of weights; 0: Chainer's default
    # Objective and k_t control.
    gamma: float = 0.5
    lambda_k: float = 0.001
    k_init: float = 0.0
    h_penalty: float = 0.0         # weight of mean(h^2) on real data in L_D (0: off)
    # Mode coverage (beyond the post; each off by default).
    k_balance: str = 'difference'  # difference: the post's gamma L(x) - L(G(z)); ratio
    pull_away: float = 0.0         # weight of EBGAN's pull-away term in L_G (0: off)
    latent_recovery: float = 0.0   # weight of BEGAN-CS's |enc(G(z)) - P z| in L_D (0: off)
    code_matching: float = 0.0     # weight of |mean h(G(z)) - mean h(x)|^2 in L_G (0: off)
    margin: float = 0.0            # L_D counts each fake's error up to margin L(x) (0: off)
    mmd: float = 0.0               # weight of MMD^2(G(z), x) in L_G (0: off)
    mmd_space: str = 'data'        # data: MMD between the points; code: between D's codes
    mmd_batch: int = 0             # points a side in the MMD (0: the step's batch)
    # Optimisation.
    batch_size: int = 16
    lr: float = 1e-4
    lr_d: float = 0.0              # D's learning rate (0: lr, as in the post)
    beta1: float = 0.9
    grad_clip: float = 1.0
    lr_patience: int = 0           # halve lr after this many epochs without a better M (0: off)
    anneal_epochs: int = 0         # the last N epochs at a tenth of both learning rates (0: off)
    epochs: int = 200
    updates_per_epoch: int = 500   # mixture only; image epochs are len(data) / batch
    seed: int = 0
    plot_interval: int = 5
    score_samples: int = 10000     # generated images scored at each plot (toyfaces)

    # --- checks ---------------------------------------------------------
    def validate(self):
        """Raise ConfigError naming the first value that cannot work."""
        def need(ok, message):
            if not ok:
                raise ConfigError(message)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type is float:
                need(isinstance(value, (int, float)) and not isinstance(value, bool)
                     and math.isfinite(value),
                     f'{f.name} must be a finite number, got {value!r}')
            elif f.type is int:
                need(isinstance(value, int) and not isinstance(value, bool),
                     f'{f.name} must be an integer, got {value!r}')
            else:
                need(isinstance(value, str), f'{f.name} must be a string, got {value!r}')
        need(self.arch in ('mlp', 'blog', 'paper'),
             f"arch must be 'mlp', 'blog' or 'paper', got {self.arch!r}")
        need(self.dataset in ('mixture', 'folder', 'toyfaces'),
             f"dataset must be 'mixture', 'folder' or 'toyfaces', got {self.dataset!r}")
        need((self.arch == 'mlp') == (self.dataset == 'mixture'),
             f'arch {self.arch!r} does not fit dataset {self.dataset!r}')
        need(0 <= self.gamma <= 1, f'gamma must be in [0, 1], got {self.gamma}')
        need(0 <= self.k_init <= 1, f'k-init must be in [0, 1], got {self.k_init}')
        need(self.lambda_k >= 0, f'lambda-k must be >= 0, got {self.lambda_k}')
        need(self.lr > 0, f'lr must be > 0, got {self.lr}')
        need(self.lr_d >= 0, f'lr-d must be >= 0, got {self.lr_d}')
        need(self.k_balance in K_BALANCES,
             f"k-balance must be 'difference' or 'ratio', got {self.k_balance!r}")
        need(self.mmd_space in MMD_SPACES,
             f"mmd-space must be 'data' or 'code', got {self.mmd_space!r}")
        need(self.mmd == 0 or self.batch_size >= 2,
             f'mmd needs batch-size >= 2, got {self.batch_size}')
        need(0 <= self.z_categories < self.n_z,
             f'z-categories must be in [0, n-z) (some of z stays uniform), got '
             f'{self.z_categories} with n-z {self.n_z}')
        need(self.mmd_batch == 0 or self.mmd_batch >= self.batch_size,
             f'mmd-batch must be 0 or >= batch-size ({self.batch_size}), got {self.mmd_batch}')
        need(self.mixture_shape in MIXTURE_SHAPES,
             f"mixture must be 'ring' or 'grid', got {self.mixture_shape!r}")
        need(self.mixture_shape != 'grid' or math.isqrt(self.num_mixture) ** 2 == self.num_mixture,
             f'a grid needs a square number of modes (num-mixture), got {self.num_mixture}')
        for name in ('pull_away', 'latent_recovery', 'code_matching', 'margin', 'mmd'):
            need(getattr(self, name) >= 0,
                 f"{name.replace('_', '-')} must be >= 0, got {getattr(self, name)}")
        need(0 <= self.beta1 < 1, f'beta1 must be in [0, 1), got {self.beta1}')
        need(self.grad_clip > 0, f'grad-clip must be > 0, got {self.grad_clip}')
        need(self.noise_std >= 0, f'noise-std must be >= 0, got {self.noise_std}')
        need(self.weight_std >= 0, f'weight-std must be >= 0, got {self.weight_std}')
        need(self.h_penalty >= 0, f'h-penalty must be >= 0, got {self.h_penalty}')
        for name in ('n_z', 'n_h', 'hidden', 'batch_size', 'epochs',
                     'updates_per_epoch', 'plot_interval', 'num_mixture',
                     'num_images', 'score_samples'):
            need(getattr(self, name) >= 1,
                 f"{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        need(self.mixture_std > 0, f'mixture-std must be > 0, got {self.mixture_std}')
        need(self.seed >= 0, f'seed must be >= 0, got {self.seed}')
        need(self.lr_patience >= 0, f'lr-patience must be >= 0, got {self.lr_patience}')
        need(0 <= self.anneal_epochs <= self.epochs,
             f'anneal-epochs must be in [0, epochs ({self.epochs})], got {self.anneal_epochs} '
             f'(with fewer --epochs, give a smaller --anneal-epochs too)')
        need(not (self.anneal_epochs and self.lr_patience),
             'anneal-epochs and lr-patience both set the learning rate; use one of them')
        if self.arch == 'blog':
            need(self.image_size >= 16 and self.image_size % 16 == 0,
                 f'size must be a multiple of 16 (>= 16) for the blog networks, '
                 f'got {self.image_size}')
        if self.arch == 'paper':
            need(self.image_size >= 8 and self.image_size % 8 == 0
                 and (self.image_size // 8) & (self.image_size // 8 - 1) == 0,
                 f'size must be 8 times a power of two for the paper networks, '
                 f'got {self.image_size}')
        if self.dataset == 'folder':
            need(bool(self.image_dir), '--image-dir DIR is required (a folder of your '
                                       'images); or use --dataset toyfaces for the built-in faces')
        return self

    # Mode-coverage terms that use D's pass over G(z), or G(z) itself, other
    # than through L(G(z)) (began/gradients.py's shortcut then does not hold).
    FAKE_BRANCH_TERMS = ('margin', 'latent_recovery', 'pull_away', 'code_matching', 'mmd')

    def fake_branch_terms(self):
        """The names of those terms this run turns on."""
        return self._turned_on(self.FAKE_BRANCH_TERMS)

    # Terms that compare the samples of a batch with each other (and the
    # category draw of --z-categories): a data-parallel run would compute
    # them per process, on its share of the batch, so it refuses them.
    BATCH_COUPLED_TERMS = ('margin', 'pull_away', 'code_matching', 'mmd', 'z_categories')

    def batch_coupled_terms(self):
        """The names of those terms this run turns on."""
        return self._turned_on(self.BATCH_COUPLED_TERMS)

    def _turned_on(self, names):
        return [name for name in names if getattr(self, name) > 0]

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


# Command-line spelling of each field, and its help text.
HELP = {
    'arch': "networks: 'blog' (the post's) or 'paper' (the BEGAN paper's)",
    'dataset': "training data: 'folder' (--image-dir) or 'toyfaces' (built in)",
    'mixture_shape': "where the Gaussians sit: 'ring' (the post's) or 'grid' (a square grid)",
    'num_mixture': 'number of Gaussians (a grid: a square number, e.g. 25)',
    'mixture_radius': 'radius of the ring; a grid: its outermost centres at +-this',
    'mixture_std': 'standard deviation of each Gaussian',
    'image_dir': 'folder of training images (any tree of png/jpg/webp/bmp/gif)',
    'image_size': 'image side in pixels (a multiple of 16 for the blog networks)',
    'num_images': 'number of built-in toy faces to draw',
    'n_z': 'dimension of z (the generator input)',
    'n_h': "dimension of h (the auto-encoder's bottleneck)",
    'z_categories': "K > 0: z's first K coordinates are a one-hot of a uniform "
                    "category (its height the norm of the rest of z), so G can give each "
                    "mode its own categories and leave the gaps between modes empty "
                    "(0: z ~ U(-1, 1)^N_z, as in the post)",
    'hidden': "width of the networks (the mixture MLPs' units; --arch paper: filters n)",
    'noise_std': "std of the Gaussian noise added to D's input while training",
    'weight_std': "std of the Normal initialisation of the weights (0: Chainer's default)",
    'gamma': 'diversity ratio E[L(G(z))] / E[L(x)] the k_t control aims at',
    'lambda_k': 'learning rate of k_t',
    'k_init': 'k_0',
    'k_balance': "what k_t's control balances: 'difference' (the post's gamma L(x) - "
                 "L(G(z))) or 'ratio' (gamma - L(G(z)) / L(x): the same balance, its "
                 "steps independent of the losses' scale)",
    'pull_away': "weight of EBGAN's pull-away term (mean squared cosine similarity "
                 "of D's codes of the fake batch), added to L_G (0: off, as in the post)",
    'latent_recovery': "weight of BEGAN-CS's latent constraint mean |enc(G(z)) - P z| "
                       "(P: a fixed projection when N_h != N_z), added to L_D (0: off)",
    'code_matching': "weight of feature matching on D's code, mean over units of "
                     "(mean h(G(z)) - mean h(x))^2 over the batches, added to L_G (0: off)",
    'margin': "EBGAN's margin, tied to the real loss: L_D counts each fake's "
              "reconstruction error only up to this times L(x), so D's push on fakes is "
              "bounded (0: off, the post's unbounded -k L(G(z)))",
    'mmd': "weight of MMD^2 between G(z) and x (a mixture of RBF kernels, widths "
           "scaled to the median distance of the real batch), added to L_G: matches "
           "the whole distribution, which BEGAN's mode-seeking L(G(z)) then sharpens "
           "(0: off, as in the post)",
    'mmd_space': "where --mmd compares: 'data' (the points or images) or 'code' "
                 "(D's code h, as MMD-GAN does)",
    'mmd_batch': "points on each side of the MMD: G(z) of this many z (the step's and "
                 "more), the reals of the last steps (0: the step's batch only)",
    'h_penalty': "weight of mean(h^2) of D's code of real data, added to L_D (0: off, "
                 "as in the post, whose h grew to std ~80; the log's h_std shows it)",
    'batch_size': 'minibatch size (the post: 16; 128 mode-collapsed)',
    'lr': 'Adam learning rate (of G, and of D unless --lr-d)',
    'lr_d': "D's Adam learning rate (0: --lr, as in the post)",
    'beta1': 'Adam beta1',
    'grad_clip': 'gradient norm clipping threshold',
    'lr_patience': 'halve the learning rate after this many epochs without a lower '
                   'M_global, as the paper does (0: never)',
    'anneal_epochs': 'train the last N epochs at a tenth of both learning rates, which '
                     'sharpens the modes G found (0: off, as in the post)',
    'epochs': 'number of epochs',
    'updates_per_epoch': 'updates per epoch (mixture experiment)',
    'seed': 'random seed (same seed, same run on CPU)',
    'plot_interval': 'draw pictures at epoch 1 and every this many epochs',
    'score_samples': 'generated faces scored for mode coverage at each plot (toyfaces)',
}
CLI_NAME = {'image_size': 'size', 'mixture_shape': 'mixture'}


# What each experiment offers on its command line: its own fields, and the
# choices of arch and dataset that mean something to it (a field with one
# choice is not offered). Every other field is shared.
EXPERIMENT_NAMES = {'gaussian_mixture': 'the 8-Gaussian experiment (train_gaussian_mixture/)',
                    'animeface': 'the anime-face experiment (train_animeface/)'}
OWN_FIELDS = {
    'gaussian_mixture': ('mixture_shape', 'num_mixture', 'mixture_radius', 'mixture_std',
                         'updates_per_epoch'),
    'animeface': ('image_dir', 'image_size', 'num_images', 'score_samples'),
}
CHOICES = {
    'gaussian_mixture': {'arch': ('mlp',), 'dataset': ('mixture',), 'mixture_shape': MIXTURE_SHAPES,
                         'k_balance': K_BALANCES, 'mmd_space': MMD_SPACES},
    'animeface': {'arch': ('blog', 'paper'), 'dataset': ('folder', 'toyfaces'),
                  'k_balance': K_BALANCES, 'mmd_space': MMD_SPACES},
}


def flag(name):
    """The command-line spelling of a Config field."""
    return '--' + CLI_NAME.get(name, name).replace('_', '-')


def offered(experiment, name):
    """Whether ``experiment``'s scripts offer the field ``name`` as an option."""
    if name == 'experiment':
        return False
    if any(name in own for other, own in OWN_FIELDS.items() if other != experiment):
        return False
    return len(CHOICES.get(experiment, {}).get(name, (None, None))) > 1


class ForeignOption(argparse.Action):
    """An option of the other experiment: one clear error, never ignored."""

    def __init__(self, option_strings, dest, owner='', **kwargs):
        self.owner = owner
        super().__init__(option_strings, dest, nargs='?', help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f'{option_string} is an option of {EXPERIMENT_NAMES[self.owner]}, '
                     f'not of this one')


def add_arguments(parser, preset):
    """Add one --option per Config field this experiment offers, defaulting to
    its preset; the other experiment's options are refused by name."""
    experiment = preset['experiment']
    defaults = Config(**preset)
    choices = CHOICES.get(experiment, {})
    for f in dataclasses.fields(Config):
        if offered(experiment, f.name):
            parser.add_argument(flag(f.name), dest=f.name, type=f.type,
                                default=getattr(defaults, f.name), choices=choices.get(f.name),
                                help=f'{HELP.get(f.name, f.name)} (default: %(default)s)')
    for owner, own in OWN_FIELDS.items():
        if owner != experiment:
            for name in own:
                parser.add_argument(flag(name), dest=f'foreign_{name}', owner=owner,
                                    action=ForeignOption)


def from_args(args, preset):
    """The Config of a parsed command line, validated."""
    values = dict(preset)
    for f in dataclasses.fields(Config):
        if offered(preset['experiment'], f.name) and hasattr(args, f.name):
            values[f.name] = getattr(args, f.name)
    return Config(**values).validate()
