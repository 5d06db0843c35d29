# Shared by scripts/start and scripts/test: a project virtualenv with branchbot installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "branchbot needs Python 3.11 or newer" >&2
  return 1
}

# ensure_venv [extra]: create .venv if missing and install the project with the pinned,
# hash-checked dependencies of requirements/<extra>.lock, plus the Bot API emulator (emulator/:
# its own distribution, for the sandbox and the tests; its aiohttp and Pillow come from the
# lock). Re-install when a pyproject.toml or the lock file changed since the last install;
# scripts/lock writes the lock files.
ensure_venv() {
  local extra="${1:-}" stamp lock
  lock="$ROOT/requirements/${extra:-base}.lock"
  if [ ! -x "$VENV/bin/python" ]; then
    "$(find_python)" -m venv "$VENV"
  fi
  stamp="$VENV/.installed-${extra:-base}"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] || [ "$lock" -nt "$stamp" ] ||
    [ "$ROOT/emulator/pyproject.toml" -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --require-hashes -r "$lock"
    "$VENV/bin/python" -m pip install --quiet --no-deps -e "$ROOT" -e "$ROOT/emulator"
    touch "$stamp"
  fi
}

# ensure_chromium: the browser test drives Debian's chromium (no browser download).
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser test..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: install Debian's 'chromium' package (the browser test needs it)" >&2
  fi
}

# ensure_cjk_font: charts label in Chinese with a freely licensed CJK font (Noto Sans CJK, SIL OFL).
ensure_cjk_font() {
  if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's fonts-noto-cjk for Chinese charts..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
  else
    echo "no Chinese font: install Debian's 'fonts-noto-cjk' (charts fall back to English)" >&2
  fi
}
