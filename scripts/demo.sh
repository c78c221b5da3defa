#!/usr/bin/env bash
# Quick start: install the packages, build, and run the power-amplifier production test on
# the simulated station for a good unit and a faulty one. Results land in ampbench.db,
# an HTML report per unit in out/reports/, JUnit XML in out/junit.xml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMPBENCH_WITH_PORTAUDIO=ON -DAMPBENCH_WITH_USB=ON
cmake --build build -j"$(nproc)"
set +e
build/ampbench run sequences/poweramp-production.toml --serial DEMO-001 --serial SIM-HUM --db ampbench.db \
  --report-dir out/reports --junit out/junit.xml
verdict=$?
set -e
build/ampbench results list --db ampbench.db --limit 2
echo "exit code $verdict (0 PASS, 1 FAIL: the unit SIM-HUM simulates a hum fault)"
echo "reports: $(ls out/reports/*.html | tr '\n' ' ')"
