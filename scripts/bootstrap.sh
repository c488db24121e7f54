#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine: uv (from PyPI, into the Python 3.13
# interpreter that .python-version selects), the locked virtual environment, and — when running as
# root — Debian's gettext (translations) and, with --browser, Chromium (browser tests).
# Usage: scripts/bootstrap.sh [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

find_python() {
  local candidate
  for candidate in python3.13 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/3.13.0/bin/python3.13" \
                   "$HOME/.pyenv/versions/3.13.0/bin/python3.13" /usr/local/bin/python3.13 /usr/bin/python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ]; then
      if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' 2>/dev/null; then
        "$candidate" -c 'import sys; print(sys.executable)'
        return 0
      fi
    fi
  done
  return 1
}

PY=$(find_python) || { echo "error: Python 3.13 not found (pyenv install 3.13.0, see .python-version)" >&2; exit 1; }

if ! "$PY" -m uv --version >/dev/null 2>&1; then
  echo "» installing uv into $PY"
  "$PY" -m pip install --quiet --disable-pip-version-check uv 2>&1 | grep -v -i "warning" || true
fi

apt_packages=()
command -v msgfmt >/dev/null 2>&1 || apt_packages+=(gettext)
if [ "$want_browser" = 1 ]; then
  [ -x /usr/bin/chromium ] || apt_packages+=(chromium)
  # CJK glyphs for Chinese pages in screenshots and the recorded video tutorials
  [ -d /usr/share/fonts/opentype/noto ] || apt_packages+=(fonts-noto-cjk)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "» installing Debian packages: ${apt_packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  else
    echo "warning: missing ${apt_packages[*]} and not root; install them with your package manager" >&2
  fi
fi

# bytecode compiled at install: the first start is faster, and third-party modules' compile-time
# warnings (jieba's SyntaxWarnings) do not look like the product's errors in the start-up log
"$PY" -m uv sync --locked --python "$PY" --quiet --compile-bytecode
