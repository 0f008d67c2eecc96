#!/usr/bin/env bash
# Installs the independent Python readers used as cross-checks in tests (pyarrow, datasets, tokenizers)
# into .venv-checks. Tests find it through test/helpers/python.ts and skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv-checks/bin/python ] && .venv-checks/bin/python -c "import pyarrow, datasets, tokenizers" 2>/dev/null; then
  exit 0
fi
python3 -m venv .venv-checks
.venv-checks/bin/pip install --quiet --disable-pip-version-check pyarrow datasets tokenizers
