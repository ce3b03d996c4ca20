# Sourced by the run/ scripts: creates (once) and activates the project's
# virtual environment in .venv. Chainer 7.8.1 only ships an sdist whose
# setup.py imports pkg_resources, and `import chainer` touches
# numpy.distutils: both need setuptools<74 and NumPy 1.x, so this installs
# those first and builds Chainer without build isolation (began.compat
# also lets it run on NumPy 2, which CuPy 14 needs; see docs/gpu.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BEGAN_VENV:-$ROOT/.venv}"
STAMP="$VENV/.began-installed"
# Reinstall only when the recipe itself changes.
recipe="$(cat "$ROOT/setup.py" "$ROOT/run/_env.sh" | sha1sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$recipe" ]; then
  PY="${PYTHON:-}"
  if [ -z "$PY" ]; then
    for cand in python3.11 python3 python; do
      if command -v "$cand" >/dev/null 2>&1; then PY="$cand"; break; fi
    done
  fi
  [ -n "$PY" ] || { echo "error: no python3 found (Python 3.11 is required)" >&2; exit 1; }
  echo "setting up $VENV (once) ..." >&2
  "$PY" -m venv "$VENV"
  pip_() { "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@"; }
  pip_ "setuptools>=61,<74" wheel "numpy>=1.22,<2"
  pip_ --no-build-isolation "chainer==7.8.1"
  pip_ --no-build-isolation -e "$ROOT[test]"
  echo "$recipe" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
export MPLBACKEND=Agg
