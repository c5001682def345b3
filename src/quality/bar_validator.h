// Streaming validation and cleaning of one symbol's bar series (e.g. M1 bars from an MT5 or
// HistData export, or bars built by bars::BarAggregator). Rules, in order per bar: bar_order
// (ts_close > ts_open, no overlap with or step back from the previous bar), bar_ohlc
// (low <= open, close <= high; low <= high), bar_volume (volume finite and >= 0, tick_count >= 0),
// and bar_gap (bars missing while the market is open, for a given bar duration; weekend and
// holiday closures are never gaps). With bar_gap policy `repair`, each missing bar is emitted as a
// flat bar at the previous close (tick_count 0, volume 0, spreads 0) and marked as filled in a
// parallel flag vector: core::Bar has no flag field.
//
// Missing-bar slots are laid from the previous bar's close in steps of the bar duration, and
// restart at the market's next open after a closure (17:00 New York): right for every standard
// timeframe (M1..H4 align to the 17:00 anchor, D1 runs 17:00 -> 17:00, W1 opens Sunday 17:00).
// Thread-safety: a BarValidator belongs to one thread. Ownership: calendar, quarantine and sink
// captures are borrowed and must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "fx/calendar.h"
#include "fx/instrument.h"
#include "ingest/quarantine.h"
#include "quality/config.h"
#include "quality/report.h"

namespace arus::quality {

// Receives the surviving bars in time order with a parallel flag: 1 = filled by bar_gap repair.
using CleanBarSink =
    std::function<Status(std::span<const Bar> bars, std::span<const uint8_t> filled)>;

struct BarValidatorOptions {
  std::string symbol;  // defaults to the instrument's symbol
  std::string source;  // quarantine "file" column; defaults to the symbol
  const fx::FxCalendar* calendar = nullptr;  // null = fx::FxCalendar::Default()
  ingest::Quarantine* quarantine = nullptr;
  CleanBarSink sink;
  // The range the bars should cover: missing bars at its edges are gaps (a trailing gap can be
  // repaired; a leading one cannot, there is no previous close).
  UnixNanos expected_from = UnixNanos::Min();
  UnixNanos expected_to = UnixNanos::Max();
};

class BarValidator {
 public:
  // InvalidArgument for a bad config (ValidateQualityConfig) or a bar duration <= 0.
  static Result<std::unique_ptr<BarValidator>> Create(const QualityConfig& config,
                                                      const fx::Instrument& instrument,
                                                      Duration bar_duration,
                                                      BarValidatorOptions options = {});
  ~BarValidator();
  BarValidator(const BarValidator&) = delete;
  BarValidator& operator=(const BarValidator&) = delete;

  Status Add(std::span<const Bar> bars);
  // Flushes the sink and returns the report ("bars" kind: no hour profiles or jumps).
  Result<QualityReport> Finish();

 private:
  struct Impl;
  explicit BarValidator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct CleanedBars {
  std::vector<Bar> bars;
  std::vector<uint8_t> filled;  // parallel to bars: 1 = created by bar_gap repair
  QualityReport report;
};

// Convenience for series that fit in memory. options.sink is ignored.
Result<CleanedBars> CleanBars(std::span<const Bar> bars, const fx::Instrument& instrument,
                              Duration bar_duration, const QualityConfig& config,
                              BarValidatorOptions options = {});

}  // namespace arus::quality
