#!/usr/bin/env bash
# The main job on the built-in example data (`make run`): `arus run --config examples/demo.toml`
# generates a synthetic FX market for four pairs over two months, checks its quality, builds the
# EURUSD M5 feature set, trains four learners and their ensemble walk-forward, backtests the
# ensemble's out-of-sample predictions with FX costs and risk limits, and writes the HTML report.
set -euo pipefail
ARUS=${1:-build/apps/arus/arus}
RUNS=${2:-out/runs}

mkdir -p "$RUNS"
NAME="demo-$(date -u +%Y%m%dT%H%M%S)"
"$ARUS" run --config examples/demo.toml --runs "$RUNS" --name "$NAME"
echo
echo "== models saved by the run (a registry: arus models show ID --models $RUNS/$NAME/models)"
"$ARUS" models list --models "$RUNS/$NAME/models"
echo
echo "== first trades ($RUNS/$NAME/trades.csv)"
head -4 "$RUNS/$NAME/trades.csv" | cut -c1-160
echo
echo "Open the report in a browser: $RUNS/$NAME/report.html (one self-contained file)."
