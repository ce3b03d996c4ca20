"""The face score and sample grid of a model directory, a stopped run's too
(not a test).

    python benchmarks/face_score.py MODEL_DIR OUT_DIR

What the training's pictures would score and draw at that point: G on the
same fixed z (10,000 scored: face_modes, face_clean, face_kl; 100 in a 10x10
grid). Writes OUT_DIR/{score.json, samples.png}; the iteration is the
newest snapshot's.
"""
import argparse
import json
import os

import began  # noqa: F401  (its compat shims run before chainer loads)
from began.metrics.face_modes import report
from began.nets.sampling import fixed_z, generate
from began.pictures.grids import tile, to_uint8_images
from began.pictures.images import save
from began.training.model_dir import load_model_dir
from began.training.snapshots import read_snapshot, snapshot_files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model_dir')
    parser.add_argument('out')
    parser.add_argument('--samples', type=int, default=10000)
    args = parser.parse_args()
    config, generator, _ = load_model_dir(args.model_dir, 'animeface')
    iteration = int(read_snapshot(snapshot_files(args.model_dir)[0])['updater/iteration'])
    score = report(generate(generator, fixed_z(config, args.samples, key=1,
                                               generator=generator)))
    result = dict(iteration=iteration, **{k: float(v) for k, v in score.items()})
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'score.json'), 'w') as f:
        json.dump(result, f, indent=2)
    grid = tile(to_uint8_images(generate(generator, fixed_z(config, 100, generator=generator))),
                10, 10)
    save(grid, os.path.join(args.out, 'samples.png'), config.image_size)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
