"""CPU seconds per BEGAN update of each experiment (not a test).

    python benchmarks/bench_steps.py                 # mixture and 32/64/96 px faces
    python benchmarks/bench_steps.py --sizes 96 --steps 5

Measures updater.update() alone (no pictures, no snapshots) after one
warm-up step, with the experiments' default networks and batch 16.
"""
import argparse
import os
import tempfile
import time

import chainer

from began.config import Config
from began.data.image_sets import image_dataset, image_iterator
from began.data.mixture import MixtureIterator
from began.nets import build_models
from began.training.trainer import build_trainer


def seconds_per_update(config, iterator, steps):
    gen, dis = build_models(config)
    with tempfile.TemporaryDirectory() as out:
        trainer = build_trainer(config, iterator, gen, dis, chainer.get_device('@numpy'),
                                os.path.join(out, 'm'), os.path.join(out, 'p'), progress=False)
        trainer.updater.update()
        start = time.perf_counter()
        for _ in range(steps):
            trainer.updater.update()
        return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='*', default=[32, 64, 96])
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--mixture-steps', type=int, default=1000)
    args = parser.parse_args()
    chainer.config.type_check = False
    if args.mixture_steps:
        config = Config().validate()
        it = MixtureIterator(16, 500)
        s = seconds_per_update(config, it, args.mixture_steps)
        print(f'mixture (MLP, batch 16): {1000 * s:.1f} s per 1,000 updates', flush=True)
    for size in args.sizes:
        config = Config(experiment='animeface', arch='blog', dataset='toyfaces',
                        image_size=size, num_images=64, n_z=50, n_h=2048, noise_std=0.3,
                        weight_std=0.01, beta1=0.5).validate()
        dataset = image_dataset(config)
        s = seconds_per_update(config, image_iterator(dataset, config), args.steps)
        print(f'blog nets {size}x{size} (batch 16, N_h 2048): {s:.2f} s per update',
              flush=True)


if __name__ == '__main__':
    main()
