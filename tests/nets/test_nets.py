import chainer
import numpy
import pytest

from began.config import Config
from began.nets import build_models


def assert_image_shapes(config):
    """G(z), D's code, its decoding and D(x) have the shapes ``config`` names."""
    gen, dis = build_models(config)
    size = config.image_size
    z = numpy.random.uniform(-1, 1, (2, config.n_z)).astype(numpy.float32)
    x = gen(z)
    assert x.shape == (2, 3, size, size)
    h = dis.encode(x)
    assert h.shape == (2, config.n_h)
    assert dis.decode(h).shape == (2, 3, size, size)
    assert dis(x).shape == (2, 3, size, size)
    return gen, dis


@pytest.mark.parametrize('size', [16, 32, 48, 96])
def test_blog_network_shapes(size):
    assert_image_shapes(Config(experiment='animeface', arch='blog', dataset='toyfaces',
                               image_size=size, n_z=50, n_h=32).validate())


def test_blog_networks_follow_the_post():
    config = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=96,
                    n_z=50, n_h=2048).validate()
    gen, dis = build_models(config)
    assert [c.W.shape for c in dis.convs] == [(32, 3, 4, 4), (64, 32, 4, 4),
                                              (128, 64, 4, 4), (256, 128, 4, 4)]
    assert dis.to_h.W.shape == (2048, 256 * 6 * 6)
    assert dis.from_h.linear.W.shape == (256 * 6 * 6, 2048)
    assert gen.stack.linear.W.shape == (512 * 6 * 6, 50)
    # pixel shufflers: conv to 4x the output channels, then depth-to-space
    assert [s.conv.W.shape[:2] for s in gen.stack.shufflers] == [
        (256 * 4, 512), (128 * 4, 256), (64 * 4, 128), (3 * 4, 64)]
    assert [s.conv.W.shape[:2] for s in dis.from_h.shufflers] == [
        (128 * 4, 256), (64 * 4, 128), (32 * 4, 64), (3 * 4, 32)]
    # Normal(0.01) initialisation
    assert abs(float(dis.convs[1].W.array.std()) - 0.01) < 0.002


def test_mlp_shapes_follow_the_spec():
    config = Config().validate()   # the mixture defaults
    gen, dis = build_models(config)
    assert [l.W.shape for l in dis.encoder] == [(64, 2), (64, 64), (128, 64)]
    assert [l.W.shape for l in dis.decoder] == [(64, 128), (64, 64), (2, 64)]
    assert [l.W.shape for l in gen.net] == [(128, 256), (128, 128), (2, 128)]
    with chainer.using_config('train', False):
        assert gen(numpy.zeros((3, 256), numpy.float32)).shape == (3, 2)


@pytest.mark.parametrize('skip', [False, True])
@pytest.mark.parametrize('size', [8, 16, 32, 64, 128])
def test_paper_network_shapes(size, skip):
    # narrow (n = 4 at 64 and 128 px): the shapes are the point
    config = Config(experiment='animeface', arch='paper', dataset='toyfaces', image_size=size,
                    n_z=16, n_h=16, hidden=8 if size <= 32 else 4, weight_std=0.0,
                    skip=skip).validate()
    gen, dis = assert_image_shapes(config)
    # filters grow linearly down to the 8x8 bottleneck; no batch norm anywhere
    assert dis.to_h.W.shape[1] == config.hidden * (len(dis.downs) + 1) * 8 * 8
    assert not any(isinstance(l, chainer.links.BatchNormalization) for l in dis.links())


def test_paper_size_must_be_8_times_a_power_of_two():
    from began.errors import ConfigError
    with pytest.raises(ConfigError, match='8 times a power of two'):
        Config(experiment='animeface', arch='paper', dataset='toyfaces', image_size=48).validate()


def test_initial_weights_follow_the_seed():
    from conftest import tiny_mixture_config
    a, _ = build_models(tiny_mixture_config(seed=1))
    b, _ = build_models(tiny_mixture_config(seed=1))
    c, _ = build_models(tiny_mixture_config(seed=2))
    pa, pb, pc = (dict(m.namedparams()) for m in (a, b, c))
    assert all(numpy.array_equal(pa[n].array, pb[n].array) for n in pa)
    assert not all(numpy.array_equal(pa[n].array, pc[n].array) for n in pa)


def test_invert_keeps_z_in_the_prior_with_the_devices_array_module():
    # On a GPU z lives on the device while the Link holding it was made on
    # the CPU: its clip must come from the generator's device, not the Link.
    from began.nets.invert import invert

    class CountingXp:
        clips = 0

        def __getattr__(self, name):
            return getattr(numpy, name)

        def clip(self, *args, **kwargs):
            CountingXp.clips += 1
            return numpy.clip(*args, **kwargs)

    class Device:  # the generator's CPU device, with the counting module
        def __init__(self, device):
            self.device, self.xp = device, CountingXp()

        def __getattr__(self, name):
            return getattr(self.device, name)

    config = Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=16,
                    n_z=4, n_h=8).validate()
    gen, _ = build_models(config)
    gen._device = Device(gen.device)
    x = numpy.random.RandomState(0).uniform(-1, 1, (2, 3, 16, 16)).astype(numpy.float32)
    z, error = invert(gen, x, steps=3, lr=5.0)   # steps this long leave [-1, 1] unclipped
    assert CountingXp.clips == 3
    assert z.shape == (2, 4) and numpy.abs(z).max() <= 1 and numpy.isfinite(error).all()
