"""Samples of several trained toy-face models side by side, each captioned
with its mode coverage (e.g. the post's configuration beside the covering
one).

    python compare.py --model-dirs post/model covering/model --labels post covering \\
        --out compare.png
"""
from began.cli import compare_args, guarded


@guarded
def main(argv=None):
    args, labels = compare_args(__doc__.splitlines()[0], argv)
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
