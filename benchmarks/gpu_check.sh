#!/usr/bin/env bash
# The GPU check on a CUDA machine without network, as one command: installs
# Chainer 7.8.1 (and the small packages it imports, where missing) from a
# folder of wheels into the existing Python, which must already have NumPy
# and CuPy, then runs benchmarks/gpu_check.py (docs/gpu.md says what it runs)
# under a hard time limit.
#
#   benchmarks/gpu_check.sh [WHEEL_DIR] [gpu_check.py options]
#   PYTHON=python3 benchmarks/gpu_check.sh wheels --gpu 0 --out "$OUT"
#
# WHEEL_DIR (default: wheels/ at the repository root) is filled beforehand
# on a machine with network by benchmarks/make_wheels (about 1.3 MB).
# Chainer is installed without its declared dependencies: setuptools serves
# only pkg_resources in an import-time check, which began.compat stubs where
# it is missing; protobuf only Caffe model import.
#
# Everything printed also goes to OUT/gpu_check_console.txt, and when
# gpu_check.py ends without its report (it could not even import, or the
# limit killed it), this script writes one: the report always comes back.
# GPU_CHECK_LIMIT_S (default 480) is the hard limit of gpu_check.py, whose
# own --minutes (7.5) ends it first.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHEELS="$ROOT/wheels"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then WHEELS="$1"; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
PY="${PYTHON:-python3}"
LIMIT="${GPU_CHECK_LIMIT_S:-480}"
out="${OUT:-.}"
previous=""
for arg in "$@"; do
  [ "$previous" = "--out" ] && out="$arg"
  case "$arg" in --out=*) out="${arg#--out=}" ;; esac
  previous="$arg"
done
mkdir -p "$out"
report="$out/gpu_check_report.txt"
console="$out/gpu_check_console.txt"
rm -f "$report"
exec > >(tee "$console") 2>&1

"$PY" - <<'PY' || true
import platform
try:
    import numpy
    print('python', platform.python_version(), '| numpy', numpy.__version__, end=' ')
    import cupy
    print('| cupy', cupy.__version__)
except Exception as e:
    print('|', type(e).__name__, str(e).strip().splitlines()[0] if str(e).strip() else '')
PY
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L || true

have() { "$PY" -c "import $1" >/dev/null 2>&1; }
want=()
# (importing chainer itself would fail on NumPy 2 without began.compat)
"$PY" -c 'import importlib.metadata as m, sys; sys.exit(m.version("chainer") != "7.8.1")' \
  >/dev/null 2>&1 || want+=(chainer==7.8.1)
for module in six typing_extensions filelock; do have "$module" || want+=("$module"); done
have PIL || want+=(pillow)
have matplotlib || want+=(matplotlib contourpy cycler fonttools kiwisolver packaging \
  pyparsing python-dateutil)
if [ ${#want[@]} -eq 0 ]; then
  echo "chainer 7.8.1 and what it imports are installed already"
elif [ ! -d "$WHEELS" ]; then
  echo "error: no wheel folder $WHEELS (benchmarks/make_wheels makes it)"
else
  echo "installing ${want[*]} from $WHEELS"
  "$PY" -m pip install --disable-pip-version-check --no-index --find-links "$WHEELS" \
    --no-deps "${want[@]}" || echo "pip could not install everything (see above)"
fi

cd "$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg
timeout -k 10 "$LIMIT" "$PY" benchmarks/gpu_check.py "$@"
status=$?
if ! grep -q '^began GPU check: \(PASS\|FAIL\)' "$report" 2>/dev/null; then
  {
    echo "began GPU check: FAIL (gpu_check.py ended with status $status without its final" \
         "report$([ "$status" = 124 ] && echo ": killed at the ${LIMIT} s limit"))"
    [ -f "$report" ] && { echo "its last report:"; cat "$report"; }
    echo "the console's last lines:"
    tail -n 40 "$console"
  } > "$report.tmp"
  mv "$report.tmp" "$report"
  [ "$status" = 0 ] && status=1
fi
exit "$status"
