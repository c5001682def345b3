#include "quality/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/format.h"
#include "quality/market_time.h"

namespace arus::quality {

namespace {

constexpr int32_t kDiffBins = 100'001;   // |mid difference| at 0.01 pip, 0 .. 1000 pips
constexpr int32_t kSpreadBins = 4096;    // spreads at 0.1 pip, 0 .. 409.5 pips
constexpr int64_t kMinReturnPairs = 20;  // fewer returns: no clock-offset estimate

// Pull cursor over one source: the last quote at or before a time, and a peek at the next tick.
class Cursor {
 public:
  explicit Cursor(const TickSource& source) : source_(source) {}

  Status Fill() {
    while (i_ == cur_.size() && !exhausted_) {
      Result<std::span<const QuoteTick>> r = source_();
      if (!r.ok()) return r.status();
      cur_ = *r;
      i_ = 0;
      if (cur_.empty()) exhausted_ = true;
    }
    return Status::Ok();
  }
  bool done() const { return exhausted_ && i_ == cur_.size(); }
  int64_t PeekTs() const { return cur_[i_].ts_event.ns(); }

  Status AdvanceTo(int64_t g) {
    while (true) {
      if (i_ == cur_.size()) {
        ARUS_RETURN_IF_ERROR(Fill());
        if (done()) return Status::Ok();
      }
      const QuoteTick& t = cur_[i_];
      if (t.ts_event.ns() > g) return Status::Ok();
      last_ = t;
      has_last_ = true;
      ++i_;
      ++count_;
    }
  }

  bool Quoting(int64_t g, int64_t max_age) const {
    return has_last_ && g - last_.ts_event.ns() <= max_age;
  }
  const QuoteTick& last() const { return last_; }
  int64_t count() const { return count_; }

 private:
  const TickSource& source_;
  std::span<const QuoteTick> cur_;
  size_t i_ = 0;
  bool exhausted_ = false;
  QuoteTick last_;
  bool has_last_ = false;
  int64_t count_ = 0;
};

// Lagged correlation of two return series on a grid, for every lag in [-m, m], streamed with a
// window of 2m+1 points. Pair (k, k+L) pairs a's return at k with b's at k+L; a pair counts when
// both points are valid. Sums involving a return are only touched when that return is non-zero,
// so sparse (slow-ticking) grids cost little.
class LagCorrelator {
 public:
  explicit LagCorrelator(int m)
      : m_(m),
        w_(2 * m + 1),
        a_(2 * w_, 0),
        b_(2 * w_, 0),
        v_(2 * w_, 0),
        n_(w_, 0),
        sa_(w_, 0),
        sb_(w_, 0),
        saa_(w_, 0),
        sbb_(w_, 0),
        sab_(w_, 0),
        invalid_in_window_(w_) {}

  void Push(double a, double b, bool valid) {
    if (++pos_ == w_) pos_ = 0;
    invalid_in_window_ -= v_[pos_] == 0 ? 1 : 0;
    a_[pos_] = a_[pos_ + w_] = valid ? a : 0;
    b_[pos_] = b_[pos_ + w_] = valid ? b : 0;
    v_[pos_] = v_[pos_ + w_] = valid ? 1 : 0;
    invalid_in_window_ += valid ? 0 : 1;
    ProcessCenter();
  }
  // `count` valid points with zero returns (a stretch where neither quote changes). Once the
  // window holds only such points, each further one just adds a fully valid, silent pair.
  void PushZeros(int64_t count) {
    const int64_t direct = std::min<int64_t>(count, w_);
    for (int64_t i = 0; i < direct; ++i) Push(0, 0, true);
    if (count > direct) n_full_ += count - direct;
  }
  // `count` invalid points (a closure or a stretch where a source is silent).
  void PushInvalid(int64_t count) {
    const int64_t n = std::min<int64_t>(count, w_);
    for (int64_t i = 0; i < n; ++i) Push(0, 0, false);
  }
  void Finish() { PushInvalid(w_); }

  // Correlation at lag index li (lag = li - m); NaN without enough pairs or variance.
  double Correlation(int li, int64_t* pairs) const {
    const double n = static_cast<double>(n_full_ + n_[li]);
    if (pairs != nullptr) *pairs = n_full_ + n_[li];
    if (n < kMinReturnPairs) return std::numeric_limits<double>::quiet_NaN();
    const double ma = (sa_[li] + sa_full_) / n, mb = (sb_[li] + sb_full_) / n;
    const double cov = sab_[li] / n - ma * mb;
    const double va = (saa_[li] + saa_full_) / n - ma * ma;
    const double vb = (sbb_[li] + sbb_full_) / n - mb * mb;
    if (!(va > 0) || !(vb > 0)) return std::numeric_limits<double>::quiet_NaN();
    return cov / std::sqrt(va * vb);
  }
  int lags() const { return w_; }

 private:
  void ProcessCenter() {
    // The window, oldest first, is [s, s + w); its middle is the center point. When every point
    // of the window is valid, the sums that only weigh by validity are the same for every lag
    // and go to one scalar each; only the cross products need the per-lag loop.
    const int s = pos_ + 1;
    const int c = s + m_;
    const double* v = &v_[s];
    const double* b = &b_[s];
    const bool full = invalid_in_window_ == 0;
    if (v_[c] != 0) {
      if (full) {
        ++n_full_;
      } else {
        for (int li = 0; li < w_; ++li) n_[li] += static_cast<int64_t>(v[li]);
      }
    }
    const double ac = a_[c];
    if (ac != 0) {
      const double ac2 = ac * ac;
      if (full) {
        sa_full_ += ac;
        saa_full_ += ac2;
      } else {
        for (int li = 0; li < w_; ++li) {
          sa_[li] += ac * v[li];
          saa_[li] += ac2 * v[li];
        }
      }
      for (int li = 0; li < w_; ++li) sab_[li] += ac * b[li];
    }
    const double bc = b_[c];
    if (bc != 0) {
      const double bc2 = bc * bc;
      if (full) {
        sb_full_ += bc;
        sbb_full_ += bc2;
      } else {
        // Pair (c - L, c) has lag index li = L + m; its a-side point is at window index 2m - li.
        for (int li = 0; li < w_; ++li) {
          const double va = v[2 * m_ - li];
          sb_[li] += bc * va;
          sbb_[li] += bc2 * va;
        }
      }
    }
  }

  int m_, w_;
  int pos_ = 0;
  std::vector<double> a_, b_, v_;  // mirrored ring: index p and p + w hold the same point
  std::vector<int64_t> n_;
  std::vector<double> sa_, sb_, saa_, sbb_, sab_;
  int64_t n_full_ = 0;
  double sa_full_ = 0, saa_full_ = 0, sb_full_ = 0, sbb_full_ = 0;
  int invalid_in_window_;
};

// An open discrepancy stretch in one direction.
struct Episode {
  bool open = false;
  Discrepancy d;
  int64_t last = 0;
};

// log(1 + x) without libm for the small x of grid returns.
inline double Log1pSmall(double x) {
  if (std::abs(x) < 1e-3) {
    const double x2 = x * x;
    return x - x2 * 0.5 + x2 * x * (1.0 / 3.0) - x2 * x2 * 0.25 + x2 * x2 * x * 0.2;
  }
  return std::log1p(x);
}

int64_t AlignUp(int64_t t, int64_t step) {
  const UnixNanos f = UnixNanos(t).FloorTo(Duration(step));
  return f.ns() == t ? t : f.ns() + step;
}

double Quantile(const std::vector<int64_t>& hist, int64_t n, double q, double bin_width) {
  if (n == 0) return 0;
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * n)));
  int64_t cum = 0;
  for (size_t b = 0; b < hist.size(); ++b) {
    cum += hist[b];
    if (cum >= rank) return static_cast<double>(b) * bin_width;
  }
  return static_cast<double>(hist.size() - 1) * bin_width;
}

double Round(double v, int decimals) {
  if (!std::isfinite(v)) return 0;
  const double s = std::pow(10.0, decimals);
  return std::round(v * s) / s;
}

std::string Fixed(double v, int decimals) {
  std::string s;
  AppendFixed(&s, v, decimals);
  return s;
}

}  // namespace

Result<CompareReport> CompareSources(const TickSource& source_a, const TickSource& source_b,
                                     const fx::Instrument& instrument,
                                     const CompareOptions& options) {
  QualityConfig check;
  check.compare = options.settings;
  ARUS_RETURN_IF_ERROR(ValidateQualityConfig(check));
  if (!(instrument.pip_size > 0) || !std::isfinite(instrument.pip_size)) {
    return InvalidArgument("instrument " + instrument.symbol + ": pip size must be positive");
  }
  const CompareSettings& s = options.settings;
  const fx::FxCalendar& cal =
      options.calendar != nullptr ? *options.calendar : fx::FxCalendar::Default();
  const int64_t grid = s.grid.count();
  const int64_t max_age = s.max_quote_age.count();
  const double pip_raw = instrument.pip_size * static_cast<double>(kPriceScale);
  const int64_t tol_raw = std::llround(s.arb_tolerance_pips * pip_raw);
  const int m = static_cast<int>(s.max_lag.count() / grid);

  CompareReport rep;
  rep.symbol = options.symbol.empty() ? instrument.symbol : options.symbol;
  rep.label_a = options.label_a;
  rep.label_b = options.label_b;
  rep.price_decimals = instrument.price_precision;
  rep.pip_size = instrument.pip_size;
  rep.settings = s;

  Cursor a(source_a), b(source_b);
  ARUS_RETURN_IF_ERROR(a.Fill());
  ARUS_RETURN_IF_ERROR(b.Fill());

  std::vector<int64_t> diff_hist(kDiffBins, 0);
  std::vector<int64_t> spread_a_hist(kSpreadBins, 0), spread_b_hist(kSpreadBins, 0);
  double sum_abs = 0, sum_signed = 0, max_abs = 0, sum_spread_a = 0, sum_spread_b = 0;
  LagCorrelator corr(m);
  OpenCache open(cal);
  Episode ep[2];
  std::vector<Discrepancy> worst;
  const size_t keep = static_cast<size_t>(s.examples);
  auto by_excess = [](const Discrepancy& x, const Discrepancy& y) {
    if (x.max_excess_pips != y.max_excess_pips) return x.max_excess_pips > y.max_excess_pips;
    return x.start < y.start;
  };
  auto close_episode = [&](int dir) {
    Episode& e = ep[dir];
    if (!e.open) return;
    e.open = false;
    e.d.end = UnixNanos(e.last + grid);
    ++rep.discrepancy_count;
    ++(dir == 0 ? rep.discrepancy_a_over_b : rep.discrepancy_b_over_a);
    rep.discrepancy_duration += e.d.end - e.d.start;
    if (keep == 0) return;
    worst.push_back(e.d);
    if (worst.size() >= 4 * keep + 16) {
      std::sort(worst.begin(), worst.end(), by_excess);
      worst.resize(keep);
    }
  };
  auto close_all = [&] {
    close_episode(0);
    close_episode(1);
  };

  bool have_first = false;
  bool prev_valid = false;
  int64_t prev_ma2 = 0, prev_mb2 = 0;  // mids (bid + ask) at the previous grid point

  if (!a.done() || !b.done()) {
    int64_t start = std::numeric_limits<int64_t>::max();
    if (!a.done()) start = std::min(start, a.PeekTs());
    if (!b.done()) start = std::min(start, b.PeekTs());
    int64_t g = AlignUp(start, grid);
    while (true) {
      ARUS_RETURN_IF_ERROR(a.AdvanceTo(g));
      ARUS_RETURN_IF_ERROR(b.AdvanceTo(g));
      if (!open.IsOpen(UnixNanos(g))) {
        close_all();
        prev_valid = false;
        corr.PushInvalid(std::numeric_limits<int64_t>::max());
        g = AlignUp(open.StretchEnd().ns(), grid);
        continue;
      }
      const bool qa = a.Quoting(g, max_age);
      const bool qb = b.Quoting(g, max_age);
      if (!qa && !qb) {
        close_all();
        prev_valid = false;
        int64_t next = std::numeric_limits<int64_t>::max();
        if (!a.done()) next = std::min(next, a.PeekTs());
        if (!b.done()) next = std::min(next, b.PeekTs());
        if (next == std::numeric_limits<int64_t>::max()) break;
        const int64_t target = std::max(AlignUp(next, grid), g + grid);
        rep.points_neither += OpenDuration(cal, UnixNanos(g), UnixNanos(target)).count() / grid;
        corr.PushInvalid((target - g) / grid);
        g = target;
        continue;
      }
      if (!have_first) {
        rep.first = UnixNanos(g);
        have_first = true;
      }
      rep.last = UnixNanos(g);
      if (!(qa && qb)) {
        ++(qa ? rep.points_a_only : rep.points_b_only);
        close_all();
        corr.Push(0, 0, false);
        prev_valid = false;
        g += grid;
        continue;
      }
      ++rep.points_both;
      const QuoteTick& ta = a.last();
      const QuoteTick& tb = b.last();
      const int64_t ma2 = ta.bid.raw() + ta.ask.raw();
      const int64_t mb2 = tb.bid.raw() + tb.ask.raw();
      // Mid difference.
      const double diff = static_cast<double>(ma2 - mb2) * 0.5 / pip_raw;
      const double ad = std::abs(diff);
      sum_abs += ad;
      sum_signed += diff;
      max_abs = std::max(max_abs, ad);
      const double db = ad * 100 + 0.5;
      ++diff_hist[db >= kDiffBins - 1 ? kDiffBins - 1 : static_cast<int32_t>(db)];
      // Spreads (a crossed quote counts as zero in the median).
      const double spa = static_cast<double>(ta.ask.raw() - ta.bid.raw()) / pip_raw;
      const double spb = static_cast<double>(tb.ask.raw() - tb.bid.raw()) / pip_raw;
      sum_spread_a += spa;
      sum_spread_b += spb;
      const double ba = std::clamp(spa * 10 + 0.5, 0.0, static_cast<double>(kSpreadBins - 1));
      const double bb = std::clamp(spb * 10 + 0.5, 0.0, static_cast<double>(kSpreadBins - 1));
      ++spread_a_hist[static_cast<int32_t>(ba)];
      ++spread_b_hist[static_cast<int32_t>(bb)];
      // Discrepancies.
      const int64_t excess[2] = {ta.bid.raw() - tb.ask.raw(), tb.bid.raw() - ta.ask.raw()};
      for (int dir = 0; dir < 2; ++dir) {
        Episode& e = ep[dir];
        if (excess[dir] > tol_raw) {
          const double pips = static_cast<double>(excess[dir]) / pip_raw;
          if (!e.open) {
            e.open = true;
            e.d = Discrepancy{};
            e.d.start = UnixNanos(g);
            e.d.a_bid_over_b_ask = dir == 0;
            e.d.max_excess_pips = -1;
          }
          if (pips > e.d.max_excess_pips) {
            e.d.max_excess_pips = pips;
            e.d.worst_at = UnixNanos(g);
            e.d.a_bid = ta.bid;
            e.d.a_ask = ta.ask;
            e.d.b_bid = tb.bid;
            e.d.b_ask = tb.ask;
          }
          e.last = g;
        } else {
          close_episode(dir);
        }
      }
      // Grid log returns.
      if (prev_valid) {
        const double ra = ma2 == prev_ma2 ? 0
                                          : Log1pSmall(static_cast<double>(ma2 - prev_ma2) /
                                                       static_cast<double>(prev_ma2));
        const double rb = mb2 == prev_mb2 ? 0
                                          : Log1pSmall(static_cast<double>(mb2 - prev_mb2) /
                                                       static_cast<double>(prev_mb2));
        corr.Push(ra, rb, true);
      } else {
        corr.Push(0, 0, false);
      }
      prev_ma2 = ma2;
      prev_mb2 = mb2;
      prev_valid = true;
      // The following grid points see the same two quotes until the next tick of either source,
      // until a quote gets too old, or until the market closes: account for them in one step.
      int64_t until = open.StretchEnd().ns();
      if (!a.done()) until = std::min(until, a.PeekTs());
      if (!b.done()) until = std::min(until, b.PeekTs());
      until = std::min(until, ta.ts_event.ns() + max_age + 1);
      until = std::min(until, tb.ts_event.ns() + max_age + 1);
      const int64_t same = (AlignUp(until, grid) - g) / grid - 1;  // points after g
      if (same > 0) {
        const double k = static_cast<double>(same);
        rep.points_both += same;
        sum_abs += k * ad;
        sum_signed += k * diff;
        sum_spread_a += k * spa;
        sum_spread_b += k * spb;
        diff_hist[db >= kDiffBins - 1 ? kDiffBins - 1 : static_cast<int32_t>(db)] += same;
        spread_a_hist[static_cast<int32_t>(ba)] += same;
        spread_b_hist[static_cast<int32_t>(bb)] += same;
        for (Episode& e : ep) {
          if (e.open) e.last = g + same * grid;
        }
        corr.PushZeros(same);
        g += same * grid;
        rep.last = UnixNanos(g);
      }
      g += grid;
    }
  }
  close_all();
  corr.Finish();
  // Drain whatever the cursors still hold (counted, not compared).
  ARUS_RETURN_IF_ERROR(a.AdvanceTo(std::numeric_limits<int64_t>::max()));
  ARUS_RETURN_IF_ERROR(b.AdvanceTo(std::numeric_limits<int64_t>::max()));
  rep.ticks_a = a.count();
  rep.ticks_b = b.count();

  const int64_t n = rep.points_both;
  if (n > 0) {
    const double dn = static_cast<double>(n);
    rep.mid_diff_mean_pips = sum_abs / dn;
    rep.mid_diff_mean_signed_pips = sum_signed / dn;
    rep.mid_diff_max_pips = max_abs;
    rep.mid_diff_p50_pips = Quantile(diff_hist, n, 0.5, 0.01);
    rep.mid_diff_p99_pips = Quantile(diff_hist, n, 0.99, 0.01);
    rep.spread_a_mean_pips = sum_spread_a / dn;
    rep.spread_b_mean_pips = sum_spread_b / dn;
    rep.spread_a_median_pips = Quantile(spread_a_hist, n, 0.5, 0.1);
    rep.spread_b_median_pips = Quantile(spread_b_hist, n, 0.5, 0.1);
  }

  // Clock offset: the best lag; ties go to the smaller |lag|, then to the negative one.
  rep.correlation_by_lag.resize(corr.lags());
  int best = -1;
  double best_c = -2;
  for (int li = 0; li < corr.lags(); ++li) {
    const double c = corr.Correlation(li, nullptr);
    rep.correlation_by_lag[li] = c;
    if (std::isnan(c)) continue;
    const bool better =
        best < 0 || c > best_c + 1e-12 ||
        (std::abs(c - best_c) <= 1e-12 && std::abs(li - m) < std::abs(best - m));
    if (better) {
      best = li;
      best_c = c;
    }
  }
  rep.correlation_at_zero = corr.Correlation(m, &rep.return_pairs);
  if (std::isnan(rep.correlation_at_zero)) rep.correlation_at_zero = 0;
  if (best >= 0) {
    rep.lag_valid = true;
    rep.correlation = best_c;
    rep.lag = Duration(static_cast<int64_t>(best - m) * grid);
    double delta = 0;
    if (best > 0 && best + 1 < corr.lags()) {
      const double l = rep.correlation_by_lag[best - 1];
      const double r = rep.correlation_by_lag[best + 1];
      const double den = l - 2 * best_c + r;
      if (std::isfinite(l) && std::isfinite(r) && den < 0) {
        delta = std::clamp(0.5 * (l - r) / den, -0.5, 0.5);
      }
    }
    rep.lag_refined = Duration(std::llround((best - m + delta) * static_cast<double>(grid)));
  }

  std::sort(worst.begin(), worst.end(), by_excess);
  if (worst.size() > keep) worst.resize(keep);
  rep.worst_discrepancies = std::move(worst);
  return rep;
}

std::string CompareReport::ToJson() const {
  using Json = nlohmann::ordered_json;
  Json j;
  j["symbol"] = symbol;
  j["a"] = label_a;
  j["b"] = label_b;
  j["settings"] = {{"grid", CanonicalDuration(settings.grid)},
                   {"max_lag", CanonicalDuration(settings.max_lag)},
                   {"max_quote_age", CanonicalDuration(settings.max_quote_age)},
                   {"arb_tolerance_pips", settings.arb_tolerance_pips}};
  j["ticks"] = {{"a", ticks_a}, {"b", ticks_b}};
  j["first"] = points_both + points_a_only + points_b_only > 0 ? Json(first.ToIso()) : Json();
  j["last"] = points_both + points_a_only + points_b_only > 0 ? Json(last.ToIso()) : Json();
  j["grid_points"] = {{"both", points_both},
                      {"a_only", points_a_only},
                      {"b_only", points_b_only},
                      {"neither", points_neither}};
  j["mid_diff_pips"] = {{"mean_abs", Round(mid_diff_mean_pips, 4)},
                        {"p50_abs", Round(mid_diff_p50_pips, 2)},
                        {"p99_abs", Round(mid_diff_p99_pips, 2)},
                        {"max_abs", Round(mid_diff_max_pips, 4)},
                        {"mean_signed", Round(mid_diff_mean_signed_pips, 4)}};
  j["spread_pips"] = {
      {"a", {{"mean", Round(spread_a_mean_pips, 4)}, {"median", Round(spread_a_median_pips, 1)}}},
      {"b", {{"mean", Round(spread_b_mean_pips, 4)}, {"median", Round(spread_b_median_pips, 1)}}}};
  Json by_lag = Json::array();
  const int64_t m = settings.max_lag.count() / settings.grid.count();
  for (size_t k = 0; k < correlation_by_lag.size(); ++k) {
    const double c = correlation_by_lag[k];
    by_lag.push_back({{"lag_ms", Round(static_cast<double>((static_cast<int64_t>(k) - m) *
                                                           settings.grid.count()) /
                                           kNanosPerMilli,
                                       3)},
                      {"corr", std::isnan(c) ? Json() : Json(Round(c, 6))}});
  }
  j["clock_offset"] = {
      {"valid", lag_valid},
      {"lag_ms", Round(static_cast<double>(lag.count()) / kNanosPerMilli, 3)},
      {"lag_refined_ms", Round(static_cast<double>(lag_refined.count()) / kNanosPerMilli, 3)},
      {"correlation", Round(correlation, 6)},
      {"correlation_at_zero", Round(correlation_at_zero, 6)},
      {"return_pairs", return_pairs},
      {"by_lag", std::move(by_lag)}};
  Json w = Json::array();
  for (const Discrepancy& d : worst_discrepancies) {
    w.push_back({{"start", d.start.ToIso()},
                 {"end", d.end.ToIso()},
                 {"direction", d.a_bid_over_b_ask ? "a_bid_over_b_ask" : "b_bid_over_a_ask"},
                 {"max_excess_pips", Round(d.max_excess_pips, 2)},
                 {"worst_at", d.worst_at.ToIso()},
                 {"a_bid", d.a_bid.ToString(price_decimals)},
                 {"a_ask", d.a_ask.ToString(price_decimals)},
                 {"b_bid", d.b_bid.ToString(price_decimals)},
                 {"b_ask", d.b_ask.ToString(price_decimals)}});
  }
  j["discrepancies"] = {
      {"count", discrepancy_count},
      {"a_bid_over_b_ask", discrepancy_a_over_b},
      {"b_bid_over_a_ask", discrepancy_b_over_a},
      {"seconds", Round(static_cast<double>(discrepancy_duration.count()) / kNanosPerSecond, 3)},
      {"worst", std::move(w)}};
  return j.dump(2) + "\n";
}

std::string CompareReport::ToText() const {
  std::string o;
  char buf[256];
  o += "Source comparison: " + symbol + "  A = " + label_a + ", B = " + label_b + "\n";
  o += "  grid " + CanonicalDuration(settings.grid) + ", quotes older than " +
       CanonicalDuration(settings.max_quote_age) + " do not count\n";
  std::snprintf(buf, sizeof buf, "  ticks      A %lld, B %lld\n", static_cast<long long>(ticks_a),
                static_cast<long long>(ticks_b));
  o += buf;
  std::snprintf(buf, sizeof buf,
                "  grid points (market open)  both %lld, A only %lld, B only %lld, neither %lld\n",
                static_cast<long long>(points_both), static_cast<long long>(points_a_only),
                static_cast<long long>(points_b_only), static_cast<long long>(points_neither));
  o += buf;
  o += "  mid |A-B| pips  mean " + Fixed(mid_diff_mean_pips, 3) + ", p50 " +
       Fixed(mid_diff_p50_pips, 2) + ", p99 " + Fixed(mid_diff_p99_pips, 2) + ", max " +
       Fixed(mid_diff_max_pips, 2) + " (signed mean " + Fixed(mid_diff_mean_signed_pips, 3) +
       ")\n";
  o += "  spread pips     A mean " + Fixed(spread_a_mean_pips, 3) + " median " +
       Fixed(spread_a_median_pips, 1) + "; B mean " + Fixed(spread_b_mean_pips, 3) + " median " +
       Fixed(spread_b_median_pips, 1) + "\n";
  if (lag_valid) {
    o += "  clock offset    B lags A by " +
         Fixed(static_cast<double>(lag.count()) / kNanosPerMilli, 0) + " ms (refined " +
         Fixed(static_cast<double>(lag_refined.count()) / kNanosPerMilli, 0) +
         " ms), return correlation " + Fixed(correlation, 3) + " (at zero lag " +
         Fixed(correlation_at_zero, 3) + ")\n";
  } else {
    o += "  clock offset    not enough returns to estimate\n";
  }
  o += "  discrepancies   " + std::to_string(discrepancy_count) + " (A.bid > B.ask " +
       std::to_string(discrepancy_a_over_b) + ", B.bid > A.ask " +
       std::to_string(discrepancy_b_over_a) + "), " + FormatDuration(discrepancy_duration) +
       " in total, tolerance " + Fixed(settings.arb_tolerance_pips, 2) + " pips\n";
  for (const Discrepancy& d : worst_discrepancies) {
    o += "    " + d.start.ToIso() + " .. " + d.end.ToIso() + "  " +
         (d.a_bid_over_b_ask ? "A.bid > B.ask" : "B.bid > A.ask") + " by " +
         Fixed(d.max_excess_pips, 1) + " pips  (A " + d.a_bid.ToString(price_decimals) + "/" +
         d.a_ask.ToString(price_decimals) + ", B " + d.b_bid.ToString(price_decimals) + "/" +
         d.b_ask.ToString(price_decimals) + ")\n";
  }
  return o;
}

}  // namespace arus::quality
