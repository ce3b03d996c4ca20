"""One BEGAN training step as a Chainer updater: the whole method in one place."""
import json

import chainer
import numpy
from chainer import training
from chainer.dataset import concat_examples

from began import objective
from began.coverage import Coverage, StepTensors
from began.data.image_folder import to_float
from began.gradients import set_began_gradients, set_separate_gradients
from began.rng import random_state, sample_z


@chainer.dataset.converter()
def convert_batch(batch, device=None):
    """Stack a batch and move it to ``device``; uint8 images become [-1, 1].

    Images stay uint8 in memory (a quarter of float32) and are scaled here,
    per batch, on the device that trains.
    """
    if not isinstance(batch, (numpy.ndarray,)) and not hasattr(batch, 'device'):
        batch = concat_examples(batch)
    x = chainer.dataset.to_device(device, batch)
    return to_float(x) if x.dtype == numpy.uint8 else x


class BeganUpdater(training.StandardUpdater):
    """Updates D (optimizer 'dis') and G (optimizer 'gen') together.

    Both losses come from one forward pass with the same parameters; L_D's
    gradient goes to D's parameters only and L_G's to G's only, then both
    optimizers step, as the paper updates them together. One z per step
    serves as both z_D and z_G. k_t is part of the serialized state, so a
    trainer snapshot restores it. The mode-coverage terms (off by default)
    come from one call to ``self.coverage`` (began/coverage/).
    """

    def __init__(self, iterator, gen_optimizer, dis_optimizer, config,
                 device=None, converter=convert_batch):
        super().__init__(iterator, {'gen': gen_optimizer, 'dis': dis_optimizer},
                         converter=converter, device=device)
        self.config = config
        self.k = float(config.k_init)
        self.coverage = Coverage(config)

    @property
    def generator(self):
        return self.get_optimizer('gen').target

    @property
    def discriminator(self):
        return self.get_optimizer('dis').target

    def update_core(self):
        config, gen, dis = self.config, self.generator, self.discriminator
        x = self.converter(self.get_iterator('main').next(), self.input_device)
        rs = self.step_random_state(chainer.backend.get_array_module(x))
        encode = lambda v: dis.encode(self.with_noise(v, rs))  # noqa: E731

        z = sample_z(rs, len(x), config.n_z, config.z_categories)
        if config.self_condition:   # the categories: clusters of the reals
            z = self.coverage.self_condition(z, x, gen, dis)
        fake = gen(z)
        # BEGAN's terms alone: D sees G(z) cut from G's graph, so that one
        # backward pass through D's fake branch serves both losses
        # (began/gradients.py). The coverage terms need G's graph.
        fake_in = fake if self.coverage.active else chainer.Variable(fake.array)
        h_real = encode(x)
        loss_real = objective.reconstruction_loss(x, dis.decode(h_real))
        h_fake = encode(fake_in)
        rec_fake = dis.decode(h_fake)
        loss_fake = objective.reconstruction_loss(fake_in, rec_fake)
        real_terms = loss_real   # L_D's terms that do not involve G
        if config.h_penalty > 0:
            real_terms = real_terms + objective.latent_penalty(h_real, config.h_penalty)
        loss_d = objective.discriminator_loss(real_terms, loss_fake, self.k)
        loss_g = objective.generator_loss(loss_fake)

        if self.coverage.active:
            extra = self.coverage(StepTensors(x, z, fake, h_real, h_fake, rec_fake, loss_real,
                                              rs, gen, encode, dis))
            if extra.pushed is not None:
                loss_d = objective.discriminator_loss(real_terms, extra.pushed, self.k)
            loss_d, loss_g = loss_d + extra.d, loss_g + extra.g
            set_separate_gradients(dis, gen, loss_d, loss_g)
        else:
            set_began_gradients(dis, gen, real_terms, loss_g, self.k, fake, fake_in)
        self.get_optimizer('dis').update()
        self.get_optimizer('gen').update()

        values = self.read_back(loss_real=loss_real.array, loss_fake=loss_fake.array,
                                loss_d=loss_d.array, loss_g=loss_g.array,
                                h_std=h_real.array.std())   # the post saw h_std reach ~80
        real, fake_value = values['loss_real'], values['loss_fake']
        chainer.report(dict(values, k=self.k, M=objective.convergence_measure(
            real, fake_value, config.gamma)))
        self.k = objective.update_k(self.k, real, fake_value, config.gamma,
                                    config.lambda_k, config.k_balance)

    def read_back(self, **scalars):
        """The step's one read from the device (on a GPU, its one wait): its
        scalars stacked into one array, as floats of the whole batch."""
        xp = chainer.backend.get_array_module(scalars['loss_real'])
        stacked = xp.stack([v.astype(numpy.float32) for v in scalars.values()])
        return self.whole_batch(dict(zip(scalars, chainer.backend.CpuDevice().send(
            stacked).tolist())))

    def with_noise(self, x, rs):
        """D's input while training: x plus Gaussian noise (the post's tip)."""
        if self.config.noise_std <= 0:
            return x
        return x + rs.normal(0, self.config.noise_std, x.shape).astype(x.dtype)

    # Two hooks a data-parallel run (training/parallel.py) overrides, so that
    # N processes with a share of the batch each do the maths of one process.
    def step_random_state(self, xp):
        """The step's random draws (z, D's input noise), a function of the
        seed and the iteration."""
        return random_state(xp, self.config.seed, 'step', self.iteration)

    def whole_batch(self, values):
        """The step's scalars (floats) for the whole batch; here the batch
        is all in this process."""
        return values

    def serialize(self, serializer):
        if not isinstance(serializer, chainer.serializer.Deserializer):
            # The run's Config travels with the snapshot, so --resume can
            # rebuild the same networks and refuse a foreign snapshot.
            serializer('config', numpy.array(json.dumps(self.config.to_dict())))
        super().serialize(serializer)
        self.k = float(serializer('k', self.k))
        self.coverage.serialize(serializer)
