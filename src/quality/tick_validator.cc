#include "quality/tick_validator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <limits>
#include <utility>
#include <vector>

#include "core/format.h"
#include "quality/market_time.h"
#include "quality/rolling.h"

namespace arus::quality {

namespace {

constexpr uint8_t kNoPrice = 1;  // crossed quote: kept out of the price statistics
constexpr uint8_t kBad = 2;      // already caught by an error rule of stage 1

// Spreads are binned at 0.1 pip: exact for 5- and 3-decimal FX quotes.
constexpr int32_t kSpreadBins = 4096;  // 0 .. 409.5 pips; wider spreads land in the last bin
// Log returns are binned at 1e-7 (0.001 pip at 1.0), ±1.6e-3 around zero.
constexpr int32_t kReturnBins = 1 << 14;
constexpr double kReturnQuantum = 1e-7;
constexpr int kStatsRefresh = 16;  // values between refreshes of a rolling median / MAD
constexpr double kMadToSigma = 1.4826;

struct Entry {
  QuoteTick t;
  uint8_t flags;
  int32_t spread_bin;  // -1 for crossed quotes
};

// log(1 + x), exact to double rounding for the small x of tick returns without calling libm.
inline double Log1pSmall(double x) {
  if (std::abs(x) < 1e-3) {
    const double x2 = x * x;
    return x - x2 * 0.5 + x2 * x * (1.0 / 3.0) - x2 * x2 * 0.25 + x2 * x2 * x * 0.2;
  }
  return std::log1p(x);
}

// Round half up without a data-dependent branch (the sign of a return is a coin flip).
inline int32_t ReturnBin(double r) {
  constexpr double kMax = kReturnBins;
  const double b = std::min(std::max(r * (1.0 / kReturnQuantum), -kMax), kMax);
  return static_cast<int32_t>(b + (kMax + 0.5)) - kReturnBins;
}

std::string Pips(double v) {
  std::string s;
  AppendFixed(&s, v, 1);
  return s;
}

std::string Fixed(double v, int decimals) {
  std::string s;
  AppendFixed(&s, v, decimals);
  return s;
}

}  // namespace

struct TickValidator::Impl {
  // ---- settings ----
  QualityConfig config;
  const CleaningPolicy& p = config.policy;
  fx::Instrument instrument;
  TickValidatorOptions opt;
  const fx::FxCalendar* cal;
  int decimals;
  double pip_raw;         // pip in raw price units (1e-9)
  double bins_per_raw;    // spread bins (0.1 pip) per raw unit
  bool on[kTickRuleCount];
  bool drop[kTickRuleCount];
  int64_t spread_cap_raw;  // 0 = no cap
  int64_t min_move2;       // spike.min_move_pips in bid+ask raw units
  int64_t gap_raw;         // gap.max_duration in ns (also ends a spike reference)
  int64_t stale_raw;
  bool expected_from_set;
  bool expected_to_set;

  // ---- counters ----
  int64_t hits[kTickRuleCount] = {};
  int64_t events[kTickRuleCount] = {};
  int64_t dropped[kTickRuleCount] = {};
  std::vector<WorstKeeper> worst;
  int64_t rows_in = 0;
  int64_t rows_out = 0;
  int64_t rows_dropped = 0;
  int64_t rows_bad = 0;
  int64_t rows_while_closed = 0;
  int64_t min_ts = std::numeric_limits<int64_t>::max();
  int64_t max_ts = std::numeric_limits<int64_t>::min();  // also the time_order reference

  // ---- stage 1 ----
  bool has_prev_in = false;
  QuoteTick prev_in;
  RollingHistogram spreads;
  bool spread_ready = false;
  int spread_since_refresh = 0;
  int32_t spread_med = -1;
  int32_t spread_thr_bin = std::numeric_limits<int32_t>::max();

  // ---- stage 2: spikes ----
  RollingHistogram returns;
  int since_refresh = 0;
  bool spike_ready = false;
  double med_r = 0;
  double sigma_r = kReturnQuantum;
  double thr_r = 0;
  bool has_ref = false;
  int64_t ref2 = 0;  // bid + ask of the reference (last accepted) tick
  int64_t ref_ts = 0;
  int64_t ref_open_until = 0;  // a tick at or after this instant follows a market closure
  std::vector<Entry> pending;  // spike candidate and the ticks after it
  int64_t pend_ref2 = 0;
  double pend_revert_limit = 0;
  double pend_r = 0;
  double pend_z = 0;
  int64_t pend_after = 0;
  std::deque<Entry> replay;
  std::vector<Jump> jumps;
  int64_t jump_count = 0;

  // ---- stage 3 ----
  bool has_last_post = false;
  int64_t last_post_ts = 0;
  bool has_run = false;
  Price run_bid, run_ask;
  int64_t run_start = 0;
  int64_t run_last = 0;
  int64_t run_ticks = 0;
  int64_t run_stale_ticks = 0;
  bool run_stale = false;
  Duration stale_open_total{0};
  std::vector<GapRow> gaps;
  int64_t gap_count = 0;
  Duration gap_open_total{0};
  OpenCache open_cache;
  NyHourCache hour_cache;
  std::array<int64_t, 24> hour_ticks{};
  std::array<int64_t, 24> spread_n{};
  std::array<int64_t, 24> spread_sum_raw{};
  std::vector<uint32_t> spread_hist;  // [24][kSpreadBins]
  std::vector<QuoteTick> out;
  Status sink_status;

  Impl(const QualityConfig& c, const fx::Instrument& inst, TickValidatorOptions o,
       const fx::FxCalendar* calendar)
      : config(c),
        instrument(inst),
        opt(std::move(o)),
        cal(calendar),
        spreads(0, kSpreadBins - 1, static_cast<size_t>(c.policy.spread.window)),
        returns(-kReturnBins, kReturnBins, static_cast<size_t>(c.policy.spike.window)),
        open_cache(*calendar),
        hour_cache(*calendar),
        spread_hist(24 * kSpreadBins, 0) {
    decimals = inst.price_precision;
    pip_raw = inst.pip_size * static_cast<double>(kPriceScale);
    bins_per_raw = 10.0 / pip_raw;
    for (int i = 0; i < kTickRuleCount; ++i) {
      const RuleId id = static_cast<RuleId>(i);
      on[i] = p.enabled(id);
      drop[i] = p.policy(id) == Policy::kDrop;
      worst.emplace_back(static_cast<size_t>(c.report.examples));
    }
    spread_cap_raw =
        p.spread.max_pips > 0 ? static_cast<int64_t>(std::llround(p.spread.max_pips * pip_raw)) : 0;
    min_move2 = static_cast<int64_t>(std::llround(2 * p.spike.min_move_pips * pip_raw));
    gap_raw = p.gap.max_duration.count();
    stale_raw = p.stale.max_duration.count();
    expected_from_set = opt.expected_from != UnixNanos::Min();
    expected_to_set = opt.expected_to != UnixNanos::Max();
  }

  std::string Px(Price x) const { return x.ToString(decimals); }
  double ToPips(int64_t raw) const { return static_cast<double>(raw) / pip_raw; }

  void Quarantine(RuleId id, std::string_view field, const QuoteTick& t, const std::string& why) {
    if (opt.quarantine == nullptr) return;
    std::string raw = t.ts_event.ToIso();
    raw += ',';
    t.bid.AppendTo(&raw, decimals);
    raw += ',';
    t.ask.AppendTo(&raw, decimals);
    raw += ',';
    AppendShortest(&raw, t.bid_volume);
    raw += ',';
    AppendShortest(&raw, t.ask_volume);
    opt.quarantine->Add(opt.source, 0, field, RuleName(id), why, raw);
  }

  // Counts a single-tick hit; quarantines and returns true when the rule drops the tick.
  template <typename WhyFn>
  bool Catch(RuleId id, std::string_view field, const QuoteTick& t, double severity, WhyFn&& why) {
    const int i = static_cast<int>(id);
    ++hits[i];
    ++events[i];
    const bool want = worst[i].Wants(severity);
    const bool d = drop[i];
    if (want || (d && opt.quarantine != nullptr)) {
      std::string w = why();
      if (d) Quarantine(id, field, t, w);
      if (want) worst[i].Add(Example{t.ts_event, t.ts_event, true, t.bid, t.ask, severity, w});
    }
    if (d) {
      ++dropped[i];
      ++rows_dropped;
      ++rows_bad;
    }
    return d;
  }

  // ---- stage 1 ----
  void Stage1(const QuoteTick& t) {
    ++rows_in;
    const int64_t ts = t.ts_event.ns();
    if (ts < min_ts) min_ts = ts;
    uint8_t flags = 0;

    if (has_prev_in && t == prev_in) [[unlikely]] {
      if (on[static_cast<int>(RuleId::kDuplicate)]) {
        if (Catch(RuleId::kDuplicate, "", t, 0, [] { return "identical to the previous tick"; })) {
          return;
        }
        flags |= kBad;
      }
    }
    prev_in = t;
    has_prev_in = true;

    if (ts < max_ts) [[unlikely]] {
      if (on[static_cast<int>(RuleId::kTimeOrder)]) {
        const int64_t back = max_ts - ts;
        const int64_t ref = max_ts;
        if (Catch(RuleId::kTimeOrder, "ts_event", t, static_cast<double>(back) / kNanosPerSecond,
                  [&] {
                    return FormatDuration(Duration(back)) + " before the latest tick so far (" +
                           UnixNanos(ref).ToIso() + ")";
                  })) {
          return;
        }
        flags |= kBad;
      }
    } else {
      max_ts = ts;
    }

    const int64_t spread_raw = t.ask.raw() - t.bid.raw();
    int32_t bin = 0;
    if (spread_raw <= 0) [[unlikely]] {
      if (spread_raw < 0) {
        flags |= kNoPrice;
        bin = -1;
        if (on[static_cast<int>(RuleId::kCrossed)]) {
          if (Catch(RuleId::kCrossed, "bid", t, ToPips(-spread_raw), [&] {
                return "bid " + Px(t.bid) + " > ask " + Px(t.ask) + " by " +
                       Pips(ToPips(-spread_raw)) + " pips";
              })) {
            return;
          }
          flags |= kBad;
        }
      } else if (on[static_cast<int>(RuleId::kLocked)]) {
        if (Catch(RuleId::kLocked, "bid", t, 0,
                  [&] { return "bid == ask == " + Px(t.bid); })) {
          return;
        }
        flags |= kBad;
      }
    } else {
      const double b = static_cast<double>(spread_raw) * bins_per_raw + 0.5;
      bin = b >= kSpreadBins - 1 ? kSpreadBins - 1 : static_cast<int32_t>(b);
    }

    if (bin >= 0 && on[static_cast<int>(RuleId::kSpread)]) {
      const bool rel = spread_ready && bin > spread_thr_bin;
      const bool cap = spread_cap_raw > 0 && spread_raw > spread_cap_raw;
      if (rel || cap) [[unlikely]] {
        const double med_pips = std::max<int32_t>(spread_med, 1) * 0.1;
        const double pips = ToPips(spread_raw);
        const double severity = spread_ready ? pips / med_pips : pips / p.spread.max_pips;
        const bool dropped_now = Catch(RuleId::kSpread, "ask", t, severity, [&] {
          std::string w = "spread " + Pips(pips) + " pips";
          if (rel) w += " > " + Fixed(p.spread.multiple, 1) + " x rolling median " + Pips(med_pips);
          if (cap) w += std::string(rel ? " and" : "") + " > cap " + Pips(p.spread.max_pips);
          return w;
        });
        // The window sees every spread, caught or not, so detection does not depend on policy.
        PushSpread(bin);
        if (dropped_now) return;
        flags |= kBad;
      } else {
        PushSpread(bin);
      }
    }

    if (flags & kBad) ++rows_bad;
    const Entry e{t, flags, bin};
    if (!on[static_cast<int>(RuleId::kSpike)]) {
      Post(e);
      return;
    }
    if (pending.empty()) {
      Evaluate(e);
    } else {
      PendingStep(e);
    }
    if (!replay.empty()) [[unlikely]] DrainReplay();
  }

  void PushSpread(int32_t bin) {
    spreads.Push(bin);
    if (++spread_since_refresh < kStatsRefresh && spread_ready) return;
    spread_since_refresh = 0;
    const int32_t med = spreads.Median();
    if (med != spread_med) {
      spread_med = med;
      spread_thr_bin = static_cast<int32_t>(
          std::min(std::floor(p.spread.multiple * std::max<int32_t>(med, 1)), 1e9));
    }
    if (!spread_ready) spread_ready = static_cast<int64_t>(spreads.size()) >= p.spread.min_samples;
  }

  // ---- stage 2: spikes ----
  void SetRef(int64_t m2, int64_t ts) {
    ref2 = m2;
    ref_ts = ts;
    if (!has_ref || ts >= ref_open_until) {
      open_cache.IsOpen(UnixNanos(ts));
      ref_open_until = open_cache.StretchEnd().ns();
    }
    has_ref = true;
  }

  void PushReturn(double r) {
    returns.Push(ReturnBin(r));
    if (++since_refresh >= kStatsRefresh || !spike_ready) {
      since_refresh = 0;
      spike_ready = static_cast<int64_t>(returns.size()) >= p.spike.min_samples;
      med_r = returns.Median() * kReturnQuantum;
      sigma_r = std::max(kMadToSigma * returns.MedianAbsDeviation(), 1.0) * kReturnQuantum;
      thr_r = p.spike.z * sigma_r;
    }
  }

  void Evaluate(const Entry& e) {
    if (e.flags & kNoPrice) {
      Post(e);
      return;
    }
    const int64_t m2 = e.t.bid.raw() + e.t.ask.raw();
    const int64_t ts = e.t.ts_event.ns();
    // A return across a closure or a data gap is not a tick-to-tick move: start afresh.
    if (!has_ref || ts >= ref_open_until || ts - ref_ts > gap_raw) [[unlikely]] {
      SetRef(m2, ts);
      Post(e);
      return;
    }
    const int64_t dev2 = m2 - ref2;
    const double r = Log1pSmall(static_cast<double>(dev2) / static_cast<double>(ref2));
    if (spike_ready && std::abs(dev2) >= min_move2 && std::abs(r - med_r) > thr_r) [[unlikely]] {
      pending.push_back(e);
      pend_ref2 = ref2;
      pend_revert_limit = p.spike.revert_fraction * static_cast<double>(std::abs(dev2));
      pend_r = r;
      pend_z = (r - med_r) / sigma_r;
      pend_after = 0;
      return;
    }
    PushReturn(r);
    ref2 = m2;
    ref_ts = ts;
    Post(e);
  }

  void PendingStep(const Entry& e) {
    pending.push_back(e);
    if (e.flags & kNoPrice) return;
    const int64_t m2 = e.t.bid.raw() + e.t.ask.raw();
    if (static_cast<double>(std::abs(m2 - pend_ref2)) <= pend_revert_limit) {
      ResolveSpike();
    } else if (++pend_after >= p.spike.revert_ticks) {
      ResolveJump();
    }
  }

  // The candidate and the ticks after it up to (not including) the last one were bad: the last
  // pending tick brought the price back.
  void ResolveSpike() {
    std::vector<Entry> v;
    v.swap(pending);
    const Entry back = v.back();
    v.pop_back();
    const int i = static_cast<int>(RuleId::kSpike);
    int64_t n = 0;
    int64_t last_ts = v.front().t.ts_event.ns();
    for (const Entry& e : v) {
      if (!(e.flags & kNoPrice)) {
        ++n;
        last_ts = e.t.ts_event.ns();
      }
    }
    ++events[i];
    hits[i] += n;
    const Entry& first = v.front();
    const double sev = std::abs(pend_z);
    const double dev_pips = ToPips(first.t.bid.raw() + first.t.ask.raw() - pend_ref2) / 2;
    const bool want = worst[i].Wants(sev);
    std::string why;
    if (want || (drop[i] && opt.quarantine != nullptr)) {
      why = "mid " + Px(first.t.mid()) + " is " + Pips(dev_pips) + " pips from " +
            Px(Price::FromRaw(pend_ref2 / 2)) + " (robust z " + Fixed(pend_z, 1) +
            "), back after " + std::to_string(n) + " tick(s)";
    }
    if (want) {
      worst[i].Add(Example{first.t.ts_event, UnixNanos(last_ts), true, first.t.bid, first.t.ask,
                           sev, why});
    }
    for (const Entry& e : v) {
      if (e.flags & kNoPrice) {
        Post(e);
        continue;
      }
      if (!(e.flags & kBad)) ++rows_bad;
      if (drop[i]) {
        Quarantine(RuleId::kSpike, "mid", e.t, why);
        ++dropped[i];
        ++rows_dropped;
      } else {
        Post(e);
      }
    }
    replay.push_front(back);
  }

  // The move persisted: a genuine jump. Accept the first tick and re-run the others.
  void ResolveJump() {
    std::vector<Entry> v;
    v.swap(pending);
    const Entry& first = v.front();
    const int64_t m2 = first.t.bid.raw() + first.t.ask.raw();
    ++jump_count;
    if (static_cast<int64_t>(jumps.size()) < config.report.max_jumps) {
      jumps.push_back(Jump{first.t.ts_event, Price::FromRaw(pend_ref2 / 2), Price::FromRaw(m2 / 2),
                           ToPips(m2 - pend_ref2) / 2, pend_z});
    }
    PushReturn(pend_r);
    ref2 = m2;
    ref_ts = first.t.ts_event.ns();
    Post(first);
    for (size_t k = v.size(); k-- > 1;) replay.push_front(v[k]);
  }

  void DrainReplay() {
    while (!replay.empty()) {
      const Entry e = replay.front();
      replay.pop_front();
      if (pending.empty()) {
        Evaluate(e);
      } else {
        PendingStep(e);
      }
    }
  }

  // ---- stage 3 ----
  // Records a gap if [a, b) holds more open-market time than the limit; true if it does.
  bool CheckGap(int64_t a, int64_t b) {
    const Duration od = OpenDuration(*cal, UnixNanos(a), UnixNanos(b));
    if (od <= p.gap.max_duration) return false;
    if (!on[static_cast<int>(RuleId::kGap)]) return true;
    const int i = static_cast<int>(RuleId::kGap);
    ++events[i];
    ++gap_count;
    gap_open_total += od;
    if (static_cast<int64_t>(gaps.size()) < config.report.max_gaps) {
      gaps.push_back(GapRow{UnixNanos(a), UnixNanos(b), od, 0});
    }
    const double sev = static_cast<double>(od.count()) / kNanosPerMinute;
    if (worst[i].Wants(sev)) {
      worst[i].Add(Example{UnixNanos(a), UnixNanos(b), false, Price(), Price(), sev,
                           "no tick for " + FormatDuration(od) + " of open market"});
    }
    return true;
  }

  void CloseStaleRun() {
    const int i = static_cast<int>(RuleId::kStale);
    const Duration od = OpenDuration(*cal, UnixNanos(run_start), UnixNanos(run_last));
    stale_open_total += od;
    const double sev = static_cast<double>(od.count()) / kNanosPerMinute;
    if (worst[i].Wants(sev)) {
      worst[i].Add(Example{UnixNanos(run_start), UnixNanos(run_last), true, run_bid, run_ask, sev,
                           "bid/ask " + Px(run_bid) + "/" + Px(run_ask) + " unchanged for " +
                               FormatDuration(od) + " of open market (" +
                               std::to_string(run_ticks) + " ticks, " +
                               std::to_string(run_stale_ticks) + " past the limit)"});
    }
    run_stale = false;
  }

  // A tick that repeats the run's quote past the stale limit (raw time already exceeded).
  // Returns true when it is dropped.
  bool StaleTick(const Entry& e, int64_t ts) {
    if (!run_stale) {
      if (OpenDuration(*cal, UnixNanos(run_start), UnixNanos(ts)) <= p.stale.max_duration) {
        return false;
      }
      run_stale = true;
      run_stale_ticks = 0;
      ++events[static_cast<int>(RuleId::kStale)];
    }
    const int i = static_cast<int>(RuleId::kStale);
    ++hits[i];
    ++run_stale_ticks;
    if (!drop[i]) return false;
    if (opt.quarantine != nullptr) {
      Quarantine(RuleId::kStale, "bid", e.t,
                 "bid/ask unchanged since " + UnixNanos(run_start).ToIso());
    }
    ++dropped[i];
    ++rows_dropped;
    return true;
  }

  void Post(const Entry& e) {
    const int64_t ts = e.t.ts_event.ns();
    // A gap (no tick for longer than gap.max_duration of open market) also ends a stale run:
    // a silent feed is a gap, not a stale quote.
    bool gap_before = false;
    if (has_last_post) {
      if (ts - last_post_ts > gap_raw) [[unlikely]] gap_before = CheckGap(last_post_ts, ts);
    } else if (expected_from_set && ts > opt.expected_from.ns()) {
      CheckGap(opt.expected_from.ns(), ts);
    }
    if (!has_last_post || ts > last_post_ts) last_post_ts = ts;
    has_last_post = true;

    if (on[static_cast<int>(RuleId::kStale)]) {
      if (has_run && !gap_before && e.t.bid == run_bid && e.t.ask == run_ask) {
        ++run_ticks;
        run_last = ts;
        if (ts - run_start > stale_raw) [[unlikely]] {
          if (StaleTick(e, ts)) return;
        }
      } else {
        if (run_stale) [[unlikely]] CloseStaleRun();
        has_run = true;
        run_bid = e.t.bid;
        run_ask = e.t.ask;
        run_start = ts;
        run_last = ts;
        run_ticks = 1;
      }
    }

    if (!open_cache.IsOpen(e.t.ts_event)) [[unlikely]] ++rows_while_closed;
    const int h = hour_cache.HourOf(e.t.ts_event);
    ++hour_ticks[h];
    if (e.spread_bin >= 0) {
      ++spread_hist[static_cast<size_t>(h) * kSpreadBins + e.spread_bin];
      ++spread_n[h];
      spread_sum_raw[h] += e.t.ask.raw() - e.t.bid.raw();
    }
    ++rows_out;
    if (opt.sink) out.push_back(e.t);
  }

  Status Flush() {
    if (!sink_status.ok()) return sink_status;
    if (opt.sink && !out.empty()) {
      sink_status = opt.sink(std::span<const QuoteTick>(out));
      out.clear();
    }
    return sink_status;
  }

  double SpreadQuantilePips(int h, double q) const {
    const int64_t n = spread_n[h];
    if (n == 0) return 0;
    // Nearest rank: the smallest bin holding the ceil(q*n)-th spread.
    const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * n)));
    int64_t cum = 0;
    const uint32_t* row = &spread_hist[static_cast<size_t>(h) * kSpreadBins];
    for (int b = 0; b < kSpreadBins; ++b) {
      cum += row[b];
      if (cum >= rank) return b * 0.1;
    }
    return (kSpreadBins - 1) * 0.1;
  }

  Result<QualityReport> Finish() {
    if (!sink_status.ok()) return sink_status;
    while (!pending.empty()) {
      ResolveJump();
      DrainReplay();
    }
    if (run_stale) CloseStaleRun();
    if (expected_to_set) {
      if (has_last_post) {
        if (opt.expected_to.ns() > last_post_ts) CheckGap(last_post_ts, opt.expected_to.ns());
      } else if (expected_from_set) {
        CheckGap(opt.expected_from.ns(), opt.expected_to.ns());
      }
    }
    ARUS_RETURN_IF_ERROR(Flush());

    QualityReport r;
    r.kind = "ticks";
    r.symbol = opt.symbol;
    r.policy_hash = p.HashHex();
    r.price_decimals = decimals;
    r.pip_size = instrument.pip_size;
    if (rows_in > 0) {
      r.first = UnixNanos(min_ts);
      r.last = UnixNanos(max_ts);
    }
    r.range_from = expected_from_set ? opt.expected_from : r.first;
    r.range_to = expected_to_set ? opt.expected_to : r.last;
    if (r.range_to > r.range_from) r.open_time = OpenDuration(*cal, r.range_from, r.range_to);
    r.rows_in = rows_in;
    r.rows_out = rows_out;
    r.rows_dropped = rows_dropped;
    r.rows_bad = rows_bad;
    r.rows_while_closed = rows_while_closed;
    for (int i = 0; i < kTickRuleCount; ++i) {
      RuleStats s;
      s.rule = static_cast<RuleId>(i);
      s.enabled = on[i];
      s.policy = p.policy(s.rule);
      s.hits = hits[i];
      s.events = events[i];
      s.dropped = dropped[i];
      s.worst = worst[i].Sorted();
      r.rules.push_back(std::move(s));
    }
    r.gaps = std::move(gaps);
    r.gap_count = gap_count;
    r.gap_open_total = gap_open_total;
    r.stale_open_total = stale_open_total;
    std::array<Duration, 24> open_by_hour{};
    if (r.range_to > r.range_from) open_by_hour = OpenTimeByNyHour(*cal, r.range_from, r.range_to);
    for (int h = 0; h < 24; ++h) {
      HourProfile hp;
      hp.hour = h;
      hp.ticks = hour_ticks[h];
      hp.open_time = open_by_hour[h];
      const double minutes = static_cast<double>(hp.open_time.count()) / kNanosPerMinute;
      hp.ticks_per_minute = minutes > 0 ? static_cast<double>(hp.ticks) / minutes : 0;
      if (spread_n[h] > 0) {
        hp.spread_mean_pips = ToPips(spread_sum_raw[h]) / static_cast<double>(spread_n[h]);
        hp.spread_median_pips = SpreadQuantilePips(h, 0.5);
        hp.spread_p95_pips = SpreadQuantilePips(h, 0.95);
      }
      r.hours.push_back(hp);
    }
    r.jumps = std::move(jumps);
    r.jump_count = jump_count;
    r.ComputeScore();
    return r;
  }
};

TickValidator::TickValidator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TickValidator::~TickValidator() = default;

Result<std::unique_ptr<TickValidator>> TickValidator::Create(const QualityConfig& config,
                                                             const fx::Instrument& instrument,
                                                             TickValidatorOptions options) {
  ARUS_RETURN_IF_ERROR(ValidateQualityConfig(config));
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
  return std::unique_ptr<TickValidator>(
      new TickValidator(std::make_unique<Impl>(config, instrument, std::move(options), cal)));
}

Status TickValidator::Add(std::span<const QuoteTick> ticks) {
  if (!impl_->sink_status.ok()) return impl_->sink_status;
  for (const QuoteTick& t : ticks) impl_->Stage1(t);
  return impl_->Flush();
}

Result<QualityReport> TickValidator::Finish() { return impl_->Finish(); }

Result<QualityReport> ValidateTicks(const TickSource& source, const fx::Instrument& instrument,
                                    const QualityConfig& config, TickValidatorOptions options) {
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<TickValidator> v,
                        TickValidator::Create(config, instrument, std::move(options)));
  while (true) {
    ARUS_ASSIGN_OR_RETURN(std::span<const QuoteTick> chunk, source());
    if (chunk.empty()) break;
    ARUS_RETURN_IF_ERROR(v->Add(chunk));
  }
  return v->Finish();
}

}  // namespace arus::quality
