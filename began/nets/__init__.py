"""The networks: the mixture MLPs, the post's conv nets, the BEGAN paper's
nets, and `build_models(config)`, the (generator, discriminator) pair a
Config describes."""
import chainer
import numpy

from began.nets.blog import BlogAutoEncoder, BlogGenerator
from began.nets.mlp import MLPAutoEncoder, MLPGenerator
from began.rng import derive_seed


def category_weights(generator):
    """A self-conditioned G's prior over its categories (K shares), or None:
    categories uniform."""
    return getattr(generator, 'category_weights', None)


def build_models(config):
    """(generator, discriminator) for ``config.arch``, initialised from
    ``config.seed``: the same config gives the same initial weights."""
    # Chainer's initialisers draw from NumPy's global generator.
    state = numpy.random.get_state()
    numpy.random.seed(derive_seed(config.seed, 'init'))
    try:
        gen, dis = _build(config)
        if config.info_head > 0:
            # InfoGAN's Q on D's code: D's own link, so D's optimizer,
            # the snapshot and discriminator.npz hold it.
            with dis.init_scope():
                dis.info_head = chainer.links.Linear(config.n_h, config.z_categories)
        if config.self_condition:
            # G's prior over its categories (began/coverage/clusters.py): a
            # persistent, so generator.npz and the snapshot hold it.
            k = config.z_categories
            gen.add_persistent('category_weights', numpy.full(k, 1 / k, numpy.float32))
        return gen, dis
    finally:
        numpy.random.set_state(state)


def _build(config):
    if config.arch == 'mlp':
        return (MLPGenerator(config.n_z, config.hidden, 2, config.weight_std),
                MLPAutoEncoder(config.n_h, config.hidden, 2, config.weight_std))
    if config.arch == 'blog':
        return (BlogGenerator(config.n_z, config.image_size, config.weight_std),
                BlogAutoEncoder(config.n_h, config.image_size, config.weight_std))
    if config.arch == 'paper':
        from began.nets.paper import PaperAutoEncoder, PaperGenerator
        return (PaperGenerator(config.n_z, config.image_size, config.hidden,
                               config.weight_std, config.skip),
                PaperAutoEncoder(config.n_h, config.image_size, config.hidden,
                                 config.weight_std, config.skip))
    raise ValueError(f'unknown arch {config.arch!r}')
