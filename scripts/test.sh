#!/usr/bin/env bash
# Build everything and run the whole test suite (the README's test command; .ci/run runs it).
#   AMPBENCH_UNITY_BUILD=ON  compile in unity batches (a full build from scratch, as CI does)
#   BUILD_ONLY=1             build, run nothing
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
# PortAudio/JACK are on by default (scripts/install-deps.sh installs them); OFF builds
# without real audio I/O.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMPBENCH_WITH_PORTAUDIO="${AMPBENCH_WITH_PORTAUDIO:-ON}" -DAMPBENCH_WITH_USB="${AMPBENCH_WITH_USB:-ON}" \
  -DAMPBENCH_UNITY_BUILD="${AMPBENCH_UNITY_BUILD:-OFF}"
cmake --build "$build" -j"$(nproc)"
[ -n "${BUILD_ONLY:-}" ] && exit 0
ctest --test-dir "$build" -j"$(nproc)" --output-on-failure
