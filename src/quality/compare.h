// Cross-source comparison of one symbol quoted by two feeds (e.g. two stores, a broker against
// Dukascopy). Both streams are sampled on a common time grid (last quote as of each grid point)
// while the market is open and both sources are quoting (a quote no older than max_quote_age),
// then compared:
//   - mid differences in pips (mean, p50, p99 of |A - B|, max, signed mean),
//   - spreads of each (mean, median in pips),
//   - the clock offset: the lag (±max_lag, one grid step resolution, refined by a parabola
//     through the peak) that maximises the correlation of A's grid log-returns with B's,
//     positive when B's clock runs behind A's (B shows A's moves later),
//   - arbitrage-like discrepancies: stretches where A's bid exceeds B's ask (or B's bid A's ask)
//     by more than a tolerance, i.e. one source quotes a price the other never showed; counted,
//     with their total duration and the worst ones.
// Streaming: the sources are pulled block by block (store::TickScanner via ScannerSource);
// memory is the two current blocks plus fixed-size histograms and a (2 × max_lag / grid + 1)
// return window. Deterministic.
// Thread-safety: CompareSources is reentrant; the report is a value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "fx/calendar.h"
#include "fx/instrument.h"
#include "quality/config.h"
#include "quality/tick_source.h"

namespace arus::quality {

struct CompareOptions {
  CompareSettings settings;  // grid, lag range, quote age, tolerance (the [compare] table)
  std::string symbol;        // for the report; defaults to the instrument's symbol
  std::string label_a = "A";
  std::string label_b = "B";
  const fx::FxCalendar* calendar = nullptr;  // null = fx::FxCalendar::Default()
};

// One arbitrage-like stretch: consecutive grid points where one side's bid exceeds the other's
// ask by more than the tolerance.
struct Discrepancy {
  UnixNanos start;  // first grid point
  UnixNanos end;    // last grid point + one step
  bool a_bid_over_b_ask = true;  // false: B's bid over A's ask
  double max_excess_pips = 0;    // bid - ask at the worst grid point
  UnixNanos worst_at;
  Price a_bid, a_ask, b_bid, b_ask;  // quotes at the worst grid point
};

struct CompareReport {
  std::string symbol, label_a, label_b;
  int price_decimals = 5;
  double pip_size = 0.0001;
  CompareSettings settings;

  int64_t ticks_a = 0;
  int64_t ticks_b = 0;
  UnixNanos first;  // first and last grid point visited
  UnixNanos last;
  // Grid points while the market is open, split by who is quoting.
  int64_t points_both = 0;
  int64_t points_a_only = 0;
  int64_t points_b_only = 0;
  int64_t points_neither = 0;  // including skipped stretches where neither quotes

  // |mid A - mid B| in pips over points_both (0.01-pip resolution for quantiles).
  double mid_diff_mean_pips = 0;
  double mid_diff_p50_pips = 0;
  double mid_diff_p99_pips = 0;
  double mid_diff_max_pips = 0;
  double mid_diff_mean_signed_pips = 0;  // mean of (A - B)

  double spread_a_mean_pips = 0;
  double spread_a_median_pips = 0;  // 0.1-pip resolution
  double spread_b_mean_pips = 0;
  double spread_b_median_pips = 0;

  // Clock offset. lag_valid is false when there were too few returns to correlate.
  bool lag_valid = false;
  Duration lag{0};          // grid-step estimate
  Duration lag_refined{0};  // parabolic refinement around the peak
  double correlation = 0;   // at `lag`
  double correlation_at_zero = 0;
  int64_t return_pairs = 0;  // grid returns used at lag 0
  std::vector<double> correlation_by_lag;  // index k <-> lag (k - max_steps) * grid

  int64_t discrepancy_count = 0;
  int64_t discrepancy_a_over_b = 0;  // A.bid > B.ask
  int64_t discrepancy_b_over_a = 0;  // B.bid > A.ask
  Duration discrepancy_duration{0};
  std::vector<Discrepancy> worst_discrepancies;  // largest excess first

  std::string ToJson() const;
  std::string ToText() const;
};

// Compares two streams of the same symbol. Ticks of each stream should be in time order (a tick
// earlier than the previous one still updates that source's quote). InvalidArgument for bad
// settings; a source's error is returned as is.
Result<CompareReport> CompareSources(const TickSource& a, const TickSource& b,
                                     const fx::Instrument& instrument,
                                     const CompareOptions& options);

}  // namespace arus::quality
