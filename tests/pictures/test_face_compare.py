"""The faces' side-by-side picture and its captions, on real toy faces."""
import numpy
from PIL import Image

from began.data.toyfaces import make_toyfaces
from began.metrics.face_modes import report
from began.pictures.face_compare import caption, side_by_side


def test_captions_and_panels(tmp_path):
    images, _ = make_toyfaces(40, 32, seed=3)
    as_g = images.transpose(0, 3, 1, 2).astype(numpy.float32) / 127.5 - 1   # G's layout
    scores = report(as_g)
    text = caption('real faces', scores)
    assert text.startswith('real faces\nface_modes ')
    assert f'face_clean {scores["face_clean"]:.1f}%' in text and scores['face_clean'] > 90
    assert 'face_kl n/a' in caption('noise', {'face_modes': 0, 'face_clean': 0.0})
    path = side_by_side(str(tmp_path / 'pair.png'), [(text, as_g), ('noise', -as_g)], 4, 4)
    picture = Image.open(path)
    assert picture.width > 1.5 * picture.height
