#!/usr/bin/env bash
# Idempotent set-up of a tfgen development/run environment in ./.venv.
#   bash scripts/setup.sh
# - creates .venv (python3 -m venv) if it is missing;
# - installs tfgen (editable) with its test extra, again only when setup.cfg changed since the
#   last successful install (a stamp in .venv records its hash);
# - installs the real Fashion-MNIST (Debian package dataset-fashion-mnist) when it is missing and
#   apt-get is usable; elsewhere tfgen falls back to TFDS (set TFGEN_ALLOW_DOWNLOAD=1 to let it
#   download); likewise the Debian package fortunes (English prose, the text dataset `fortunes`).
#   Set TFGEN_EXTRAS=test,gpu to add the CUDA build of TensorFlow.
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

# install_deb PACKAGE FILE FALLBACK: apt-get install PACKAGE unless FILE exists (quietly; an
# apt-get update and a second try when the first fails; FALLBACK is printed when both fail).
install_deb() {
  [ -f "$2" ] && return 0
  command -v apt-get >/dev/null || return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if ! $sudo apt-get install -y -q "$1" >/dev/null 2>&1; then
    $sudo apt-get update -q >/dev/null 2>&1 || true
    $sudo apt-get install -y -q "$1" >/dev/null 2>&1 \
      || echo "setup: could not install $1; $3" >&2
  fi
}

FMNIST=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
if [ -z "${TFGEN_FASHION_MNIST_DIR:-}" ]; then
  install_deb dataset-fashion-mnist "$FMNIST" "tfgen will use TFDS instead"
fi
[ -f "$FMNIST" ] && echo "setup: Fashion-MNIST at $(dirname "$FMNIST")" || true
# Real English prose for the character-level text GAN (dataset `fortunes`).
FORTUNES=/usr/share/games/fortunes/wisdom  # of package fortunes (fortunes-min has too few)
install_deb fortunes "$FORTUNES" "the text dataset 'fortunes' and its tests are unavailable"
[ -f "$FORTUNES" ] && echo "setup: fortunes at $(dirname "$FORTUNES")" || true
