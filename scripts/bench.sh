#!/usr/bin/env bash
# Runs every benchmark program in bench/ (built by `make build`) and prints their figures.
set -euo pipefail
BUILD=${1:-build}
status=0
for b in "$BUILD"/bench/*_bench; do
  [ -x "$b" ] || continue
  echo "=== $(basename "$b")"
  "$b" || status=1
done
exit $status
