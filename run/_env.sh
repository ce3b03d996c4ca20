# Sourced by the run/ scripts, and safe to source in your own shell
# (`source run/_env.sh`): sets up .venv once (run/_setup_venv) and activates
# it. It changes no shell option of the shell that sources it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BEGAN_VENV:-$ROOT/.venv}"
if BEGAN_VENV="$VENV" "$ROOT/run/_setup_venv"; then
  export PATH="$VENV/bin:$PATH"
  export MPLBACKEND=Agg
else
  echo "error: could not set up $VENV (see the message above)" >&2
  return 1 2>/dev/null || exit 1
fi
