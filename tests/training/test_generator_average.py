"""--g-ema: the average of G's weights is the documented weighted mean of
every update's G, batch-norm statistics included."""
import types

import numpy

from began.config import Config
from began.nets import build_models
from began.training.average import GeneratorAverage, _arrays


def faces_generator():
    config = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=8, n_h=8, hidden=4).validate()
    return build_models(config)[0]


def test_the_average_weighs_each_update_by_its_decay():
    generator = faces_generator()
    start = [current.copy() for _, current in _arrays(generator, generator)]
    average = GeneratorAverage(generator, decay=0.6)
    expected = [a.astype(numpy.float64) for a in start]
    rng = numpy.random.RandomState(0)
    for t in range(1, 6):  # t = 1, 2: the warm-up's (1 + t) / (10 + t) is smaller than 0.6
        for _, current in _arrays(generator, generator):
            current[...] = rng.standard_normal(current.shape)
        trainer = types.SimpleNamespace(updater=types.SimpleNamespace(iteration=t))
        average(trainer)
        d = min(0.6, (1 + t) / (10 + t))
        expected = [d * e + (1 - d) * c for e, (_, c) in zip(expected,
                                                               _arrays(generator, generator))]
    pairs = list(_arrays(average.average, generator))
    # every weight and bias (batch norm's gamma and beta too), and each batch
    # norm's running mean and variance
    batch_norms = sum(1 for _, link in generator.namedlinks() if hasattr(link, 'avg_mean'))
    assert batch_norms > 0
    assert len(pairs) == len(expected) == len(list(generator.params())) + 2 * batch_norms
    for (mine, _), e in zip(pairs, expected):
        numpy.testing.assert_allclose(mine, e, rtol=1e-5, atol=1e-6)
    average.restart()
    for mine, current in _arrays(average.average, generator):
        numpy.testing.assert_array_equal(mine, current)
