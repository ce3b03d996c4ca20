"""nets/invert.py: z for a given image takes z's gradient alone, none of G's."""
import chainer
import chainer.functions as F
import numpy

from began.config import Config
from began.nets import build_models
from began.nets.invert import invert, starting_z
from began.nets.sampling import generate
from began.rng import category_scale, random_state, sample_z


def small_generator():
    config = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=4, n_h=8).validate()
    return build_models(config)[0]


def test_inversion_takes_no_weight_gradients(monkeypatch):
    gen = small_generator()
    gen.cleargrads()   # (a new Link's gradients are NaN placeholders)
    params = {id(p.node): name for name, p in gen.namedparams()}
    targeted = []
    step = chainer._backprop_utils.backprop_step

    def spy(func, indexes, *args):
        targeted.extend(params[id(func.inputs[i])] for i in indexes
                        if id(func.inputs[i]) in params)
        return step(func, indexes, *args)
    monkeypatch.setattr(chainer._backprop_utils, 'backprop_step', spy)
    x = numpy.random.RandomState(0).uniform(-1, 1, (2, 3, 16, 16)).astype(numpy.float32)
    z, error = invert(gen, x, steps=4)
    assert targeted == []   # no backward step computed a gradient for G's weights
    assert all(p.grad is None for p in gen.params())
    start = sample_z(random_state(numpy, 0, 'plot', 4), 1, 4, 0)
    assert not numpy.allclose(z, start) and numpy.isfinite(error).all()


def test_inversion_follows_the_full_backward_pass():
    # The same Adam steps as backpropagating into everything, to float rounding.
    gen = small_generator()
    x = numpy.random.RandomState(1).uniform(-1, 1, (2, 3, 16, 16)).astype(numpy.float32)
    z, _ = invert(gen, x, steps=5)
    holder = chainer.Link()
    with holder.init_scope():
        holder.z = chainer.Parameter(   # one candidate: both images start from it
            numpy.repeat(sample_z(random_state(numpy, 0, 'plot', 4), 1, 4, 0), 2, axis=0))
    optimizer = chainer.optimizers.Adam(alpha=0.05)
    optimizer.setup(holder)
    with chainer.using_config('train', False):
        for _ in range(5):
            holder.cleargrads()
            gen.cleargrads()
            F.mean_absolute_error(gen(holder.z), x).backward()
            optimizer.update()
            numpy.clip(holder.z.array, -1, 1, out=holder.z.array)
    numpy.testing.assert_allclose(z, holder.z.array, rtol=1e-5, atol=1e-6)


def test_inversion_keeps_the_one_hot_part_in_the_prior():
    # --z-categories: z's first entries stay in [0, scale], the rest in [-1, 1].
    config = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=8, n_h=8, z_categories=4).validate()
    gen = build_models(config)[0]
    x = numpy.random.RandomState(2).uniform(-1, 1, (3, 3, 16, 16)).astype(numpy.float32)
    z, _ = invert(gen, x, steps=30, lr=5.0, categories=4)   # steps long enough to hit the walls
    scale = category_scale(8, 4)
    assert (z[:, :4] >= 0).all() and (z[:, :4] <= scale).all()
    assert (z[:, :4] == 0).any() and (abs(z[:, 4:]) == 1).any()   # the walls were reached


def test_each_image_starts_from_the_closest_candidate():
    # Images G draws from two of the candidates, in reverse order: each
    # inversion starts at its own image's z, where |x - G(z)| is 0. (Chainer's
    # default weights: G's images differ with z more than at std 0.01.)
    config = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=8, n_h=8, z_categories=4, weight_std=0.0).validate()
    gen = build_models(config)[0]
    pool = sample_z(random_state(numpy, 3, 'plot', 4), 50, 8, 4)
    x = generate(gen, pool[[17, 5]])
    start = starting_z(gen, x, 8, 4, seed=3, candidates=50)
    numpy.testing.assert_array_equal(start, pool[[17, 5]])
    z, error = invert(gen, x, steps=0, seed=3, categories=4, candidates=50)
    numpy.testing.assert_array_equal(z, pool[[17, 5]])
    assert (error < 1e-6).all()
    _, from_one = invert(gen, x, steps=0, seed=3, categories=4, candidates=1)
    assert (from_one > 1e-3).all()   # a single random start is not there
