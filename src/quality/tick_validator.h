// Streaming validation and cleaning of one symbol's quote ticks. Feed ticks in time order, any
// number at a time (e.g. straight from a store::TickScanner); the validator applies the rules of
// a CleaningPolicy, hands the surviving ticks on to a sink in order, sends dropped ticks to an
// ingest::Quarantine (reason = rule name), and builds a QualityReport.
//
// Rules and their order (docs/quality.md):
//   1. duplicate, time_order, crossed, locked, spread     — per tick, no look-ahead
//   2. spike                                              — look-ahead of spike.revert_ticks ticks
//   3. gap, stale, profiles, output                       — on the ticks that come out of 2
// Memory is bounded: a few rolling windows (spread.window spreads, spike.window returns), the
// spike look-ahead buffer and fixed-size profile histograms; months of ticks stream through.
// Ticks are held back by at most the spike look-ahead; Finish() releases them.
//
// Thread-safety: a TickValidator belongs to one thread. Ownership: the calendar, quarantine and
// sink captures are borrowed and must outlive the validator.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/status.h"
#include "core/tick.h"
#include "fx/calendar.h"
#include "fx/instrument.h"
#include "ingest/importer.h"
#include "ingest/quarantine.h"
#include "quality/config.h"
#include "quality/report.h"
#include "quality/tick_source.h"

namespace arus::quality {

struct TickValidatorOptions {
  std::string symbol;  // for the report; defaults to the instrument's symbol
  // Written in the quarantine's "file" column for dropped ticks; defaults to the symbol.
  std::string source;
  const fx::FxCalendar* calendar = nullptr;  // null = fx::FxCalendar::Default()
  ingest::Quarantine* quarantine = nullptr;  // null: dropped ticks are only counted
  ingest::TickSink sink;                     // receives the kept ticks; may be empty
  // The range the data is supposed to cover (e.g. the CLI's --from/--to). When set, missing
  // data at its edges counts as gaps, and it is the range of the profiles and the score.
  UnixNanos expected_from = UnixNanos::Min();
  UnixNanos expected_to = UnixNanos::Max();
};

class TickValidator {
 public:
  // InvalidArgument if the config does not validate (ValidateQualityConfig), e.g. `repair` on a
  // tick rule, or the instrument has no positive pip size.
  static Result<std::unique_ptr<TickValidator>> Create(const QualityConfig& config,
                                                       const fx::Instrument& instrument,
                                                       TickValidatorOptions options = {});
  ~TickValidator();
  TickValidator(const TickValidator&) = delete;
  TickValidator& operator=(const TickValidator&) = delete;

  // Validates the next ticks. Returns the sink's error if it fails (the validator is then
  // unusable).
  Status Add(std::span<const QuoteTick> ticks);
  // Resolves the look-ahead, flushes the sink and returns the report. Call once, last.
  Result<QualityReport> Finish();

 private:
  struct Impl;
  explicit TickValidator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs a whole source through a validator (the `arus quality` path).
Result<QualityReport> ValidateTicks(const TickSource& source, const fx::Instrument& instrument,
                                    const QualityConfig& config,
                                    TickValidatorOptions options = {});

}  // namespace arus::quality
