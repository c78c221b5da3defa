#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer and UndefinedBehaviorSanitizer (clang, the
# build scripts/fuzz.sh shares: scripts/build-sanitizers.sh); any report fails the run.
# The two browser tests are left to the release suite unless SANITIZE_BROWSER=1: they judge
# pages in Chromium, whose server side test_serve already drives under the sanitizers, and
# under them they were 115 s of CI's 580 (one of them alone on the machine).
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build-sanitizers}
scripts/build-sanitizers.sh
# Leaks are checked too; libjack keeps a few allocations for the life of the process.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:suppressions=$PWD/tests/sanitizer-suppressions.txt"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan-suppressions.txt"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
skip=(-LE browser)
[ "${SANITIZE_BROWSER:-}" = 1 ] && skip=()
ctest --test-dir "$BUILD_DIR" -j"$(nproc)" --output-on-failure "${skip[@]}"
