// The synthetic FX market: arus's built-in example data, a deterministic multi-pair tick generator
// that looks like FX (see docs/synthetic-market.md for the model and every constant).
//
// Every currency (EUR GBP AUD NZD USD CAD CHF JPY, and XAU for gold) has a latent log-value; a
// pair's mid is exp(f_base - f_quote) times its reference level, so crosses stay consistent with
// the majors. Volatility is stochastic and seasonal (FX sessions); ticks arrive as a Poisson
// process whose rate follows the sessions; spreads widen at the 17:00 New York rollover and around
// scheduled news; nothing trades while the market is closed, and prices gap across weekends.
//
// Modes: kNormal (realistic, with mild post-news drift and slow mean reversion), kRandomWalk
// (martingale mids: nothing is predictable), kPlantSignal (the random walk plus a documented
// momentum pattern of strength `signal_strength`, for testing ML pipelines end to end).
//
// Determinism: the same options give bit-identical ticks on any IEEE-754 machine (own RNG and math,
// see det_random.h). Each currency, pair and news series draws from its own stream, so a pair's
// ticks do not change when other symbols are added to the request.
//
// Memory: ticks are produced one trading day at a time (NextDay); only the day in hand is held.
// Thread-safety: a SyntheticMarket is owned by one thread. Not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/calendar.h"
#include "fx/instrument.h"
#include "ingest/economic_calendar.h"

namespace arus::ingest {

struct SyntheticOptions {
  enum class Mode : uint8_t { kNormal, kRandomWalk, kPlantSignal };

  std::vector<std::string> symbols;  // looked up in the instrument table ("EURUSD", "eur/usd")
  UnixNanos from;                    // ticks in [from, to), UTC
  UnixNanos to;
  uint64_t seed = 7;
  Mode mode = Mode::kNormal;
  // kPlantSignal only: E[f(T+5m) - f(T)] = strength * (f(T) - f(T-15m)) for every currency factor
  // f at every 5-minute boundary T. Must be in [0, 1/3) (the process is stationary below 1/3).
  double signal_strength = 0;
  // Scheduled news (schedule, vol/spread effects, jumps). Off: no events at all.
  bool news = true;
  // Multiplies every tick arrival rate (e.g. 0.1 for quick tests). Must be in (0, 100].
  double tick_rate_scale = 1.0;
  // Trading calendar; null = fx::FxCalendar::Default(). Not owned; must outlive the market.
  const fx::FxCalendar* calendar = nullptr;
};

std::string_view SyntheticModeName(SyntheticOptions::Mode mode);  // "normal", "random_walk", ...

class SyntheticMarket {
 public:
  // InvalidArgument for: no symbols, unknown or duplicate symbols, a currency the generator has
  // no model for (it knows EUR GBP AUD NZD USD CAD CHF JPY XAU), from >= to, a bad strength or
  // tick-rate scale. The instrument table is copied from (only the requested instruments).
  static Result<std::unique_ptr<SyntheticMarket>> Create(SyntheticOptions options,
                                                         const fx::InstrumentTable& instruments);
  ~SyntheticMarket();
  SyntheticMarket(const SyntheticMarket&) = delete;
  SyntheticMarket& operator=(const SyntheticMarket&) = delete;

  // Generates the next open trading day (17:00 -> 17:00 New York, clipped to [from, to)).
  // `ticks_per_symbol` is resized to the symbol count and refilled: element i holds the ticks of
  // Instruments()[i] in strictly increasing time order. Returns false (and empty vectors) once
  // the range is exhausted. Days without open market time are skipped.
  Result<bool> NextDay(std::vector<std::vector<QuoteTick>>* ticks_per_symbol);

  // The requested instruments, in request order, with canonical symbols.
  const std::vector<fx::Instrument>& Instruments() const;
  // The scheduled events in [from, to) that drive the news effects (empty when news is off).
  const std::vector<EconomicEvent>& Events() const;
  // Trading date of the day returned by the last successful NextDay.
  fx::Date LastDay() const;
  // Fraction of [from, to) generated so far, in [0, 1] (for progress bars).
  double Progress() const;
  const SyntheticOptions& options() const;

 private:
  struct Impl;
  explicit SyntheticMarket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Convenience for small ranges and tests: all ticks of [from, to) at once, per symbol.
Result<std::vector<std::vector<QuoteTick>>> GenerateSyntheticTicks(
    const SyntheticOptions& options, const fx::InstrumentTable& instruments);

}  // namespace arus::ingest
