#include "quality/bar_validator.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/format.h"
#include "quality/market_time.h"
#include "quality/rolling.h"

namespace arus::quality {

namespace {

constexpr int kFirstBarRule = static_cast<int>(RuleId::kBarOhlc);
constexpr int kBarRuleCount = kRuleCount - kFirstBarRule;

int Slot(RuleId id) { return static_cast<int>(id) - kFirstBarRule; }

std::string Fixed(double v, int decimals) {
  std::string s;
  AppendFixed(&s, v, decimals);
  return s;
}

}  // namespace

struct BarValidator::Impl {
  QualityConfig config;
  const CleaningPolicy& p = config.policy;
  fx::Instrument instrument;
  Duration bar;
  BarValidatorOptions opt;
  const fx::FxCalendar* cal;
  int decimals;
  double pip_raw;
  bool on[kBarRuleCount];
  Policy policy[kBarRuleCount];
  bool expected_from_set;
  bool expected_to_set;

  int64_t hits[kBarRuleCount] = {};
  int64_t events[kBarRuleCount] = {};
  int64_t dropped[kBarRuleCount] = {};
  int64_t repaired[kBarRuleCount] = {};
  std::vector<WorstKeeper> worst;
  int64_t rows_in = 0, rows_out = 0, rows_dropped = 0, rows_filled = 0, rows_bad = 0;
  int64_t rows_while_closed = 0;
  UnixNanos min_ts = UnixNanos::Max();
  UnixNanos max_ts = UnixNanos::Min();

  bool has_prev = false;
  Bar prev;  // last kept bar
  std::vector<GapRow> gaps;
  int64_t gap_count = 0;
  Duration gap_open_total{0};
  OpenCache open_cache;
  std::vector<Bar> out;
  std::vector<uint8_t> out_filled;
  Status sink_status;

  Impl(const QualityConfig& c, const fx::Instrument& inst, Duration bar_duration,
       BarValidatorOptions o, const fx::FxCalendar* calendar)
      : config(c),
        instrument(inst),
        bar(bar_duration),
        opt(std::move(o)),
        cal(calendar),
        open_cache(*calendar) {
    decimals = inst.price_precision;
    pip_raw = inst.pip_size * static_cast<double>(kPriceScale);
    for (int i = 0; i < kBarRuleCount; ++i) {
      const RuleId id = static_cast<RuleId>(kFirstBarRule + i);
      on[i] = p.enabled(id);
      policy[i] = p.policy(id);
      worst.emplace_back(static_cast<size_t>(c.report.examples));
    }
    expected_from_set = opt.expected_from != UnixNanos::Min();
    expected_to_set = opt.expected_to != UnixNanos::Max();
  }

  std::string Px(Price x) const { return x.ToString(decimals); }

  std::string BarText(const Bar& b) const {
    std::string s = b.ts_open.ToIso() + "," + b.ts_close.ToIso() + "," + Px(b.open) + "," +
                    Px(b.high) + "," + Px(b.low) + "," + Px(b.close) + "," +
                    std::to_string(b.tick_count) + ",";
    AppendShortest(&s, b.volume);
    return s;
  }

  // Counts a hit on `b`; returns true when the bar is dropped.
  bool Catch(RuleId id, std::string_view field, const Bar& b, double severity,
             const std::string& why) {
    const int i = Slot(id);
    ++hits[i];
    ++events[i];
    if (worst[i].Wants(severity)) {
      worst[i].Add(Example{b.ts_open, b.ts_close, false, Price(), Price(), severity, why});
    }
    if (policy[i] != Policy::kDrop) return false;
    if (opt.quarantine != nullptr) {
      opt.quarantine->Add(opt.source, 0, field, RuleName(id), why, BarText(b));
    }
    ++dropped[i];
    ++rows_dropped;
    return true;
  }

  void Emit(const Bar& b, bool filled) {
    ++rows_out;
    if (filled) ++rows_filled;
    if (opt.sink) {
      out.push_back(b);
      out_filled.push_back(filled ? 1 : 0);
    }
  }

  // Missing bar slots in [from, to); emits flat bars at `fill_price` when `fill`.
  int64_t Missing(UnixNanos from, UnixNanos to, bool fill, Price fill_price) {
    int64_t n = 0;
    UnixNanos s = from;
    while (s < to) {
      if (!open_cache.IsOpen(s)) {
        s = open_cache.StretchEnd();
        continue;
      }
      const UnixNanos e = s + bar;
      if (e > to) break;  // a partial slot: the series is not on this grid
      if (fill) {
        Bar f;
        f.ts_open = s;
        f.ts_close = e;
        f.open = f.high = f.low = f.close = fill_price;
        Emit(f, true);
      }
      ++n;
      s = e;
    }
    return n;
  }

  void CheckGap(UnixNanos from, UnixNanos to, bool can_fill, Price fill_price) {
    if (!on[Slot(RuleId::kBarGap)] || to <= from) return;
    const int64_t n = Missing(from, to, false, Price());
    if (n < p.bar_gap.min_bars || n == 0) return;
    const int i = Slot(RuleId::kBarGap);
    const Duration od = OpenDuration(*cal, from, to);
    ++events[i];
    hits[i] += n;
    ++gap_count;
    gap_open_total += od;
    if (static_cast<int64_t>(gaps.size()) < config.report.max_gaps) {
      gaps.push_back(GapRow{from, to, od, n});
    }
    const double sev = static_cast<double>(n);
    if (worst[i].Wants(sev)) {
      worst[i].Add(Example{from, to, false, Price(), Price(), sev,
                           std::to_string(n) + " bar(s) missing, " + FormatDuration(od) +
                               " of open market"});
    }
    if (policy[i] == Policy::kRepair && can_fill) {
      Missing(from, to, true, fill_price);
      repaired[i] += n;
    }
  }

  void AddBar(const Bar& b) {
    ++rows_in;
    min_ts = std::min(min_ts, b.ts_open);
    max_ts = std::max(max_ts, b.ts_close);
    bool bad = false;

    if (on[Slot(RuleId::kBarOrder)]) {
      std::string why;
      double sev = 0;
      if (b.ts_close <= b.ts_open) {
        why = "ts_close " + b.ts_close.ToIso() + " is not after ts_open";
      } else if (has_prev && b.ts_open < prev.ts_close) {
        const Duration back = prev.ts_close - b.ts_open;
        sev = static_cast<double>(back.count()) / kNanosPerSecond;
        why = "opens " + FormatDuration(back) + " before the previous bar's close " +
              prev.ts_close.ToIso();
      }
      if (!why.empty()) {
        if (Catch(RuleId::kBarOrder, "ts_open", b, sev, why)) {
          ++rows_bad;
          return;
        }
        bad = true;
      }
    }
    if (on[Slot(RuleId::kBarOhlc)]) {
      const int64_t lo = b.low.raw(), hi = b.high.raw();
      int64_t worst_raw = 0;
      std::string what;
      auto check = [&](int64_t violation, const char* text) {
        if (violation > 0) {
          if (!what.empty()) what += ", ";
          what += text;
          worst_raw = std::max(worst_raw, violation);
        }
      };
      check(lo - hi, "low > high");
      check(lo - b.open.raw(), "open < low");
      check(b.open.raw() - hi, "open > high");
      check(lo - b.close.raw(), "close < low");
      check(b.close.raw() - hi, "close > high");
      if (!what.empty()) {
        const double pips = static_cast<double>(worst_raw) / pip_raw;
        if (Catch(RuleId::kBarOhlc, "ohlc", b, pips,
                  what + " (O " + Px(b.open) + " H " + Px(b.high) + " L " + Px(b.low) + " C " +
                      Px(b.close) + ", off by " + Fixed(pips, 1) + " pips)")) {
          ++rows_bad;
          return;
        }
        bad = true;
      }
    }
    if (on[Slot(RuleId::kBarVolume)]) {
      std::string why;
      double sev = 0;
      if (!std::isfinite(b.volume)) {
        why = "volume is not a finite number";
        sev = 1e300;
      } else if (b.volume < 0) {
        why = "volume " + Fixed(b.volume, 2) + " < 0";
        sev = -b.volume;
      }
      if (b.tick_count < 0) {
        why += std::string(why.empty() ? "" : ", ") + "tick_count " +
               std::to_string(b.tick_count) + " < 0";
        sev = std::max(sev, static_cast<double>(-b.tick_count));
      }
      if (!why.empty()) {
        if (Catch(RuleId::kBarVolume, "volume", b, sev, why)) {
          ++rows_bad;
          return;
        }
        bad = true;
      }
    }
    if (bad) ++rows_bad;

    if (has_prev) {
      if (b.ts_open > prev.ts_close) CheckGap(prev.ts_close, b.ts_open, true, prev.close);
    } else if (expected_from_set && b.ts_open > opt.expected_from) {
      CheckGap(opt.expected_from, b.ts_open, false, Price());
    }
    if (!open_cache.IsOpen(b.ts_open)) ++rows_while_closed;
    if (!has_prev || b.ts_close > prev.ts_close) {
      prev = b;
      has_prev = true;
    }
    Emit(b, false);
  }

  Status Flush() {
    if (!sink_status.ok()) return sink_status;
    if (opt.sink && !out.empty()) {
      sink_status = opt.sink(std::span<const Bar>(out), std::span<const uint8_t>(out_filled));
      out.clear();
      out_filled.clear();
    }
    return sink_status;
  }

  Result<QualityReport> Finish() {
    if (!sink_status.ok()) return sink_status;
    if (expected_to_set) {
      if (has_prev) {
        CheckGap(prev.ts_close, opt.expected_to, true, prev.close);
      } else if (expected_from_set) {
        CheckGap(opt.expected_from, opt.expected_to, false, Price());
      }
    }
    ARUS_RETURN_IF_ERROR(Flush());
    QualityReport r;
    r.kind = "bars";
    r.symbol = opt.symbol;
    r.policy_hash = p.HashHex();
    r.price_decimals = decimals;
    r.pip_size = instrument.pip_size;
    r.bar_duration = bar;
    if (rows_in > 0) {
      r.first = min_ts;
      r.last = max_ts;
    }
    r.range_from = expected_from_set ? opt.expected_from : r.first;
    r.range_to = expected_to_set ? opt.expected_to : r.last;
    if (r.range_to > r.range_from) r.open_time = OpenDuration(*cal, r.range_from, r.range_to);
    r.rows_in = rows_in;
    r.rows_out = rows_out;
    r.rows_dropped = rows_dropped;
    r.rows_filled = rows_filled;
    r.rows_bad = rows_bad;
    r.rows_while_closed = rows_while_closed;
    for (int i = 0; i < kBarRuleCount; ++i) {
      RuleStats s;
      s.rule = static_cast<RuleId>(kFirstBarRule + i);
      s.enabled = on[i];
      s.policy = policy[i];
      s.hits = hits[i];
      s.events = events[i];
      s.dropped = dropped[i];
      s.repaired = repaired[i];
      s.worst = worst[i].Sorted();
      r.rules.push_back(std::move(s));
    }
    r.gaps = std::move(gaps);
    r.gap_count = gap_count;
    r.gap_open_total = gap_open_total;
    r.ComputeScore();
    return r;
  }
};

BarValidator::BarValidator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BarValidator::~BarValidator() = default;

Result<std::unique_ptr<BarValidator>> BarValidator::Create(const QualityConfig& config,
                                                           const fx::Instrument& instrument,
                                                           Duration bar_duration,
                                                           BarValidatorOptions options) {
  ARUS_RETURN_IF_ERROR(ValidateQualityConfig(config));
  if (bar_duration.count() <= 0) {
    return InvalidArgument("bar duration must be positive, got " + CanonicalDuration(bar_duration));
  }
  if (!(instrument.pip_size > 0) || !std::isfinite(instrument.pip_size)) {
    return InvalidArgument("instrument " + instrument.symbol + ": pip size must be positive");
  }
  if (instrument.price_precision < 0 || instrument.price_precision > kPriceDecimals) {
    return InvalidArgument("instrument " + instrument.symbol + ": bad price precision");
  }
  if (options.symbol.empty()) options.symbol = instrument.symbol;
  if (options.source.empty()) options.source = options.symbol;
  const fx::FxCalendar* cal =
      options.calendar != nullptr ? options.calendar : &fx::FxCalendar::Default();
  return std::unique_ptr<BarValidator>(new BarValidator(
      std::make_unique<Impl>(config, instrument, bar_duration, std::move(options), cal)));
}

Status BarValidator::Add(std::span<const Bar> bars) {
  if (!impl_->sink_status.ok()) return impl_->sink_status;
  for (const Bar& b : bars) impl_->AddBar(b);
  return impl_->Flush();
}

Result<QualityReport> BarValidator::Finish() { return impl_->Finish(); }

Result<CleanedBars> CleanBars(std::span<const Bar> bars, const fx::Instrument& instrument,
                              Duration bar_duration, const QualityConfig& config,
                              BarValidatorOptions options) {
  CleanedBars out;
  options.sink = [&out](std::span<const Bar> b, std::span<const uint8_t> f) {
    out.bars.insert(out.bars.end(), b.begin(), b.end());
    out.filled.insert(out.filled.end(), f.begin(), f.end());
    return Status::Ok();
  };
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<BarValidator> v,
                        BarValidator::Create(config, instrument, bar_duration, std::move(options)));
  ARUS_RETURN_IF_ERROR(v->Add(bars));
  ARUS_ASSIGN_OR_RETURN(out.report, v->Finish());
  return out;
}

}  // namespace arus::quality
