"""Random draws as a function of (seed, stream, step), on the CPU and, with
a stand-in for CuPy, the GPU's generator kept per (device, stream)."""
import types

import numpy
import pytest

from began import rng
from began.rng import derive_seed, random_state, sample_z

PHILOX = 7  # cuRAND's number for Philox4x32-10; any value the stand-in checks


class FakeCuRandState:
    """What the code under test uses of cupy.random.RandomState (seed,
    uniform, normal), drawing with NumPy's Philox; counts its creations."""
    created = []

    def __init__(self, seed, method):
        assert method == PHILOX
        self.seed(seed)
        FakeCuRandState.created.append(self)

    def seed(self, seed):
        self.gen = numpy.random.Generator(numpy.random.Philox(seed))

    def uniform(self, low, high, size):
        return self.gen.uniform(low, high, size)

    def normal(self, loc, scale, size):
        return self.gen.normal(loc, scale, size)


def fake_cupy():
    module = types.ModuleType('cupy')
    module.device = types.SimpleNamespace(id=0)
    module.random = types.SimpleNamespace(RandomState=FakeCuRandState)
    module.cuda = types.SimpleNamespace(
        Device=lambda: module.device,
        curand=types.SimpleNamespace(CURAND_RNG_PSEUDO_PHILOX4_32_10=PHILOX))
    return module


@pytest.fixture
def cupy(monkeypatch):
    monkeypatch.setattr(rng, '_device_generators', {})
    monkeypatch.setattr(FakeCuRandState, 'created', [])
    return fake_cupy()


def draws(xp, seed, step, stream='step'):
    rs = random_state(xp, seed, stream, step)
    return numpy.concatenate([sample_z(rs, 4, 3).ravel(), rs.normal(0, 0.3, (5,))])


def test_cpu_draws_are_a_fresh_numpy_random_state_per_step():
    rs = random_state(numpy, 3, 'step', 7)
    assert isinstance(rs, numpy.random.RandomState)
    expected = numpy.random.RandomState(derive_seed(3, 'step', 7)).uniform(-1, 1, (4, 3))
    numpy.testing.assert_array_equal(sample_z(random_state(numpy, 3, 'step', 7), 4, 3),
                                     expected.astype(numpy.float32))
    assert random_state(numpy, 3, 'step', 7) is not rs


def test_device_generator_is_made_once_per_stream_and_device(cupy):
    for step in range(50):
        draws(cupy, 0, step)
        draws(cupy, 0, step, stream='mixture')
    assert len(FakeCuRandState.created) == 2          # 'step' and 'mixture', not 100
    cupy.device.id = 1
    draws(cupy, 0, 0)
    assert len(FakeCuRandState.created) == 3          # another device, its own generator


def test_device_draws_depend_only_on_seed_stream_and_step(cupy):
    # What a resume needs: step 5 draws the same after steps 0-4 or first.
    in_order = [draws(cupy, 1, step) for step in range(6)]
    rng._device_generators.clear()
    assert numpy.array_equal(draws(cupy, 1, 5), in_order[5])
    draws(cupy, 1, 2, stream='mixture')
    assert numpy.array_equal(draws(cupy, 1, 3), in_order[3])
    assert not numpy.array_equal(in_order[4], in_order[5])      # other steps differ
    assert not numpy.array_equal(draws(cupy, 2, 5), in_order[5])  # and other seeds
    # Same step twice in a row: the generator starts over, it does not go on.
    assert numpy.array_equal(draws(cupy, 1, 5), draws(cupy, 1, 5))
