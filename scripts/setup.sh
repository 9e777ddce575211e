#!/usr/bin/env bash
# Idempotent set-up of a tfgen development/run environment in ./.venv.
#   bash scripts/setup.sh
# - creates .venv (python3 -m venv) if it is missing;
# - installs tfgen (editable) with its test extra, again only when setup.cfg changed since the
#   last successful install (a stamp in .venv records its hash);
# - installs the real Fashion-MNIST (Debian package dataset-fashion-mnist) when it is missing and
#   apt-get is usable; elsewhere tfgen falls back to TFDS (set TFGEN_ALLOW_DOWNLOAD=1 to let it
#   download). Set TFGEN_EXTRAS=test,gpu to add the CUDA build of TensorFlow.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
EXTRAS=${TFGEN_EXTRAS:-test}

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.tfgen-install-stamp
want="$(sha256sum setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1) extras=$EXTRAS"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$EXTRAS]"
  echo "$want" > "$stamp"
else
  echo "setup: .venv is up to date"
fi

FMNIST=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
if [ ! -f "$FMNIST" ] && [ -z "${TFGEN_FASHION_MNIST_DIR:-}" ] && command -v apt-get >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  if ! $SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; then
    $SUDO apt-get update -q >/dev/null 2>&1 || true
    $SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 \
      || echo "setup: could not install dataset-fashion-mnist; tfgen will use TFDS instead" >&2
  fi
fi
[ -f "$FMNIST" ] && echo "setup: Fashion-MNIST at $(dirname "$FMNIST")" || true
