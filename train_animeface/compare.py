"""Samples of several trained toy-face models side by side, each captioned
with its mode coverage (e.g. the post's configuration beside the covering
one).

    python compare.py --model-dirs post/model covering/model --labels post covering \\
        --out compare.png
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from began.cli import ArgumentParser, check_writable, guarded  # noqa: E402
from began.errors import ConfigError  # noqa: E402


@guarded
def main(argv=None):
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model-dirs', nargs='+', required=True,
                        help='model directories written by train.py (toy faces)')
    parser.add_argument('--labels', nargs='+', help='a caption for each (default: the folders)')
    parser.add_argument('--out', default='plot/compare.png',
                        help='picture to write (default: %(default)s)')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    labels = args.labels or args.model_dirs
    if len(labels) != len(args.model_dirs):
        raise ConfigError(f'{len(args.model_dirs)} model directories but {len(labels)} labels')
    check_writable(os.path.dirname(os.path.abspath(args.out)), 'output folder')

    from began.pictures.face_compare import caption, scored_faces, side_by_side
    from began.training.model_dir import load_model_dir
    panels = []
    for model_dir, label in zip(args.model_dirs, labels):
        config, generator, _ = load_model_dir(model_dir, 'animeface')
        fake, scores = scored_faces(config, generator)
        panels.append((caption(label, scores), fake))
        print(caption(label, scores).replace('\n', ': '))
    path = side_by_side(args.out, panels,
                        suptitle=f'{config.score_samples} samples of G scored each')
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
