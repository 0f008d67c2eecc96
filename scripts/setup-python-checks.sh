#!/usr/bin/env bash
# Installs the independent Python readers used as cross-checks in tests (pyarrow, datasets, tokenizers)
# into .venv-checks. Tests find it through test/helpers/python.ts and skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv-checks/bin/python ] && .venv-checks/bin/python -c "import pyarrow, datasets, tokenizers, tiktoken" 2>/dev/null; then
  exit 0
fi
python3 -m venv .venv-checks
index=()
if [ -d /opt/pypi/simple ]; then index=(--index-url file:///opt/pypi/simple); fi
.venv-checks/bin/pip install --quiet --disable-pip-version-check --retries 1 --timeout 15 "${index[@]}" pyarrow datasets tokenizers tiktoken
