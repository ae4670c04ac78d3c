#!/usr/bin/env bash
# Re-resolves every dependency of pyproject.toml (all extras) in a throw-away venv and writes
# the exact versions to constraints.txt. Run after changing dependencies; commit the result.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check ".[dev,bench]"
{
  echo "# Pinned versions for reproducible installs: pip install -c constraints.txt -e '.[dev]'"
  echo "# Regenerate with scripts/lock.sh after changing dependencies in pyproject.toml."
  "$tmp/venv/bin/pip" freeze --disable-pip-version-check | grep -v -i '^hawiya'
} > constraints.txt
echo "wrote constraints.txt ($(grep -vc '^#' constraints.txt) packages)"
