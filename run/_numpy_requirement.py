"""Prints the NumPy requirement run/_setup_venv installs, run by the venv's
own Python: the pinned CPU stack's NumPy 1.x while no CuPy is installed
there; never a downgrade under a CuPy that needs NumPy 2 (CuPy 14 and
later), which --gpu would then fail to import. CuPy 13 works with either,
so the NumPy installed stays."""
import importlib.metadata

CPU_STACK = 'numpy>=1.22,<2'


def numpy_requirement(cupy_versions):
    """The requirement for NumPy, given the versions of the CuPy packages
    installed (cupy, cupy-cuda12x, ...)."""
    if not cupy_versions:
        return CPU_STACK
    newest = max(int(version.split('.')[0]) for version in cupy_versions)
    return 'numpy>=2' if newest >= 14 else 'numpy>=1.22'


def installed_cupy_versions():
    names = {}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata['Name'] or '').lower().replace('_', '-')
        if name == 'cupy' or name.startswith('cupy-'):
            names[name] = dist.version
    return sorted(names.values())


if __name__ == '__main__':
    print(numpy_requirement(installed_cupy_versions()))
