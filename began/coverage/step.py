"""The mode-coverage terms of one BEGAN step, and the state they keep.

The updater (began/updater.py) computes BEGAN's own losses, then, only when
a coverage term is on, hands what it computed to ``Coverage`` in one call
and adds what comes back. The memory of past reals (--mmd-batch) and
BEGAN-CS's fixed projection live here and travel with a snapshot.

The terms that compare the samples of a batch see the whole batch through
``Coverage.parts``: in one process (``OnePart``) it is all here; a
data-parallel run (began/training/parallel.py) passes its own, which
gathers every process's share, so each process computes such a term on the
whole batch, as one process would.
"""
from typing import Any, Callable, NamedTuple

import chainer
import chainer.functions as F
import numpy

from began.coverage import terms
from began.coverage.clusters import OnlineClusters
from began.coverage.transport import sliced_wasserstein
from began.rng import sample_z, set_categories


class StepTensors(NamedTuple):
    """What one BEGAN step has computed, as the coverage terms see it."""
    x: Any              # the real batch (array)
    z: Any              # the step's z
    fake: Any           # G(z), in G's graph
    h_real: Any         # D's code of x (with D's input noise)
    h_fake: Any         # D's code of G(z)
    rec_fake: Any       # D's reconstruction of G(z)
    loss_real: Any      # L(x)
    rs: Any             # the step's random state (draws go on from the step's)
    generator: Callable  # G
    encode: Callable    # v -> D's code of v, with the step's input noise
    discriminator: Any  # D (its --info-head)


class Terms(NamedTuple):
    pushed: Any   # what L_D pushes up in place of L(G(z)), or None for L(G(z))
    d: Any        # added to L_D
    g: Any        # added to L_G


class OnePart:
    """The batch is all in this process: the parts of a data-parallel run
    (training/parallel.py's ``ProcessParts``) with one process."""
    count = 1   # processes sharing the batch

    @staticmethod
    def gather(v):
        """The whole batch from this process's share (a Variable keeps its
        graph, so the gradient flows back to the share)."""
        return v

    @staticmethod
    def share(a):
        """This process's rows of a whole-batch array."""
        return a

    @staticmethod
    def whole_draws(rs):
        """The random state behind the step's ``rs``, for a draw that is
        not shared out by rows (the same in every process)."""
        return rs


class Coverage:
    """The coverage terms a Config turns on: ``coverage(step)`` gives the
    step's Terms; ``active`` is False for the post's configuration."""

    #: The batch-coupled terms (config.py marks them) computed here on the
    #: whole batch through ``parts``; a data-parallel run refuses any other.
    GATHERED = ('z_categories', 'margin', 'pull_away', 'code_matching', 'mmd', 'pooled_mmd',
                'sliced_wasserstein', 'self_condition')

    def __init__(self, config, parts=OnePart):
        self.config = config
        self.parts = parts
        self.mmd_memory = None   # --mmd-batch: the reals of the last steps
        self._projection = None
        self.clusters = OnlineClusters(config.z_categories) if config.self_condition else None
        self.labels = None       # --self-condition: the step's clusters of the reals

    def self_condition(self, z, x, generator, discriminator):
        """--self-condition: z with each row's category the cluster of x's
        row; moves the clusters and G's prior over its categories. The
        codes: D's of the whole batch in test mode (no noise, no graph, and
        its batch norms' statistics left as the step leaves them), so every
        process of a data-parallel run clusters the same codes."""
        with chainer.using_config('train', False), chainer.no_backprop_mode():
            h = self.parts.gather(discriminator.encode(x).array)
        self.labels = self.clusters.assign(h.reshape(len(h), -1),
                                           generator.category_weights)
        set_categories(z, self.parts.share(self.labels), self.config.z_categories)
        return z

    @property
    def active(self):
        """Any term that uses D's pass over G(z), or G(z) itself, other than
        through L(G(z)) (then began/gradients.py's shortcut does not hold)."""
        return bool(self.config.fake_branch_terms())

    def __call__(self, step):
        config, gather = self.config, self.parts.gather
        pushed, d, g = None, 0, 0
        if config.margin > 0:
            # Each fake's own capped error (a mean over this share); the cap
            # follows the whole batch's L(x), the mean of the equal shares'
            # (it stays on the device: no wait for L(x) mid-step).
            loss_real = gather(step.loss_real.array.reshape(1)).mean()
            pushed = terms.capped_fake_loss(step.fake, step.rec_fake, config.margin * loss_real)
        if config.latent_recovery > 0:
            d = d + terms.latent_recovery(step.h_fake, step.z, self.projection(step.x),
                                          config.latent_recovery)
        if config.info_head > 0:   # per sample: each process's share, as L(G(z))
            named = terms.category_recovery(step.discriminator.info_head(step.h_fake), step.z,
                                            config.z_categories, config.info_head)
            d, g = d + named, g + named
        if config.pull_away > 0 or config.code_matching > 0:
            h_fake = gather(step.h_fake)
        if config.pull_away > 0:
            g = g + terms.pull_away(h_fake, config.pull_away)
        if config.code_matching > 0:
            g = g + terms.code_matching(h_fake, gather(step.h_real.array), config.code_matching)
        if config.mmd > 0 or config.sliced_wasserstein > 0:
            fakes, reals = self.mmd_points(step)
            if config.mmd > 0:
                # Self-conditioned: each cluster's fakes against its reals.
                same = None if self.labels is None else \
                    self.labels[:, None] == self.labels[None, :]
                g = g + terms.mmd(fakes, reals, config.mmd,
                                  terms.mmd_scales(config.mmd_narrowest), same)
            if config.sliced_wasserstein > 0:
                g = g + sliced_wasserstein(fakes, reals, config.sliced_wasserstein,
                                           self.parts.whole_draws(step.rs))
        if config.pooled_mmd > 0:   # (pooled before gathering: a fraction of the images)
            size = config.pooled_mmd_size
            g = g + terms.mmd(gather(terms.pooled(step.fake, size)),
                              gather(terms.pooled(step.x, size).array), config.pooled_mmd,
                              terms.mmd_scales(config.mmd_narrowest))
        return Terms(pushed, d, g)

    def mmd_points(self, step):
        """The MMD's fakes and reals (or their codes), of the whole batch:
        the step's, or with --mmd-batch N, N fakes (the step's and G of more
        z) and up to N reals (the step's and those of the last steps, kept
        here). Each process makes its share of the more fakes, from its
        share of the z one process draws (the step's ``rs`` shares draws
        out), and of the past reals' codes."""
        config, gather, share = self.config, self.parts.gather, self.parts.share
        code = config.mmd_space == 'code'
        x = gather(step.x)
        n, b = config.mmd_batch, len(x)
        h_real = gather(step.h_real.array) if code else None
        if n <= b:
            return (gather(step.h_fake), h_real) if code else (gather(step.fake), x)
        xp = chainer.backend.get_array_module(x)
        more = step.generator(sample_z(step.rs, (n - b) // self.parts.count, config.n_z,
                                       config.z_categories))
        past = x[:0] if self.mmd_memory is None else \
            chainer.backend.get_device_from_array(x).send(self.mmd_memory)
        reals = xp.concatenate([x, past])
        self.mmd_memory = reals[:n - b]
        if not code:
            return F.concat([gather(step.fake), gather(more)], axis=0), reals
        fakes = F.concat([gather(step.h_fake), gather(step.encode(more))], axis=0)
        if not len(past):
            return fakes, h_real
        with chainer.no_backprop_mode():
            h_past = gather(step.encode(share(past)).array)
        return fakes, xp.concatenate([h_real, h_past])

    def projection(self, like):
        """BEGAN-CS's fixed P (z -> h's space), made once on ``like``'s device."""
        if self._projection is None:
            config = self.config
            self._projection = chainer.backend.get_device_from_array(like).send(
                terms.latent_projection(config.n_z, config.n_h, config.seed))
        return self._projection

    def serialize(self, serializer):
        """The reals --mmd-batch keeps, and --self-condition's clusters,
        travel with the snapshot, so a resumed run's MMD sees what the
        uninterrupted run's would."""
        if self.clusters is not None:
            self.clusters.serialize(serializer['clusters'])
        if self.config.mmd_batch <= 0:
            return
        if not isinstance(serializer, chainer.serializer.Deserializer):
            memory = self.mmd_memory
            serializer('mmd_memory', numpy.zeros(0, numpy.float32) if memory is None
                       else chainer.backend.CpuDevice().send(memory))
            return
        try:
            memory = serializer('mmd_memory', None)
        except KeyError:   # a snapshot of a run without --mmd-batch
            memory = None
        self.mmd_memory = numpy.asarray(memory) if memory is not None and \
            numpy.asarray(memory).size else None   # sent to x's device at the next step
