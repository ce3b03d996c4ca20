"""This project's side of bench_vs_torch.py (runs in the project's .venv).

One step is the updater's update() in a Trainer built as train.py builds
it: the real updater, optimizers (Adam + gradient clipping) and data
pipeline, with k_t held at the case's value (the trainer's extensions,
pictures and snapshots do not run).
"""
import os
import tempfile

import began  # noqa: F401  (first: it may choose OpenBLAS's kernels)

import chainer
import numpy

from began.config import Config
from began.data.image_sets import image_dataset, image_iterator
from began.data.mixture import MixtureIterator
from began.nets import build_models
from began.rng import sample_z
from began.training.trainer import build_trainer
from protocol import serve, sgemm_gflops

state, folders = {}, []


def build(config, k, device='@numpy'):
    """The nets, data and trainer of ``config`` on ``device`` (a Chainer
    device name: '@numpy', or '@cupy:N' for the GPU check)."""
    config = Config(**config).validate()
    chainer.config.type_check = False  # as train.py runs
    gen, dis = build_models(config)
    if config.arch == 'mlp':
        iterator, dataset = MixtureIterator(config.batch_size, config.updates_per_epoch), None
    else:
        dataset = image_dataset(config, progress=False)
        iterator = image_iterator(dataset, config)
    folders.append(tempfile.TemporaryDirectory())  # the trainer's (removed at exit)
    out = folders[-1].name
    trainer = build_trainer(config, iterator, gen, dis, chainer.get_device(device),
                            os.path.join(out, 'model'), os.path.join(out, 'plot'),
                            progress=False)
    state.update(config=config, gen=gen, dis=dis, updater=trainer.updater, k=k,
                 dataset=dataset, device=device)
    return {'fast_cpu': fast_cpu_enabled()}


def fast_cpu_enabled():
    try:
        from began import fast_cpu
    except ImportError:
        return None
    return fast_cpu.enabled()


def step():
    updater = state['updater']
    updater.k = state['k']
    updater.update()


def count_macs(fn):
    """Multiply-adds of each Linear / Convolution2D link that ``fn`` runs."""
    class Counter(chainer.LinkHook):
        name = 'CountMACs'
        macs = []

        def forward_postprocess(self, args):
            link, out = args.link, args.out
            if isinstance(link, (chainer.links.Linear, chainer.links.Convolution2D)):
                spatial = int(numpy.prod(out.shape[2:])) if out.ndim > 2 else 1
                self.macs.append(link.W.size * len(out) * spatial)
    counter = Counter()
    counter.macs = []
    with counter:
        fn()
    return counter.macs


def flops():
    """Matrix-product FLOPs of one step that does no wasted work: G forward
    and backward (no gradient for z), D on real data (no gradient for x) and
    D on G(z) (input gradient for L_G; weight gradients for L_D only when
    k_t > 0). A backward pass costs its layer's forward MACs for the input
    gradient and again for the weight gradient."""
    config, gen, dis = state['config'], state['gen'], state['dis']
    rs = numpy.random.RandomState(0)
    z = sample_z(rs, config.batch_size, config.n_z)
    x = gen(z).array
    g, d = count_macs(lambda: gen(z)), count_macs(lambda: dis(x))
    f_g, f_d = sum(g), sum(d)
    real = 3 * f_d - d[0]
    fake_k0 = 2 * f_d
    step_k = 3 * f_g - g[0] + real + fake_k0 + f_d
    step_k0 = 3 * f_g - g[0] + real + fake_k0
    return {'step_flops': 2 * (step_k if state['k'] > 0 else step_k0),
            'step_flops_k': 2 * step_k, 'step_flops_k0': 2 * step_k0,
            'forward_flops_g': 2 * f_g, 'forward_flops_d': 2 * f_d}


def dump(path):
    """Initial weights, a data batch and z, and the nets' outputs on them
    (training mode): the torch worker loads the weights, checks it computes
    the same outputs, and trains from the same start."""
    config, gen, dis = state['config'], state['gen'], state['dis']
    host, device = chainer.backend.CpuDevice(), chainer.get_device(state['device'])
    arrays = {'gen' + name: host.send(p.array) for name, p in gen.namedparams()}
    arrays.update({'dis' + name: host.send(p.array) for name, p in dis.namedparams()})
    rs = numpy.random.RandomState(1)
    z = sample_z(rs, config.batch_size, config.n_z)
    if state['dataset'] is None:
        x = numpy.asarray(next(MixtureIterator(config.batch_size, 1)))
    else:
        images = numpy.stack([state['dataset'][i] for i in range(len(state['dataset']))])
        arrays['images'] = images
        x = host.send(state['updater'].converter(images[:config.batch_size]))
    with chainer.using_config('enable_backprop', False):
        outputs = gen(device.send(z)).array, dis(device.send(x)).array
    arrays.update(check_z=z, check_x=x, check_gen=host.send(outputs[0]),
                  check_dis=host.send(outputs[1]))
    numpy.savez(path, **arrays)
    # The check ran the nets in training mode; a fresh copy trains.
    build(config.to_dict(), state['k'], state['device'])
    return {}


def numpy_sgemm():
    return dict(openblas_kernels(), **sgemm_gflops(numpy.matmul,
                        lambda n: numpy.random.RandomState(n).rand(n, n).astype(numpy.float32)))


def openblas_kernels():
    """{'kernels': the core type NumPy's OpenBLAS runs} (if it says)."""
    import ctypes
    import glob
    libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__), '..', 'numpy.libs',
                                  'libopenblas*'))
    for lib in libs:
        for name in ('openblas_get_corename64_', 'openblas_get_corename'):
            try:
                function = getattr(ctypes.CDLL(lib), name)
            except (OSError, AttributeError):
                continue
            function.restype = ctypes.c_char_p
            return {'kernels': function().decode()}
    return {}


if __name__ == '__main__':
    serve({'build': build, 'flops': flops, 'dump': dump, 'sgemm': numpy_sgemm}, step)
