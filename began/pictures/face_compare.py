"""Samples of several trained toy-face models side by side, each captioned
with its mode coverage (face_modes, face_clean, face_kl): the faces'
counterpart of the mixture's compare.png (the post's configuration beside
the covering one)."""
import os

from matplotlib.figure import Figure

from began.metrics.face_modes import NUM_MODES, report
from began.nets.sampling import fixed_z, generate
from began.pictures import grids


def scored_faces(config, generator, n=None):
    """``n`` samples of G (default: the Config's score_samples) and their
    face score: the z the training log's score uses (key 1), so the caption
    of a trained model is its log's last score."""
    fake = generate(generator, fixed_z(config, n or config.score_samples, key=1,
                                              generator=generator))
    return fake, report(fake)


def caption(label, scores):
    """Two lines: the label, then the three scores (face_kl n/a when no face
    reads cleanly)."""
    kl = scores.get('face_kl')
    return (f'{label}\nface_modes {scores["face_modes"]}/{NUM_MODES}, '
            f'face_clean {scores["face_clean"]:.1f}%, '
            f'face_kl {"n/a" if kl is None else f"{kl:.2f}"}')


def side_by_side(path, panels, rows=6, cols=6, suptitle=''):
    """One picture: for each (caption, images (N, 3, H, W) in [-1, 1]) a
    grid of its first rows x cols images, side by side, the caption above."""
    fig = Figure(figsize=(3.6 * len(panels), 4.0))
    for i, (title, images) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        ax.imshow(grids.tile(grids.to_uint8_images(images[:rows * cols]), rows, cols),
                  interpolation='nearest')
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=90)
    return path
