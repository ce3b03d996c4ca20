"""PyTorch's side of bench_vs_torch.py (runs in .venv-torch; needs only
torch and numpy): the same networks as began/nets (the post's conv nets and
the mixture MLPs, Chainer's depth2space channel order, BN eps 2e-5 and
momentum 0.1 = Chainer's decay 0.9), started from the Chainer worker's
initial weights, and the same step, written the way a careful PyTorch user
would: one forward pass, L_D's gradient to D only, L_G's to G only, D's
fake branch back-propagated once (its weight gradients only when k_t > 0),
gradient-norm clipping at 1 and Adam (fused on the CPU when available;
PyTorch adds eps after the bias correction, Chainer before: the same cost).
"""
import numpy
import torch
import torch.nn.functional as F
from torch import nn

from protocol import serve, sgemm_gflops

BN = dict(eps=2e-5, momentum=0.1)


def depth2space(y, r=2):
    """Chainer's F.depth2space: channel (r1, r2, c) -> pixel (r1, r2) of c."""
    n, c, h, w = y.shape
    c //= r * r
    return y.view(n, r, r, c, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c, h * r, w * r)


class PixelShuffler(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        self.conv = nn.Conv2d(a, b * 4, 3, padding=1)

    def forward(self, x):
        return depth2space(self.conv(x))


class UpsamplingStack(nn.Module):
    def __init__(self, n_in, channels, s):
        super().__init__()
        self.channels, self.s = channels, s
        self.linear = nn.Linear(n_in, channels[0] * s * s)
        self.bn0 = nn.BatchNorm1d(channels[0] * s * s, **BN)
        self.shufflers = nn.ModuleList(PixelShuffler(a, b)
                                       for a, b in zip(channels[:-1], channels[1:]))
        self.bns = nn.ModuleList(nn.BatchNorm2d(c, **BN) for c in channels[1:-1])

    def forward(self, v):
        y = self.bn0(F.elu(self.linear(v))).view(len(v), self.channels[0], self.s, self.s)
        for i, shuffler in enumerate(self.shufflers):
            y = shuffler(y)
            if i < len(self.bns):
                y = F.elu(self.bns[i](y))
        return y


class BlogGenerator(nn.Module):
    def __init__(self, n_z, size):
        super().__init__()
        self.stack = UpsamplingStack(n_z, (512, 256, 128, 64, 3), size // 16)

    def forward(self, z):
        return self.stack(z)


class BlogAutoEncoder(nn.Module):
    def __init__(self, n_h, size):
        super().__init__()
        s, channels = size // 16, (3, 32, 64, 128, 256)
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 4, stride=2, padding=1)
                                   for a, b in zip(channels[:-1], channels[1:]))
        self.conv_bns = nn.ModuleList(nn.BatchNorm2d(c, **BN) for c in channels[1:])
        self.to_h = nn.Linear(256 * s * s, n_h)
        self.bn_h = nn.BatchNorm1d(n_h, **BN)
        self.from_h = UpsamplingStack(n_h, (256, 128, 64, 32, 3), s)

    def encode(self, x):
        for conv, bn in zip(self.convs, self.conv_bns):
            x = F.elu(bn(conv(x)))
        return self.to_h(x.flatten(1))

    def decode(self, h):
        return self.from_h(self.bn_h(h))

    def forward(self, x):
        return self.decode(self.encode(x))


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.elu(x)
        return x


class MLPGenerator(nn.Module):
    def __init__(self, n_z, hidden):
        super().__init__()
        self.net = MLP([n_z, 2 * hidden, 2 * hidden, 2])

    def forward(self, z):
        return self.net(z)


class MLPAutoEncoder(nn.Module):
    def __init__(self, n_h, hidden):
        super().__init__()
        self.encoder = MLP([2, hidden, hidden, n_h])
        self.decoder = MLP([n_h, hidden, hidden, 2])

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        return self.decode(self.encode(x))


def torch_name(chainer_name):
    """'/stack/shufflers/0/conv/W' -> 'stack.shufflers.0.conv.weight'."""
    parts = chainer_name.strip('/').split('/')
    parts[-1] = {'W': 'weight', 'b': 'bias', 'gamma': 'weight', 'beta': 'bias'}[parts[-1]]
    if parts[0] in ('net', 'encoder', 'decoder'):  # Chainer's MLP is a ChainList
        parts.insert(1, 'layers')
    return '.'.join(parts)


def load(module, arrays, prefix):
    params = dict(module.named_parameters())
    names = [k for k in arrays.files if k.startswith(prefix + '/')]
    assert sorted(torch_name(k[len(prefix):]) for k in names) == sorted(params), \
        'the torch networks differ from the Chainer ones'
    with torch.no_grad():
        for k in names:
            params[torch_name(k[len(prefix):])].copy_(torch.from_numpy(arrays[k]))


state = {}


def build(config, k, weights, device='cpu'):
    """The nets of ``config`` from the Chainer worker's ``weights``, on
    ``device`` ('cpu', or 'cuda:N' for the GPU check)."""
    torch.manual_seed(0)
    device = torch.device(device)
    if config['arch'] == 'mlp':
        gen = MLPGenerator(config['n_z'], config['hidden'])
        dis = MLPAutoEncoder(config['n_h'], config['hidden'])
    else:
        gen = BlogGenerator(config['n_z'], config['image_size'])
        dis = BlogAutoEncoder(config['n_h'], config['image_size'])
    arrays = numpy.load(weights)
    load(gen, arrays, 'gen')
    load(dis, arrays, 'dis')
    gen.to(device), dis.to(device)
    gen.train(), dis.train()
    check = check_outputs(gen, dis, arrays, device)
    load(gen, arrays, 'gen')  # (unchanged by the check; BN statistics restart)
    for m in list(gen.modules()) + list(dis.modules()):
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()

    def adam(net):
        kw = dict(lr=config['lr'], betas=(config['beta1'], 0.999), eps=1e-8)
        try:
            return torch.optim.Adam(net.parameters(), fused=True, **kw)
        except (RuntimeError, TypeError, ValueError):
            return torch.optim.Adam(net.parameters(), foreach=True, **kw)
    images = (torch.from_numpy(arrays['images']).to(device) if 'images' in arrays.files
              else None)
    state.update(config=config, k=k, gen=gen, dis=dis, opt_g=adam(gen), opt_d=adam(dis),
                 images=images, position=0, device=device)
    return {'max_abs_diff': check, 'threads': torch.get_num_threads(),
            'torch': torch.__version__}


def check_outputs(gen, dis, arrays, device):
    """Largest |difference| from Chainer's outputs on the same inputs, over
    the outputs' largest |value|."""
    with torch.no_grad():
        out_g = gen(torch.from_numpy(arrays['check_z']).to(device)).cpu().numpy()
        out_d = dis(torch.from_numpy(arrays['check_x']).to(device)).cpu().numpy()
    return max(float(numpy.abs(a - arrays[k]).max() / numpy.abs(arrays[k]).max())
               for a, k in ((out_g, 'check_gen'), (out_d, 'check_dis')))


def batch():
    config, images, device = state['config'], state['images'], state['device']
    n = config['batch_size']
    if images is None:  # fresh points from the ring of Gaussians
        angle = torch.randint(0, config['num_mixture'], (n,), device=device) * (
            2 * numpy.pi / config['num_mixture'])
        centres = config['mixture_radius'] * torch.stack([angle.cos(), angle.sin()], 1)
        return centres + config['mixture_std'] * torch.randn(n, 2, device=device)
    start = state['position']
    state['position'] = (start + n) % (len(images) - n + 1)
    return images[start:start + n].float().mul_(2 / 255).sub_(1)


def loss(v, reconstruction):
    return (v - reconstruction).abs().mean()


def step():
    config, gen, dis, k = state['config'], state['gen'], state['dis'], state['k']
    std = config['noise_std']
    x = batch()
    z = torch.rand(len(x), config['n_z'], device=state['device']).mul_(2).sub_(1)
    fake = gen(z)
    fake_in = fake.detach().requires_grad_()
    loss_real = loss(x, dis(x + std * torch.randn_like(x)))
    loss_fake = loss(fake_in, dis(fake_in + std * torch.randn_like(fake_in)))
    params = list(dis.parameters())
    grads = torch.autograd.grad(loss_real, params)
    if k > 0:
        *fake_grads, grad_in = torch.autograd.grad(loss_fake, params + [fake_in])
        torch._foreach_add_(grads, fake_grads, alpha=-k)
    else:
        grad_in, = torch.autograd.grad(loss_fake, [fake_in])
    for p, g in zip(params, grads):
        p.grad = g
    fake.backward(grad_in)
    nn.utils.clip_grad_norm_(dis.parameters(), config['grad_clip'], foreach=True)
    nn.utils.clip_grad_norm_(gen.parameters(), config['grad_clip'], foreach=True)
    state['opt_d'].step()
    state['opt_g'].step()
    loss_real.item(), loss_fake.item()  # read back, as the updater reports them


def torch_sgemm():
    return sgemm_gflops(torch.mm, lambda n: torch.rand(n, n))


if __name__ == '__main__':
    torch.set_num_threads(int(__import__('os').environ.get('OMP_NUM_THREADS', '0'))
                          or torch.get_num_threads())
    serve({'build': build, 'sgemm': torch_sgemm}, step)
