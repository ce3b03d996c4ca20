"""Finding z for a given image: minimise |x - G(z)| over z with Adam, as
the BEGAN paper does to interpolate between real images, from the closest
of many draws of the prior."""
import chainer
import chainer.functions as F
import numpy

from began.nets import category_weights
from began.nets.sampling import generate
from began.rng import category_scale, random_state, sample_z


def invert(generator, x, steps=500, lr=0.05, seed=0, categories=0, candidates=1):
    """z (kept in the prior's support: [-1, 1], and [0, scale] for the one-hot
    part of --z-categories) whose G(z) is closest to each image of x
    (N, 3, H, W) in [-1, 1]; returns (z, mean absolute error per image).
    Each image starts from the closest of ``candidates`` draws of the prior."""
    device = generator.device
    n_z = generator_n_z(generator)
    start = starting_z(generator, x, n_z, categories, seed, candidates)
    x = device.send(numpy.asarray(x, numpy.float32))
    low = numpy.full(n_z, -1, numpy.float32)
    high = numpy.ones(n_z, numpy.float32)
    low[:categories], high[:categories] = 0, category_scale(n_z, categories)
    holder = chainer.Link()
    with holder.init_scope():
        holder.z = chainer.Parameter(device.send(start))
    low, high = device.send(low), device.send(high)
    optimizer = chainer.optimizers.Adam(alpha=lr)
    optimizer.setup(holder)
    with chainer.using_config('train', False):
        for _ in range(steps):
            # z's gradient alone: chainer.grad backpropagates only along the
            # paths from z, so none of G's weight gradients is computed.
            gz, = chainer.grad([F.mean_absolute_error(generator(holder.z), x)], [holder.z])
            holder.z.grad = gz.array
            optimizer.update()
            device.xp.clip(holder.z.array, low, high, out=holder.z.array)
        with chainer.no_backprop_mode():
            error = F.mean(abs(generator(holder.z) - x), axis=(1, 2, 3))
    cpu = chainer.backend.CpuDevice()
    return cpu.send(holder.z.array), cpu.send(error.array)


def starting_z(generator, x, n_z, categories, seed, candidates):
    """For each image, the draw of the prior (of ``candidates``) whose G(z)
    is closest in mean |x - G(z)|. Adam moves z only locally: from a random
    start it stays near G's mode there (with --z-categories, the start's
    category) and ends at the wrong hair colour where the right one is
    elsewhere in z."""
    pool = sample_z(random_state(numpy, seed, 'plot', 4), candidates, n_z, categories,
                    weights=category_weights(generator))
    fake = generate(generator, pool, batch_size=250)
    return pool[[abs(fake - image).mean(axis=(1, 2, 3)).argmin() for image in x]]


def generator_n_z(generator):
    """N_z: the input width of the generator's first linear layer."""
    first = next(link for link in generator.links() if isinstance(link, chainer.links.Linear))
    return first.W.shape[1]
