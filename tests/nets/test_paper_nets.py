"""The BEGAN paper's networks (--arch paper), with and without the skip
connections: sizes counted by hand from the paper's description, and
gradient through every skip (their output shapes: test_nets.py)."""
import math

import chainer.functions as F
import numpy
import pytest

from began.config import Config
from began.nets import build_models


def paper_config(size, n, n_z_h, skip):
    return Config(experiment='animeface', arch='paper', dataset='toyfaces', image_size=size,
                  n_z=n_z_h, n_h=n_z_h, hidden=n, weight_std=0.0, skip=skip).validate()


def conv3x3(a, b):
    """Weights and biases of a 3x3 convolution from a to b channels."""
    return 9 * a * b + b


def linear(a, b):
    return a * b + b


def decoder_size(n_in, size, n, skip):
    """FC to h0 (n x 8 x 8); two 3x3 convolutions of n filters per scale
    (8, 16, ... size); a 3x3 convolution to RGB. With skips, every scale
    after the first takes [upsampled y, upsampled h0]: 2n channels into its
    first convolution."""
    scales = int(math.log2(size / 8)) + 1
    first_in = 2 * n if skip else n
    return (linear(n_in, n * 8 * 8)
            + 2 * conv3x3(n, n)                                    # at 8x8
            + (scales - 1) * (conv3x3(first_in, n) + conv3x3(n, n))
            + conv3x3(n, 3))


def encoder_size(n_h, size, n):
    """A 3x3 convolution from RGB to n; at scale i (1, 2, ... ; side size /
    2^(i-1)) two 3x3 convolutions of i*n filters, then a stride-2 3x3
    convolution to (i+1)*n, except at 8x8; FC from (scales*n) x 8 x 8 to h."""
    scales = int(math.log2(size / 8)) + 1
    total = conv3x3(3, n)
    for i in range(1, scales + 1):
        total += 2 * conv3x3(i * n, i * n)
        if i < scales:
            total += conv3x3(i * n, (i + 1) * n)
    return total + linear(scales * n * 8 * 8, n_h)


def parameters(link):
    return sum(p.size for p in link.params())


def test_the_hand_count_itself_on_one_worked_case():
    # 32 px, n = 64, N_z = 64, no skips: G is FC 64 -> 64*8*8 (262,144 + 4,096),
    # six 64 -> 64 convolutions (6 x 36,928) and 64 -> 3 (1,728 + 3).
    assert decoder_size(64, 32, 64, skip=False) == 266240 + 221568 + 1731
    # Skips widen the first convolution of scales 16 and 32 by 64 inputs.
    assert decoder_size(64, 32, 64, skip=True) - decoder_size(64, 32, 64, skip=False) \
        == 2 * 9 * 64 * 64


@pytest.mark.parametrize('skip', [False, True])
@pytest.mark.parametrize('size', [32, 64, 128])
def test_parameter_counts_follow_the_paper(size, skip):
    # The paper's widths: n = N_z = N_h = 64.
    gen, dis = build_models(paper_config(size, 64, 64, skip))
    assert parameters(gen) == decoder_size(64, size, 64, skip)
    assert parameters(dis.decoder) == decoder_size(64, size, 64, skip)
    assert parameters(dis) == encoder_size(64, size, 64) + decoder_size(64, size, 64, skip)


def test_gradient_reaches_h0_through_every_skip(monkeypatch):
    """L(G(z)) = |D(G(z)) - G(z)|, BEGAN's generator loss, runs through G's
    and D's decoder: each skip's h0 part gets a non-zero gradient."""
    size, scales = 32, 3
    gen, dis = build_models(paper_config(size, 4, 8, skip=True))
    h0_parts = []
    concat = F.concat

    def watched_concat(xs, axis=1):
        h0_parts.append(xs[1])
        return concat(xs, axis)

    monkeypatch.setattr(F, 'concat', watched_concat)
    z = numpy.random.RandomState(0).uniform(-1, 1, (2, 8)).astype(numpy.float32)
    x = gen(z)
    loss = F.mean_absolute_error(dis(x), x)
    loss.backward(retain_grad=True)
    assert len(h0_parts) == 2 * (scales - 1)   # every later scale of both decoders
    decoders = [gen.decoder, gen.decoder, dis.decoder, dis.decoder]
    for part, side, decoder in zip(h0_parts, [16, 32, 16, 32], decoders):
        assert part.shape == (2, 4, side, side)
        assert part.grad is not None and numpy.abs(part.grad).sum() > 0
        assert comes_from_h0(part, decoder)   # so the gradient goes on into the FC


def comes_from_h0(part, decoder):
    """Whether ``part`` is h0 = reshape(decoder.fc(v)) upsampled: its graph,
    followed back, is copies only (repeat, reshape) down to that FC."""
    node = part.node
    while node.creator_node is not None:
        function = node.creator_node
        if function.label == 'LinearFunction':
            return function.inputs[1] is decoder.fc.W.node
        if function.label not in ('Repeat', 'Reshape'):
            return False
        node = function.inputs[0]
    return False


def test_without_skips_there_is_no_concatenation(monkeypatch):
    calls = []
    monkeypatch.setattr(F, 'concat', lambda xs, axis=1: calls.append(xs))
    gen, dis = build_models(paper_config(32, 4, 8, skip=False))
    dis(gen(numpy.zeros((1, 8), numpy.float32)))
    assert calls == []


def test_skip_is_refused_for_the_blog_networks():
    from began.errors import ConfigError
    with pytest.raises(ConfigError, match='--arch paper'):
        Config(experiment='animeface', arch='blog', dataset='toyfaces', image_size=32,
               skip=True).validate()


def test_skip_survives_model_json(tmp_path):
    config = paper_config(16, 4, 8, skip=True)
    config.save(str(tmp_path))
    assert Config.load(str(tmp_path)).skip is True
    gen, _ = build_models(Config.load(str(tmp_path)))
    assert parameters(gen) == decoder_size(8, 16, 4, skip=True)
