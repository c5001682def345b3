// Helpers shared by the quality tests (not part of the library).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/price.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/instrument.h"
#include "ingest/quarantine.h"
#include "quality/tick_validator.h"

namespace arus::quality::testing {

inline UnixNanos T(std::string_view iso) {
  Result<UnixNanos> r = ParseIsoUtc(iso);
  if (!r.ok()) std::abort();
  return *r;
}

inline Price P(std::string_view text) {
  Result<Price> r = Price::Parse(text);
  if (!r.ok()) std::abort();
  return *r;
}

inline QuoteTick Q(UnixNanos t, int64_t bid_points, int64_t ask_points, float bv = 1, float av = 1) {
  return QuoteTick{t, Price::FromScaled(bid_points, 5), Price::FromScaled(ask_points, 5), bv, av};
}

inline const fx::Instrument& Eurusd() {
  static const fx::Instrument* in = [] {
    Result<const fx::Instrument*> r = fx::InstrumentTable::Builtin().Find("EURUSD");
    if (!r.ok()) std::abort();
    return *r;
  }();
  return *in;
}

// A clean tick series from `start`, one tick per `step`: the bid walks by -2..+2 points in a
// fixed pattern around 1.10000, spread 10 points (1 pip). Volumes vary so no two ticks are equal.
inline std::vector<QuoteTick> Walk(UnixNanos start, int n, Duration step,
                                   int64_t base = 110'000) {
  static constexpr int kSteps[] = {1, -2, 2, 0, -1, 1, 2, -2, -1, 0, 1, -1, 2, -2, 0, 1};
  std::vector<QuoteTick> out;
  out.reserve(n);
  int64_t bid = base;
  for (int i = 0; i < n; ++i) {
    bid += kSteps[i % 16] + (i % 97 == 0 ? 1 : 0);
    out.push_back(Q(start + step * i, bid, bid + 10, 1.0f + static_cast<float>(i % 13),
                    2.0f + static_cast<float>(i % 7)));
  }
  return out;
}

struct Run {
  QualityReport report;
  std::vector<QuoteTick> out;
};

// Validates `ticks` in chunks of `chunk`, collecting the kept ticks.
inline Run Validate(std::span<const QuoteTick> ticks, const QualityConfig& config = {},
                    ingest::Quarantine* quarantine = nullptr, size_t chunk = 1000,
                    UnixNanos expected_from = UnixNanos::Min(),
                    UnixNanos expected_to = UnixNanos::Max(),
                    const fx::Instrument& instrument = Eurusd()) {
  Run run;
  TickValidatorOptions opt;
  opt.quarantine = quarantine;
  opt.expected_from = expected_from;
  opt.expected_to = expected_to;
  opt.sink = [&run](std::span<const QuoteTick> t) {
    run.out.insert(run.out.end(), t.begin(), t.end());
    return Status::Ok();
  };
  Result<std::unique_ptr<TickValidator>> v = TickValidator::Create(config, instrument, opt);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  if (!v.ok()) return run;
  for (size_t i = 0; i < ticks.size(); i += chunk) {
    const size_t n = std::min(chunk, ticks.size() - i);
    Status s = (*v)->Add(ticks.subspan(i, n));
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  Result<QualityReport> r = (*v)->Finish();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (r.ok()) run.report = std::move(r).value();
  return run;
}

inline int64_t Hits(const QualityReport& r, RuleId id) {
  const RuleStats* s = r.rule(id);
  return s == nullptr ? -1 : s->hits;
}
inline int64_t Events(const QualityReport& r, RuleId id) {
  const RuleStats* s = r.rule(id);
  return s == nullptr ? -1 : s->events;
}

}  // namespace arus::quality::testing
