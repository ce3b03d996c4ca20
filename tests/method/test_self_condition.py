"""--self-condition: the reals' clusters become the fakes' categories, each
cluster's fakes are compared with its reals only, and G draws its
categories in the clusters' shares."""
import chainer
import numpy
import pytest

from began.config import Config
from began.coverage import terms
from began.coverage.clusters import OnlineClusters
from began.errors import ConfigError
from began.nets import build_models, category_weights
from began.nets.sampling import fixed_z
from began.rng import random_state, sample_z


def codes(rs, centres, per_centre):
    """Points around each centre (rows), 0.01 apart: well separated clusters."""
    return numpy.concatenate([c + rs.normal(0, 0.01, (per_centre, len(c)))
                              for c in centres]).astype(numpy.float32)


def test_the_first_reals_seed_the_centroids_then_each_real_goes_to_its_nearest():
    rs = numpy.random.RandomState(0)
    centres = numpy.array([[0, 0], [5, 0], [0, 5]], numpy.float32)
    clusters, weights = OnlineClusters(3), numpy.full(3, 1 / 3, numpy.float32)
    seeds = numpy.array([[0, 0], [5, 0], [0, 5]], numpy.float32)
    assert list(clusters.assign(seeds, weights)) == [0, 1, 2]
    batch = codes(rs, centres[[2, 0, 1, 2]], 4)   # four of each, in that order
    assert list(clusters.assign(batch, weights)) == [2] * 4 + [0] * 4 + [1] * 4 + [2] * 4


def test_the_prior_follows_the_clusters_shares_and_sums_to_one():
    rs = numpy.random.RandomState(1)
    centres = numpy.array([[0, 0], [5, 0], [0, 5], [5, 5]], numpy.float32)
    clusters, weights = OnlineClusters(4), numpy.full(4, 1 / 4, numpy.float32)
    clusters.assign(centres, weights)
    for _ in range(1000):   # cluster 3 empty, 0 holding half the reals
        clusters.assign(codes(rs, centres[[0, 0, 1, 2]], 4), weights)
    numpy.testing.assert_allclose(weights, [0.5, 0.25, 0.25, 0], atol=1e-3)
    assert abs(weights.sum() - 1) < 1e-5


def test_the_centroids_follow_drifting_codes():
    # D's codes move as D trains: a centroid must follow its reals.
    rs = numpy.random.RandomState(2)
    clusters, weights = OnlineClusters(2), numpy.full(2, 0.5, numpy.float32)
    clusters.assign(numpy.array([[0, 0], [10, 0]], numpy.float32), weights)
    for step in range(200):
        shift = numpy.float32(step * 0.05)
        labels = clusters.assign(codes(rs, numpy.array([[0, shift], [10, shift]]), 4), weights)
        assert list(labels) == [0] * 4 + [1] * 4
    numpy.testing.assert_allclose(clusters.centroids[:, 1], [199 * 0.05] * 2, atol=0.5)


def test_the_category_mmd_compares_each_category_with_its_own_reals():
    rs = numpy.random.RandomState(3)
    real = rs.normal(0, 1, (6, 4)).astype(numpy.float32)
    labels = numpy.array([0, 0, 1, 1, 2, 2])
    same = labels[:, None] == labels[None, :]
    # Each category's fakes on its own reals, against the same fakes with
    # the categories' reals swapped round: only the MMD by category tells.
    matched = real + rs.normal(0, 0.01, real.shape).astype(numpy.float32)
    swapped = matched[[2, 3, 4, 5, 0, 1]]
    by_category = [float(terms.mmd(chainer.Variable(f), real, 1.0, same=same).array)
                   for f in (matched, swapped)]
    whole = [float(terms.mmd(chainer.Variable(f), real, 1.0).array) for f in (matched, swapped)]
    assert by_category[1] > by_category[0] + 0.05
    assert abs(whole[1] - whole[0]) < 1e-5
    # Every pair of one category: the plain MMD.
    all_same = numpy.ones((6, 6), bool)
    assert float(terms.mmd(chainer.Variable(swapped), real, 1.0, same=all_same).array) == \
        pytest.approx(whole[1], abs=1e-6)


def test_categories_of_one_pull_each_fake_toward_its_own_real_at_full_strength():
    # Each category's MMD weighted by its share: with a category a pair, the
    # term is 2 - 2/n sum_i k(f_i, r_i), each fake's pull as strong as a
    # plain MMD's over the whole batch, not 1/n of it.
    rs = numpy.random.RandomState(4)
    real = rs.normal(0, 1, (8, 3)).astype(numpy.float32)
    fake = chainer.Variable(real + rs.normal(0, 0.3, real.shape).astype(numpy.float32))
    value = terms.mmd(fake, real, 1.0, same=numpy.eye(8, dtype=bool))
    d2 = terms.squared_distances(real, real)
    median2 = float(terms.median_squared_distance(real, d2))
    pair_d2 = ((fake.array - real) ** 2).sum(axis=1)
    k = numpy.mean([numpy.exp(-pair_d2 / (2 * s * s * median2)) for s in terms.MMD_SCALES],
                   axis=0)
    assert float(value.array) == pytest.approx(2 - 2 * k.mean(), rel=1e-5)


def test_weights_draw_the_categories_in_their_shares_and_none_draws_as_before():
    rs = lambda: random_state(numpy, 0, 'plot', 1)  # noqa: E731
    weights = numpy.array([0.7, 0, 0.3, 0], numpy.float32)
    z = sample_z(rs(), 4000, 10, 4, weights=weights)
    counts = numpy.bincount(z[:, :4].argmax(axis=1), minlength=4) / 4000
    numpy.testing.assert_allclose(counts, weights, atol=0.03)
    assert (z[:, :4] > 0).sum(axis=1).tolist() == [1] * 4000
    # No weights: the uniform draws every earlier run made.
    numpy.testing.assert_array_equal(sample_z(rs(), 50, 10, 4),
                                     sample_z(rs(), 50, 10, 4, weights=None))


def test_a_self_conditioned_generator_carries_its_prior_and_pictures_draw_from_it():
    config = Config(experiment='gaussian_mixture', arch='mlp', dataset='mixture',
                    z_categories=4, mmd=1.0, self_condition=True)
    gen, _ = build_models(config)
    numpy.testing.assert_allclose(category_weights(gen), [0.25] * 4)
    gen.category_weights[:] = [0, 1, 0, 0]
    z = fixed_z(config, 100, generator=gen)
    assert (z[:, :4].argmax(axis=1) == 1).all()
    plain, _ = build_models(config.replace(self_condition=False))
    assert category_weights(plain) is None


@pytest.mark.parametrize('changes,needs', [
    (dict(z_categories=0, mmd=1.0), '--z-categories >= 2'),
    (dict(z_categories=4, mmd=0.0), '--mmd > 0'),
    (dict(z_categories=4, mmd=1.0, mmd_batch=32), '--mmd-batch 0'),
])
def test_self_condition_says_what_it_needs(changes, needs):
    config = Config(experiment='gaussian_mixture', arch='mlp', dataset='mixture',
                    self_condition=True, **changes)
    with pytest.raises(ConfigError, match=needs.replace('+', r'\+')):
        config.validate()
