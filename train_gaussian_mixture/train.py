"""Experiment 1 of the post: BEGAN on a ring of 8 Gaussians (or a grid of them).

    python train.py                 # CPU; the spec's defaults
    python train.py --epochs 10     # a short run
    python train.py --resume        # continue from the newest snapshot
    python train.py --preset covering   # the options that cover the modes
"""
from began.cli import guarded, train_main
from began.data.mixture import MixtureIterator
from began.pictures.mixture import MixturePictures

# The spec's experiment 1. N_z = 256 on purpose: it makes mode collapse likely.
PRESET = dict(
    arch='mlp', dataset='mixture', num_mixture=8, mixture_radius=2.0, mixture_std=0.04,
    n_z=256, n_h=128, hidden=64, noise_std=0.1, weight_std=0.0,
    gamma=0.5, lambda_k=0.001, batch_size=16, lr=1e-4, beta1=0.9, grad_clip=1.0,
    epochs=200, updates_per_epoch=500, plot_interval=5,
)
# --preset covering: the changes that covered the modes best in
# benchmarks/mode_coverage.py (benchmarks/results/mode_coverage/README.md
# has every configuration tried). z's first 200 coordinates are a one-hot
# category, so G need not map a continuous z across the empty gaps between
# modes (many more categories than any benchmark's modes: G gives each mode
# several, none straddles two); G's loss adds the MMD between 256 of its
# points and the last 256 real ones, which a G missing a mode cannot make
# small; batches of 64; G learns 10 times faster than D; the last 2,000 of
# the 14,000 updates run at a tenth of both rates, which sharpens the modes.
PRESETS = {
    'covering': dict(z_categories=200, batch_size=64, mmd=1.0, mmd_batch=256, lr=1e-3,
                     lr_d=1e-4, epochs=28, anneal_epochs=4, plot_interval=4),
}


def make_data(config, progress=True):
    iterator = MixtureIterator(config.batch_size, config.updates_per_epoch, config.seed,
                               config.num_mixture, config.mixture_radius, config.mixture_std,
                               config.mixture_shape)
    return iterator, None


def make_pictures(config, plot_dir, dataset):
    return [MixturePictures(config, plot_dir)]


@guarded
def main(argv=None):
    """Train BEGAN on a mixture of Gaussians on a ring."""
    return train_main('gaussian_mixture', PRESET, make_data, make_pictures, argv,
                      description=__doc__.splitlines()[0], presets=PRESETS)


if __name__ == '__main__':
    main()
