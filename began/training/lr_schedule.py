"""Learning-rate schedules: the BEGAN paper's (halve it when M_global
stalls) and an annealed end (the last epochs at a tenth of the rates)."""
from chainer import training


class HalveLROnStall(training.Extension):
    """Halves both optimizers' learning rate when an epoch's mean M_global
    has not improved on the best for ``patience`` epochs (0: never).

    Its state (best M, epochs waited, the current rate, the running mean)
    is in the snapshot, so a resumed run keeps the decayed rate.
    """
    trigger = (1, 'iteration')
    priority = training.PRIORITY_READER

    def __init__(self, patience, min_lr=1e-6, d_ratio=1.0):
        # d_ratio: D's rate over G's (--lr-d), kept through each halving.
        self.patience, self.min_lr, self.d_ratio = patience, min_lr, d_ratio
        # Negative means "none yet" (M >= 0, lr > 0): snapshots hold no Inf.
        self.best, self.waited, self.lr = -1.0, 0, -1.0
        self.total, self.count = 0.0, 0

    def initialize(self, trainer):
        if self.lr > 0:   # resumed after a halving
            self._apply(trainer)

    def __call__(self, trainer):
        if self.patience <= 0:
            return
        if 'M' in trainer.observation:
            self.total += float(trainer.observation['M'])
            self.count += 1
        if not trainer.updater.is_new_epoch or not self.count:
            return
        mean, self.total, self.count = self.total / self.count, 0.0, 0
        if self.best < 0 or mean < self.best:
            self.best, self.waited = mean, 0
            return
        self.waited += 1
        if self.waited >= self.patience:
            self.waited = 0
            self.lr = max(trainer.updater.get_optimizer('gen').alpha / 2, self.min_lr)
            self._apply(trainer)
            print(f'M_global has not improved for {self.patience} epoch(s): lr -> {self.lr:g}')

    def _apply(self, trainer):
        trainer.updater.get_optimizer('gen').alpha = self.lr
        trainer.updater.get_optimizer('dis').alpha = max(self.lr * self.d_ratio, self.min_lr)

    def serialize(self, serializer):
        for name in ('best', 'lr', 'total'):
            setattr(self, name, float(serializer(name, getattr(self, name))))
        for name in ('waited', 'count'):
            setattr(self, name, int(serializer(name, getattr(self, name))))


#: What --anneal-epochs multiplies both learning rates by.
ANNEAL_FACTOR = 0.1


class AnnealLR(training.Extension):
    """The last ``config.anneal_epochs`` epochs of the run at a tenth of both
    learning rates (0: off). With --preset covering, G's points sit around
    the right modes but move about at the full rate; the lower rate at the
    end lets them settle (benchmarks/results/mode_coverage/README.md).

    A function of the epoch alone (no state), so a resumed run gets the
    same rates; set after each update for the next one.
    """
    trigger = (1, 'iteration')
    priority = training.PRIORITY_READER

    def __init__(self, config):
        self.epochs, self.last = config.epochs, config.anneal_epochs
        self.lr_g, self.lr_d = config.lr, config.dis_lr()

    def initialize(self, trainer):
        self(trainer)

    def __call__(self, trainer):
        if self.last <= 0:
            return
        updater = trainer.updater
        scale = ANNEAL_FACTOR if updater.epoch_detail >= self.epochs - self.last else 1.0
        updater.get_optimizer('gen').alpha = self.lr_g * scale
        updater.get_optimizer('dis').alpha = self.lr_d * scale
