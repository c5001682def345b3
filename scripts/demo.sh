#!/usr/bin/env bash
# The main job on the built-in example data (`make run`): a synthetic FX market for four pairs over
# two months goes into a fresh tick store, then bars are built from it.
set -euo pipefail
ARUS=${1:-build/apps/arus/arus}
OUT=${2:-out/demo}

rm -rf "$OUT"
mkdir -p "$OUT"
echo "== generate: synthetic ticks for EURUSD, GBPUSD, EURGBP, USDJPY (2024-01-01 .. 2024-03-01)"
"$ARUS" generate --symbols EURUSD,GBPUSD,EURGBP,USDJPY --from 2024-01-01 --to 2024-03-01 --seed 7 \
  --store "$OUT/store" --calendar "$OUT/economic_calendar.csv"
echo
echo "== info: what the store holds"
"$ARUS" info --store "$OUT/store"
echo
echo "== bars: EURUSD H1 and D1 (mid), USDJPY M5 (bid)"
"$ARUS" bars --store "$OUT/store" --symbol EURUSD --timeframe H1 --output "$OUT/EURUSD_H1.csv"
"$ARUS" bars --store "$OUT/store" --symbol EURUSD --timeframe D1 --output "$OUT/EURUSD_D1.csv"
"$ARUS" bars --store "$OUT/store" --symbol USDJPY --timeframe M5 --price bid \
  --output "$OUT/USDJPY_M5_bid.csv"
echo
echo "First EURUSD daily bars: each runs 17:00 -> 17:00 New York, so it opens at 22:00 UTC (winter)"
echo "the evening before its trading date; 1 Jan and weekends are closed:"
head -6 "$OUT/EURUSD_D1.csv"
echo
echo "== features: EURUSD M5 decisions with indicators on M5..D1, cross-pair features and labels"
echo "   (examples/features.toml; every feature reads only bars closed by its row's time)"
"$ARUS" features --config examples/features.toml --store "$OUT/store" \
  --output "$OUT/eurusd_m5.ds" --csv "$OUT/eurusd_m5.csv"
"$ARUS" dataset info "$OUT/eurusd_m5.ds" | sed -n 1,20p  # sed reads to the end: no SIGPIPE
echo
echo "== train: XGBoost, random forest, logistic, SVM and their ensemble, walk-forward with purging"
echo "   (examples/train.toml; nested hyperparameter search inside each training window)"
"$ARUS" train --config examples/train.toml --dataset "$OUT/eurusd_m5.ds" \
  --models "$OUT/models" --out "$OUT/run"
echo
echo "== models: the registry, and predictions of the ensemble"
"$ARUS" models list --models "$OUT/models"
ENSEMBLE=$(ls "$OUT/models" | grep -- '-ensemble-' | head -1)
"$ARUS" predict --model "$ENSEMBLE" --models "$OUT/models" --dataset "$OUT/eurusd_m5.ds" \
  --output "$OUT/predictions.csv"
echo
echo "Done. Outputs in $OUT/: store/, economic_calendar.csv, EURUSD_H1.csv, EURUSD_D1.csv,"
echo "USDJPY_M5_bid.csv, eurusd_m5.ds (dataset), eurusd_m5.csv, run/metrics.json, models/ and"
echo "predictions.csv"
