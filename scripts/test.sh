#!/usr/bin/env bash
# Build everything and run the whole test suite (the README's test command; .ci/run runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
# PortAudio/JACK are on by default (scripts/install-deps.sh installs them); OFF builds
# without real audio I/O.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMPBENCH_WITH_PORTAUDIO="${AMPBENCH_WITH_PORTAUDIO:-ON}" -DAMPBENCH_WITH_USB="${AMPBENCH_WITH_USB:-ON}"
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" -j"$(nproc)" --output-on-failure
