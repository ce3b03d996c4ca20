"""pictures/mixture.py: the scores a picture's title and the log show are
those compare.py and the benchmark compute."""
import os

import chainer
import numpy

from began.data.mixture import mode_centers
from began.pictures.mixture import draw, sample_metrics
from began.nets import build_models
from conftest import tiny_mixture_config


class CategoryToPoint(chainer.Link):
    """A G whose point is its category's mode (categories 0-3) or the origin
    (4-7): how many points are high quality depends on the categories drawn."""

    def forward(self, z):
        category = chainer.as_array(z)[:, :8].argmax(axis=1)
        points = numpy.where((category < 4)[:, None], mode_centers()[category], 0.0)
        return chainer.Variable(points.astype(numpy.float32))


def test_the_pictures_score_the_samples_compare_scores(tmp_path):
    # With --z-categories, the first 2,500 of the picture's 10,000 z have
    # other categories than scored_samples' 2,500: the scores used to differ
    # (94.0% against 94.7% high quality on the demo's covering run).
    config = tiny_mixture_config(n_z=16, z_categories=8)
    dis = build_models(config)[1]
    gen = CategoryToPoint()
    metrics, paths = draw(config, gen, dis, str(tmp_path), 'final')
    assert metrics['high_quality'] == sample_metrics(config, gen)['high_quality']
    assert 40 < metrics['high_quality'] < 60   # about half the categories land on a mode
    assert all(os.path.exists(p) for p in paths)
