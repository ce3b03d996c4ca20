#!/usr/bin/env bash
# The GPU check on a CUDA machine without network: installs Chainer 7.8.1 (and
# its small dependencies) from a folder of wheels into the existing Python,
# which must already have NumPy and CuPy, then runs benchmarks/gpu_check.py
# (docs/gpu.md says what it runs).
#
#   benchmarks/gpu_check.sh [WHEEL_DIR] [gpu_check.py options]
#   PYTHON=python3.12 benchmarks/gpu_check.sh wheels --gpu 0 --out "$OUT"
#
# WHEEL_DIR (default: wheels/ at the repository root) is filled beforehand on
# a machine with network, matching the target's Python (here 3.12):
#   pip wheel --no-deps --no-build-isolation chainer==7.8.1 -w wheels   # needs setuptools<74
#   pip download --no-deps --only-binary :all: --python-version 3.12 \
#       --platform manylinux2014_x86_64 -d wheels six typing_extensions filelock protobuf \
#       pillow matplotlib contourpy cycler fonttools kiwisolver packaging pyparsing \
#       python-dateutil
# Chainer is installed without its declared dependency on setuptools: it
# needs it only for pkg_resources in an import-time check, which began.compat
# stubs where pkg_resources is missing. Pillow and matplotlib (with its
# dependencies) are installed only when the target lacks them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHEELS="$ROOT/wheels"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then WHEELS="$1"; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
PY="${PYTHON:-python3}"

"$PY" - <<'EOF' || true
import platform, sys
try:
    import numpy
    print('python', platform.python_version(), '| numpy', numpy.__version__, end=' ')
    import cupy
    print('| cupy', cupy.__version__)
except Exception as e:
    print('|', type(e).__name__, str(e).strip().splitlines()[0] if str(e).strip() else '')
EOF
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L || true

want=()
# (importing chainer itself would fail on NumPy 2 without began.compat)
"$PY" -c 'import importlib.metadata as m, sys; sys.exit(m.version("chainer") != "7.8.1")' \
  >/dev/null 2>&1 || want+=(chainer==7.8.1 six typing_extensions filelock protobuf)
"$PY" -c 'import PIL' >/dev/null 2>&1 || want+=(pillow)
"$PY" -c 'import matplotlib' >/dev/null 2>&1 || want+=(matplotlib contourpy cycler \
  fonttools kiwisolver packaging pyparsing python-dateutil)
if [ ${#want[@]} -eq 0 ]; then
  echo "chainer 7.8.1, pillow and matplotlib are already installed"
else
  [ -d "$WHEELS" ] || { echo "error: no wheel folder $WHEELS (see the top of $0)" >&2; exit 2; }
  echo "installing ${want[*]} from $WHEELS"
  "$PY" -m pip install --disable-pip-version-check --no-index --find-links "$WHEELS" \
    --no-deps "${want[@]}"
fi

cd "$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg
exec "$PY" benchmarks/gpu_check.py "$@"
