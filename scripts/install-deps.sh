#!/usr/bin/env bash
# Installs the Debian 12 packages ampbench builds and tests with (needs root or sudo).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libsndfile1-dev libfftw3-dev libcli11-dev libsqlite3-dev libpqxx-dev libssl-dev uuid-dev postgresql openssl libgtest-dev libgmock-dev
  nlohmann-json3-dev libtomlplusplus-dev libbenchmark-dev sqlite3
  python3-numpy python3-scipy python3-pil
  libboost-dev libxml2-utils chromium chromium-driver python3-selenium libcpp-httplib-dev
  jackd2 libjack-jackd2-dev portaudio19-dev libusb-1.0-0-dev
  clang libclang-rt-14-dev
)
sudo_if_needed=()
[ "$(id -u)" = 0 ] || sudo_if_needed=(sudo)
export DEBIAN_FRONTEND=noninteractive
# jackd2 asks whether to enable real-time priorities; CI runs jackd without them.
echo "jackd2 jackd/tweak_rt_limits boolean false" | "${sudo_if_needed[@]}" debconf-set-selections
"${sudo_if_needed[@]}" apt-get update -q
"${sudo_if_needed[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
