#!/usr/bin/env bash
# Installs the Debian 12 packages arus needs to build, test and run. Idempotent: when every package
# is already installed it does nothing (no apt-get update, no network).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git
  # core libraries
  libzstd-dev libxxhash-dev liblzma-dev libhowardhinnant-date-dev tzdata
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libfast-float-dev
  # machine learning
  libxgboost-dev libsvm-dev liblinear-dev
  # deep learning: LibTorch (CPU) and the threaded OpenBLAS it must use (6x faster LSTMs)
  libtorch-dev libopenblas0-pthread
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the HTML report is checked in headless Chromium
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
