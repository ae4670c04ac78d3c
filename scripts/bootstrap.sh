#!/usr/bin/env bash
# Creates .venv and installs hawiya with pinned dependencies (constraints.txt).
# Sourced by scripts/demo and scripts/test; safe to run again (it skips work already done).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else
    echo "hawiya needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; fi
fi

extras="${HAWIYA_EXTRAS-dev}"
spec="."; [ -n "$extras" ] && spec=".[$extras]"
stamp=".venv/.hawiya-installed"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)-$extras"
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== installing hawiya and its pinned dependencies into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e "$spec"
  echo "$want" > "$stamp"
fi
