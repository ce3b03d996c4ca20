"""One BEGAN training step as a Chainer updater: the whole method in one place."""
import json

import chainer
import numpy
from chainer import training
from chainer.dataset import concat_examples

from began import objective
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
    gradient goes to D's parameters only and L_G's to G's only, with one
    backward pass through each of D's branches (began/gradients.py), then
    both optimizers step, as the paper updates them together. One z per
    step serves as both z_D and z_G.

    D is an auto-encoder with ``encode`` and ``decode``: the std of its code
    of the real batch is reported (``h_std``) and, with ``h_penalty``,
    regularised. k_t is part of the serialized state, so a trainer snapshot
    restores it.
    """

    def __init__(self, iterator, gen_optimizer, dis_optimizer, config,
                 device=None, converter=convert_batch):
        super().__init__(iterator, {'gen': gen_optimizer, 'dis': dis_optimizer},
                         converter=converter, device=device)
        self.config = config
        self.k = float(config.k_init)
        self._mmd_memory = None   # --mmd-batch: the reals of the last steps

    @property
    def generator(self):
        return self.get_optimizer('gen').target

    @property
    def discriminator(self):
        return self.get_optimizer('dis').target

    def _with_noise(self, x, rs):
        """D's input while training: x plus Gaussian noise (the post's tip)."""
        if self.config.noise_std <= 0:
            return x
        noise = rs.normal(0, self.config.noise_std, x.shape).astype(x.dtype)
        return x + noise

    def update_core(self):
        config = self.config
        gen, dis = self.generator, self.discriminator
        x = self.converter(self.get_iterator('main').next(), self.input_device)
        xp = chainer.backend.get_array_module(x)
        rs = self.step_random_state(xp)

        z = sample_z(rs, len(x), config.n_z, config.z_categories)
        fake = gen(z)
        # With only BEGAN's own terms, D sees G's output cut from G's graph,
        # so that one backward pass through D's fake branch serves both
        # losses (began/gradients.py); the mode-coverage terms use D's fake
        # codes or G(z) themselves, and take the general path.
        shared = not config.fake_branch_terms()
        fake_in = chainer.Variable(fake.array) if shared else fake
        h_real = dis.encode(self._with_noise(x, rs))
        loss_real = objective.reconstruction_loss(x, dis.decode(h_real))
        h_fake = dis.encode(self._with_noise(fake_in, rs))
        rec_fake = dis.decode(h_fake)
        loss_fake = objective.reconstruction_loss(fake_in, rec_fake)
        real_terms = loss_real  # L_D's terms that do not involve G
        if config.h_penalty > 0:
            real_terms = real_terms + objective.latent_penalty(h_real, config.h_penalty)
        pushed = loss_fake   # what D pushes up: with a margin, each fake up to m L(x)
        if config.margin > 0:
            pushed = objective.capped_fake_loss(fake_in, rec_fake,
                                                config.margin * float(loss_real.array))
        loss_d = objective.discriminator_loss(real_terms, pushed, self.k)
        if config.latent_recovery > 0:
            loss_d += objective.latent_recovery(h_fake, z, self._projection(xp),
                                                config.latent_recovery)
        loss_g = objective.generator_loss(loss_fake)
        if config.pull_away > 0:
            loss_g += objective.pull_away(h_fake, config.pull_away)
        if config.code_matching > 0:
            loss_g += objective.code_matching(h_fake, h_real, config.code_matching)
        if config.mmd > 0:
            loss_g += objective.mmd(*self._mmd_points(x, fake, h_real, h_fake, rs), config.mmd)

        # L_D's gradient to D's parameters only, L_G's to G's only.
        if shared:
            set_began_gradients(dis, gen, real_terms, loss_g, self.k, fake, fake_in)
        else:
            set_separate_gradients(dis, gen, loss_d, loss_g)
        self.get_optimizer('dis').update()
        self.get_optimizer('gen').update()

        values = self.whole_batch({
            'loss_real': float(loss_real.array),
            'loss_fake': float(loss_fake.array),
            'loss_d': float(loss_d.array),
            'loss_g': float(loss_g.array),
            'h_std': float(h_real.array.std()),  # the post saw it reach ~80
        })
        real, fake_value = values['loss_real'], values['loss_fake']
        chainer.report(dict(values, k=self.k, M=objective.convergence_measure(
            real, fake_value, config.gamma)))
        self.k = objective.update_k(self.k, real, fake_value, config.gamma,
                                    config.lambda_k, config.k_balance)

    def _mmd_points(self, x, fake, h_real, h_fake, rs):
        """The MMD's fakes and reals (or their codes): the step's batch, or
        with --mmd-batch N, N fakes (the step's and G of more z) and up to N
        reals (the step's and those of the last steps, kept here)."""
        config, gen, dis = self.config, self.generator, self.discriminator
        code = config.mmd_space == 'code'
        n, b = config.mmd_batch, len(x)
        if n <= b:
            return (h_fake, h_real) if code else (fake, x)
        xp = chainer.backend.get_array_module(x)
        more = gen(sample_z(rs, n - b, config.n_z, config.z_categories))
        past = x[:0] if self._mmd_memory is None else \
            chainer.backend.get_device_from_array(x).send(self._mmd_memory)
        reals = xp.concatenate([x, past])
        self._mmd_memory = reals[:n - b]
        if not code:
            return chainer.functions.concat([fake, more], axis=0), reals
        fakes = chainer.functions.concat([h_fake, dis.encode(self._with_noise(more, rs))], axis=0)
        if not len(past):
            return fakes, h_real.array
        with chainer.no_backprop_mode():
            h_past = dis.encode(self._with_noise(past, rs)).array
        return fakes, xp.concatenate([h_real.array, h_past])

    def _projection(self, xp):
        """BEGAN-CS's fixed P (z -> h's space), made once on D's device."""
        if getattr(self, '_p', None) is None:
            config = self.config
            self._p = xp.asarray(objective.latent_projection(config.n_z, config.n_h,
                                                             config.seed))
        return self._p

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
        if self.config.mmd_batch > 0:
            self._serialize_mmd_memory(serializer)

    def _serialize_mmd_memory(self, serializer):
        """The reals --mmd-batch keeps travel with the snapshot, so a resumed
        run's MMD sees what the uninterrupted run's would."""
        if not isinstance(serializer, chainer.serializer.Deserializer):
            memory = self._mmd_memory
            serializer('mmd_memory', numpy.zeros(0, numpy.float32) if memory is None
                       else chainer.backend.CpuDevice().send(memory))
            return
        try:
            memory = serializer('mmd_memory', None)
        except KeyError:   # a snapshot of a run without --mmd-batch
            memory = None
        self._mmd_memory = numpy.asarray(memory) if memory is not None and \
            numpy.asarray(memory).size else None   # sent to x's device at the next step
