// Point-in-time features from external data (external.h) for one currency pair: the as-of join
// on ts_avail and the derived features, as a streaming kernel evaluated at increasing decision
// times. A record is used at decision time t iff its availability instant is <= t; the batch
// function is a loop over the same kernel, so batch and live values are bit-identical.
//
// Columns (formulas in docs/external-data.md; NaN when undefined):
//   evt_mins_to_next_<imp>     minutes from t to the next scheduled event of impact >= <imp>
//                              (high by default) for the base or quote currency, among events
//                              whose schedule is known at t (ts_schedule <= t)
//   evt_mins_since_last_<imp>  minutes since the last such event (ts_event <= t)
//   evt_last_surprise_z        surprise z of the last released such event of either currency:
//                              (actual - forecast) / RMS of the same event's previous N surprises,
//                              clamped to +-cap; uses actual only from its ts_avail
//   evt_last_surprise_z_<CCY>  the same per currency (base, then quote)
//   cot_net_z_<CCY>            z-score of the CFTC non-commercial net position (long - short) of
//                              the currency's future over the last N reports published by t
//   sentiment_ewm              exponentially decayed weighted mean score of the items about the
//                              pair (+) or its base (+) / quote (-) currency available by t
//   sentiment_ewm_weight       the decayed total weight behind it (0 when nothing is known)
//   sentiment_count_<W>        items available in (t - W, t]
//   idx_<S>_close, idx_<S>_logret  last close of index series S known at t, and the log return
//                              between its last two known closes
// Thread-safety: a kernel is a plain value used by one thread. Ownership: it owns copies of the
// records it needs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "features/engine.h"
#include "features/external.h"

namespace arus::features {

struct ExternalFeatureOptions {
  std::string symbol;  // "EURUSD"; base and quote come from the instrument table unless given
  std::string base;    // explicit currencies (optional)
  std::string quote;

  bool calendar = true;
  ingest::EventImpact min_impact = ingest::EventImpact::kHigh;
  int surprise_history = 20;     // previous releases scaling a surprise
  int surprise_min_history = 3;  // fewer: the z is NaN
  double surprise_z_cap = 10;    // |z| is clamped; a surprise after zero-surprise history = +-cap

  bool cot = true;
  int cot_window = 52;      // reports in the z-score window (one year of weekly reports)
  int cot_min_reports = 8;  // fewer: NaN

  bool sentiment = true;
  Duration sentiment_half_life = std::chrono::hours(6);
  Duration sentiment_window = std::chrono::hours(24);

  std::vector<std::string> index_series;  // e.g. {"DXY", "VIX"}
};

// Options from the [external] table of a feature set (feature_set.h; values in the text form the
// spec parser keeps). Keys: calendar, min_impact, surprise_history, surprise_min_history,
// surprise_z_cap, cot, cot_window, cot_min_reports, sentiment, sentiment_half_life,
// sentiment_window, indices (docs/external-data.md). Unknown keys and bad values are
// InvalidArgument naming the key.
Result<ExternalFeatureOptions> ParseExternalFeatureSpec(
    const std::map<std::string, std::string>& table, std::string_view symbol);

// The records a kernel for `options` reads, from the store: the calendar and COT files of the
// base and quote currencies and the sentiment files of the pair and both currencies (each skipped
// when absent), and every requested index series (NotFound when absent).
Result<ExternalRecords> LoadExternalForFeatures(const ExternalStore& store,
                                                const ExternalFeatureOptions& options);

class ExternalFeatureKernel {
 public:
  // InvalidArgument for unknown pairs or bad parameters. Records not about the pair are ignored.
  static Result<ExternalFeatureKernel> Create(const ExternalRecords& records,
                                              const ExternalFeatureOptions& options);

  const std::vector<std::string>& names() const { return names_; }
  size_t size() const { return names_.size(); }

  // Writes size() values for decision time t. Decision times must not decrease (equal is fine);
  // InvalidArgument otherwise or when out.size() != size().
  Status Values(UnixNanos t, std::span<double> out);

  // The state after Values(t) depends only on the records and t, not on earlier decision times,
  // so a checkpoint is the last decision time (a fresh kernel advanced to it continues exactly).
  bool started() const { return started_; }
  UnixNanos last_time() const { return last_t_; }
  // A hash of every record this kernel reads that was available (or scheduled) by t: equal
  // fingerprints mean the data known by t is the same.
  uint64_t KnownFingerprint(UnixNanos t) const;

 private:
  ExternalFeatureKernel() = default;
  void AdvanceCalendar(UnixNanos t);
  void AdvanceCot(UnixNanos t);
  void AdvanceSentiment(UnixNanos t);
  void AdvanceIndex(UnixNanos t);
  double SurpriseZ(int id) const;
  // The z of the last released event (ccy: -1 either, 0 base, 1 quote).
  double LastSurprise(int ccy) const;

  ExternalFeatureOptions opt_;
  std::string base_, quote_, symbol_;
  std::vector<std::string> names_;
  bool started_ = false;
  UnixNanos last_t_;

  // Calendar: records of the pair's currencies; identities (currency, event, ts_event) are ids.
  std::vector<CalendarRecord> cal_;
  std::vector<int> cal_id_;          // record -> id
  std::vector<size_t> sched_order_;  // records by ts_schedule
  std::vector<size_t> value_order_;  // records by ts_avail
  size_t sched_pos_ = 0, value_pos_ = 0;
  std::vector<int64_t> id_event_;             // id -> ts_event
  std::vector<int> id_side_;                  // id -> 0 base, 1 quote
  std::vector<int> id_series_;                // id -> series
  std::vector<int> id_series_pos_;            // id -> position in its series
  std::vector<std::vector<int>> series_ids_;  // series -> ids by ts_event
  std::vector<int> sched_rev_, value_rev_;
  std::vector<char> sched_high_, released_;
  std::vector<double> actual_, forecast_;
  std::set<std::pair<int64_t, int>> high_set_;      // schedule-known qualifying events
  std::set<std::pair<int64_t, int>> released_set_;  // released qualifying events with a surprise
  bool surprise_dirty_ = true;
  double surprise_[3] = {0, 0, 0};  // either, base, quote

  // COT, per side.
  struct CotSide {
    std::vector<CotRecord> recs;  // by ts_avail
    size_t pos = 0;
    std::vector<std::pair<int64_t, std::pair<int32_t, int64_t>>> by_date;  // as_of -> (rev, net)
    double z = 0;
  };
  CotSide cot_[2];

  // Sentiment.
  struct Item {
    int64_t avail;
    double value;  // signed score
    double weight;
  };
  std::vector<Item> items_;  // by ts_avail
  size_t item_pos_ = 0;
  size_t window_pos_ = 0;  // first item inside (t - window, t]
  bool have_items_ = false;
  int64_t ref_ns_ = 0;  // ts_avail of the last item applied: num_/den_ are decayed to it
  double num_ = 0, den_ = 0;

  // Indices.
  struct Series {
    std::vector<IndexRecord> recs;  // by ts_avail
    size_t pos = 0;
    std::vector<std::pair<int64_t, std::pair<int32_t, double>>> by_date;  // date -> (rev, close)
    double close = 0, logret = 0;
  };
  std::vector<Series> index_;
};

// The kernel behind the feature engine's ExternalFeatureProvider (engine.h). Its checkpoint is the
// last decision time plus the fingerprint of the data known by then; LoadState replays to that
// time and refuses (FailedPrecondition) when the data known by then has changed since.
class ExternalFeatureSource : public ExternalFeatureProvider {
 public:
  static Result<std::unique_ptr<ExternalFeatureSource>> Create(ExternalRecords records,
                                                               ExternalFeatureOptions options);
  // Loads what the [external] table of a feature set for `symbol` needs from the store.
  static Result<std::unique_ptr<ExternalFeatureSource>> Open(
      const std::string& store_dir, std::string_view symbol,
      const std::map<std::string, std::string>& table);

  const std::vector<std::string>& names() const override { return kernel_.names(); }
  // Decision times must not decrease; a time before the previous one yields NaN values.
  void ValuesAt(UnixNanos t, double* out) override;
  std::vector<uint8_t> SaveState() const override;
  Status LoadState(std::span<const uint8_t> bytes) override;

 private:
  ExternalFeatureSource(ExternalRecords records, ExternalFeatureOptions options,
                        ExternalFeatureKernel kernel)
      : records_(std::move(records)), options_(std::move(options)), kernel_(std::move(kernel)) {}
  ExternalRecords records_;
  ExternalFeatureOptions options_;
  ExternalFeatureKernel kernel_;
};

// Feature columns at the given decision times (non-decreasing), column-major.
struct ExternalFeatureColumns {
  std::vector<std::string> names;
  std::vector<UnixNanos> times;
  std::vector<std::vector<double>> columns;  // columns[c][row]
};

// The batch form: one kernel, Values() at every time in order.
Result<ExternalFeatureColumns> ComputeExternalFeatures(const ExternalRecords& records,
                                                       const ExternalFeatureOptions& options,
                                                       std::span<const UnixNanos> times);

}  // namespace arus::features
