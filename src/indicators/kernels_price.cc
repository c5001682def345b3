#include "indicators/kernels_price.h"

#include <string>

#include "indicators/registry.h"

namespace arus::indicators {

namespace detail {

Status ExpectState(bool ok, const char* kernel, const char* what) {
  if (ok) return Status::Ok();
  return Corruption(std::string(kernel) + " state: " + what);
}

void Ring::Save(StateWriter& w) const {
  std::vector<double> v(n_);
  for (int i = 0; i < n_; ++i) v[i] = at(i);
  w.PutDoubles(v);
}

Status Ring::Load(StateReader& r, const char* kernel) {
  std::vector<double> v;
  ARUS_RETURN_IF_ERROR(r.GetDoubles(&v, n_).WithContext(kernel));
  for (int i = 0; i < n_; ++i) set(i, v[i]);
  return Status::Ok();
}

// Reads a position saved as int64 and checks lo <= v <= hi.
Status GetIndex(StateReader& r, int lo, int hi, const char* kernel, int* out) {
  int64_t v = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&v));
  ARUS_RETURN_IF_ERROR(ExpectState(v >= lo && v <= hi, kernel, "bad window position or count"));
  *out = static_cast<int>(v);
  return Status::Ok();
}

template <bool kVariance, bool kContiguous>
void RollingMoments<kVariance, kContiguous>::Save(StateWriter& w) const {
  w.PutInt(n_);
  w.PutInt(head_);
  w.PutInt(count_);
  w.PutInt(std::min<int64_t>(run_, n_));
  w.PutDouble(last_);
  w.PutDouble(shift_);
  w.PutDouble(s1_);
  w.PutDouble(s2_);
  w.PutDouble(spread_);
  w.PutDouble(big_);
  w.PutInt(count_ < n_ ? 0 : until_renorm_);  // not counted before full
  ring_.Save(w);
}

template <bool kVariance, bool kContiguous>
Status RollingMoments<kVariance, kContiguous>::Load(StateReader& r, const char* kernel) {
  int64_t n = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&n));
  ARUS_RETURN_IF_ERROR(ExpectState(n == n_, kernel, "saved with another period"));
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, n_ - 1, kernel, &head_));
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, n_, kernel, &count_));
  int run = 0;
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, n_, kernel, &run));
  run_ = run;
  ARUS_RETURN_IF_ERROR(r.GetDouble(&last_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&shift_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&s1_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&s2_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&spread_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&big_));
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, std::max(n_, 64), kernel, &until_renorm_));
  if (count_ < n_) until_renorm_ = 1;
  if constexpr (kVariance) sd_ = std::sqrt(variance());
  return ring_.Load(r, kernel);
}

template <bool kMax>
void RollingExtreme<kMax>::Save(StateWriter& w) const {
  w.PutInt(n_);
  w.PutInt(head_);
  w.PutInt(count_);
  w.PutDouble(prefix_);
  w.PutDouble(best_);
  w.PutDoubles(suffix_);
  ring_.Save(w);
}

template <bool kMax>
Status RollingExtreme<kMax>::Load(StateReader& r, const char* kernel) {
  int64_t n = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&n));
  ARUS_RETURN_IF_ERROR(ExpectState(n == n_, kernel, "saved with another period"));
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, n_ - 1, kernel, &head_));
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, n_, kernel, &count_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&prefix_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&best_));
  ARUS_RETURN_IF_ERROR(r.GetDoubles(&suffix_, n_));
  return ring_.Load(r, kernel);
}

template class RollingMoments<false>;
template class RollingMoments<true>;
template class RollingMoments<false, true>;
template class RollingExtreme<false>;
template class RollingExtreme<true>;

}  // namespace detail

using detail::ExpectState;
using detail::GetIndex;

// ---- Ema ----------------------------------------------------------------------------------------

void Ema::Save(StateWriter& w) const {
  w.PutInt(n_);
  w.PutInt(count_);
  w.PutDouble(seed_);
  w.PutDouble(v_);
}

Status Ema::Load(StateReader& r) {
  int64_t n = 0, count = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&n));
  ARUS_RETURN_IF_ERROR(ExpectState(n == n_, "ema", "saved with another period"));
  ARUS_RETURN_IF_ERROR(r.GetInt(&count));
  ARUS_RETURN_IF_ERROR(ExpectState(count >= 0 && count <= n_, "ema", "bad count"));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&seed_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&v_));
  count_ = count;
  return Status::Ok();
}

// ---- Wma ----------------------------------------------------------------------------------------

Wma::Wma(int period)
    : ring_(period), n_(ring_.n()), inv_div_(2.0 / (static_cast<double>(n_) * (n_ + 1))) {}

void Wma::Renormalise() {
  double s = 0;
  for (int k = 0; k < n_; ++k) s += ring_.at(head_ + k);
  shift_ = s / n_;
  double a = 0, b = 0;
  for (int k = 0; k < n_; ++k) {  // oldest first: weights 1 .. n
    const double d = ring_.at(head_ + k) - shift_;
    a += d;
    b += (k + 1) * d;
  }
  s_ = a;
  ws_ = b;
}

void Wma::Save(StateWriter& w) const {
  w.PutInt(n_);
  w.PutInt(head_);
  w.PutInt(count_);
  w.PutDouble(shift_);
  w.PutDouble(s_);
  w.PutDouble(ws_);
  ring_.Save(w);
}

Status Wma::Load(StateReader& r) {
  int64_t n = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&n));
  ARUS_RETURN_IF_ERROR(ExpectState(n == n_, "wma", "saved with another period"));
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, n_ - 1, "wma", &head_));
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, n_, "wma", &count_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&shift_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&s_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&ws_));
  return ring_.Load(r, "wma");
}

// ---- Rsi ----------------------------------------------------------------------------------------

void Rsi::Save(StateWriter& w) const {
  w.PutInt(n_);
  w.PutInt(count_);
  w.PutDouble(prev_);
  w.PutDouble(gain_);
  w.PutDouble(loss_);
  w.PutDouble(v_);
}

Status Rsi::Load(StateReader& r) {
  int64_t n = 0, count = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&n));
  ARUS_RETURN_IF_ERROR(ExpectState(n == n_, "rsi", "saved with another period"));
  ARUS_RETURN_IF_ERROR(r.GetInt(&count));
  ARUS_RETURN_IF_ERROR(ExpectState(count >= 0 && count <= n_ + 1, "rsi", "bad count"));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&prev_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&gain_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&loss_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&v_));
  count_ = count;
  return Status::Ok();
}

// ---- Macd ---------------------------------------------------------------------------------------

Macd::Macd(int fast, int slow, int signal)
    : fast_(fast),
      slow_(slow),
      signal_(signal),
      skip_(std::max(slow_.period() - fast_.period(), 0)) {}

int Macd::StablePeriod() const {
  // The slow EMA forgets its seed last; the signal EMA then forgets its own.
  return WarmupPeriod() + DecayPeriod(1.0 - 2.0 / (slow_.period() + 1)) +
         DecayPeriod(1.0 - 2.0 / (signal_.period() + 1));
}

void Macd::Save(StateWriter& w) const {
  fast_.Save(w);
  slow_.Save(w);
  signal_.Save(w);
  w.PutInt(seen_);
  w.PutDouble(line_);
}

Status Macd::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(fast_.Load(r));
  ARUS_RETURN_IF_ERROR(slow_.Load(r));
  ARUS_RETURN_IF_ERROR(signal_.Load(r));
  int64_t seen = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&seen));
  ARUS_RETURN_IF_ERROR(ExpectState(seen >= 0 && seen <= skip_, "macd", "bad count"));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&line_));
  seen_ = static_cast<int>(seen);
  return Status::Ok();
}

// ---- Bbands -------------------------------------------------------------------------------------

void Bbands::Save(StateWriter& w) const {
  w.PutDouble(k_);
  m_.Save(w);
}

Status Bbands::Load(StateReader& r) {
  double k = 0;
  ARUS_RETURN_IF_ERROR(r.GetDouble(&k));
  ARUS_RETURN_IF_ERROR(ExpectState(k == k_, "bbands", "saved with another multiplier"));
  return m_.Load(r, "bbands");
}

// ---- Roc ----------------------------------------------------------------------------------------

void Roc::Save(StateWriter& w) const {
  w.PutInt(n_);
  w.PutInt(head_);
  w.PutInt(count_);
  w.PutDouble(v_);
  ring_.Save(w);
}

Status Roc::Load(StateReader& r) {
  int64_t n = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&n));
  ARUS_RETURN_IF_ERROR(ExpectState(n == n_, "roc", "saved with another period"));
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, n_ - 1, "roc", &head_));
  ARUS_RETURN_IF_ERROR(GetIndex(r, 0, n_ + 1, "roc", &count_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&v_));
  return ring_.Load(r, "roc");
}

// ---- Atr ----------------------------------------------------------------------------------------

void Atr::Save(StateWriter& w) const {
  w.PutInt(n_);
  w.PutInt(count_);
  w.PutDouble(prev_close_);
  w.PutDouble(tr_);
  w.PutDouble(atr_);
}

Status Atr::Load(StateReader& r) {
  int64_t n = 0, count = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&n));
  ARUS_RETURN_IF_ERROR(ExpectState(n == n_, "atr", "saved with another period"));
  ARUS_RETURN_IF_ERROR(r.GetInt(&count));
  ARUS_RETURN_IF_ERROR(ExpectState(count >= 0 && count <= n_ + 1, "atr", "bad count"));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&prev_close_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&tr_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&atr_));
  count_ = count;
  return Status::Ok();
}

// ---- Adx ----------------------------------------------------------------------------------------

Adx::Adx(int period) : n_(std::max(period, 1)), a_((n_ - 1.0) / n_), b_(1.0 / n_) {}

double Adx::plus_di() const { return count_ > n_ && tr_ != 0 ? 100.0 * (pdm_ / tr_) : kNaN; }

double Adx::minus_di() const { return count_ > n_ && tr_ != 0 ? 100.0 * (mdm_ / tr_) : kNaN; }

void Adx::Save(StateWriter& w) const {
  w.PutInt(n_);
  w.PutInt(count_);
  for (double v : {prev_high_, prev_low_, prev_close_, pdm_, mdm_, tr_, sum_dx_, adx_}) {
    w.PutDouble(v);
  }
}

Status Adx::Load(StateReader& r) {
  int64_t n = 0, count = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&n));
  ARUS_RETURN_IF_ERROR(ExpectState(n == n_, "adx", "saved with another period"));
  ARUS_RETURN_IF_ERROR(r.GetInt(&count));
  ARUS_RETURN_IF_ERROR(ExpectState(count >= 0 && count <= 2 * n_, "adx", "bad count"));
  for (double* v : {&prev_high_, &prev_low_, &prev_close_, &pdm_, &mdm_, &tr_, &sum_dx_, &adx_}) {
    ARUS_RETURN_IF_ERROR(r.GetDouble(v));
  }
  count_ = count;
  return Status::Ok();
}

// ---- Cci ----------------------------------------------------------------------------------------

void Cci::Save(StateWriter& w) const {
  w.PutDouble(v_);
  m_.Save(w);
}

Status Cci::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(r.GetDouble(&v_));
  return m_.Load(r, "cci");
}

// ---- WilliamsR, Stoch, Donchian, Keltner --------------------------------------------------------

void WilliamsR::Save(StateWriter& w) const {
  hi_.Save(w);
  lo_.Save(w);
  w.PutDouble(close_);
}

Status WilliamsR::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(hi_.Load(r, "willr"));
  ARUS_RETURN_IF_ERROR(lo_.Load(r, "willr"));
  return r.GetDouble(&close_);
}

void Stoch::Save(StateWriter& w) const {
  hi_.Save(w);
  lo_.Save(w);
  k_.Save(w);
  d_.Save(w);
  w.PutDouble(fast_);
}

Status Stoch::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(hi_.Load(r, "stoch"));
  ARUS_RETURN_IF_ERROR(lo_.Load(r, "stoch"));
  ARUS_RETURN_IF_ERROR(k_.Load(r));
  ARUS_RETURN_IF_ERROR(d_.Load(r));
  return r.GetDouble(&fast_);
}

void Donchian::Save(StateWriter& w) const {
  hi_.Save(w);
  lo_.Save(w);
}

Status Donchian::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(hi_.Load(r, "donchian"));
  return lo_.Load(r, "donchian");
}

void Keltner::Save(StateWriter& w) const {
  w.PutDouble(k_);
  ema_.Save(w);
  atr_.Save(w);
}

Status Keltner::Load(StateReader& r) {
  double k = 0;
  ARUS_RETURN_IF_ERROR(r.GetDouble(&k));
  ARUS_RETURN_IF_ERROR(ExpectState(k == k_, "keltner", "saved with another multiplier"));
  ARUS_RETURN_IF_ERROR(ema_.Load(r));
  return atr_.Load(r);
}

// ---- Batch functions ----------------------------------------------------------------------------

namespace {

template <class K>
void ScalarBatch(K k, std::span<const double> x, std::span<double> out) {
  const size_t n = std::min(x.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = k.Update(x[i]);
}

size_t MinSize(std::initializer_list<size_t> sizes) { return std::min(sizes); }

}  // namespace

void SmaBatch(std::span<const double> x, int period, std::span<double> out) {
  ScalarBatch(Sma(period), x, out);
}
void EmaBatch(std::span<const double> x, int period, std::span<double> out) {
  ScalarBatch(Ema(period), x, out);
}
void WmaBatch(std::span<const double> x, int period, std::span<double> out) {
  ScalarBatch(Wma(period), x, out);
}
void RsiBatch(std::span<const double> x, int period, std::span<double> out) {
  ScalarBatch(Rsi(period), x, out);
}
void RocBatch(std::span<const double> x, int period, std::span<double> out) {
  ScalarBatch(Roc(period), x, out);
}
void StdDevBatch(std::span<const double> x, int period, std::span<double> out) {
  ScalarBatch(StdDev(period), x, out);
}
void ZScoreBatch(std::span<const double> x, int period, std::span<double> out) {
  ScalarBatch(ZScore(period), x, out);
}

void MacdBatch(std::span<const double> x, int fast, int slow, int signal, std::span<double> line,
               std::span<double> signal_out, std::span<double> hist) {
  Macd k(fast, slow, signal);
  const size_t n = MinSize({x.size(), line.size(), signal_out.size(), hist.size()});
  for (size_t i = 0; i < n; ++i) {
    k.Update(x[i]);
    line[i] = k.line();
    signal_out[i] = k.signal();
    hist[i] = k.hist();
  }
}

void BbandsBatch(std::span<const double> x, int period, double k, std::span<double> mid,
                 std::span<double> up, std::span<double> dn) {
  Bbands b(period, k);
  const size_t n = MinSize({x.size(), mid.size(), up.size(), dn.size()});
  double v[3];
  for (size_t i = 0; i < n; ++i) {
    b.Update(x[i]);
    b.Values(v);
    mid[i] = v[0];
    up[i] = v[1];
    dn[i] = v[2];
  }
}

namespace {

template <class K>
void HlcBatch(K k, std::span<const double> high, std::span<const double> low,
              std::span<const double> close, std::span<double> out) {
  const size_t n = MinSize({high.size(), low.size(), close.size(), out.size()});
  for (size_t i = 0; i < n; ++i) {
    k.Update(high[i], low[i], close[i]);
    out[i] = k.value();
  }
}

template <class K>
void HlcBands(K k, std::span<const double> high, std::span<const double> low,
              std::span<const double> close, std::span<double> mid, std::span<double> up,
              std::span<double> dn) {
  const size_t n =
      MinSize({high.size(), low.size(), close.size(), mid.size(), up.size(), dn.size()});
  double v[3];
  for (size_t i = 0; i < n; ++i) {
    k.Update(high[i], low[i], close[i]);
    k.Values(v);
    mid[i] = v[0];
    up[i] = v[1];
    dn[i] = v[2];
  }
}

}  // namespace

void AtrBatch(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period, std::span<double> out) {
  HlcBatch(Atr(period), high, low, close, out);
}
void AdxBatch(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period, std::span<double> out) {
  HlcBatch(Adx(period), high, low, close, out);
}
void CciBatch(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period, std::span<double> out) {
  HlcBatch(Cci(period), high, low, close, out);
}
void WilliamsRBatch(std::span<const double> high, std::span<const double> low,
                    std::span<const double> close, int period, std::span<double> out) {
  HlcBatch(WilliamsR(period), high, low, close, out);
}

void StochBatch(std::span<const double> high, std::span<const double> low,
                std::span<const double> close, int fast_k, int slow_k, int slow_d,
                std::span<double> k, std::span<double> d) {
  Stoch s(fast_k, slow_k, slow_d);
  const size_t n = MinSize({high.size(), low.size(), close.size(), k.size(), d.size()});
  for (size_t i = 0; i < n; ++i) {
    s.Update(high[i], low[i], close[i]);
    k[i] = s.k();
    d[i] = s.d();
  }
}

void DonchianBatch(std::span<const double> high, std::span<const double> low, int period,
                   std::span<double> mid, std::span<double> up, std::span<double> dn) {
  Donchian c(period);
  const size_t n = MinSize({high.size(), low.size(), mid.size(), up.size(), dn.size()});
  for (size_t i = 0; i < n; ++i) {
    c.Update(high[i], low[i]);
    mid[i] = c.mid();
    up[i] = c.up();
    dn[i] = c.dn();
  }
}

void KeltnerBatch(std::span<const double> high, std::span<const double> low,
                  std::span<const double> close, int period, double k, int atr_period,
                  std::span<double> mid, std::span<double> up, std::span<double> dn) {
  HlcBands(Keltner(period, k, atr_period), high, low, close, mid, up, dn);
}

// ---- Registry -----------------------------------------------------------------------------------

namespace {

constexpr double kMaxPeriod = 100000;

ParamDef Period(double def, double min_value = 2) {
  return ParamDef{"period", def, min_value, kMaxPeriod, true};
}
ParamDef IntParam(const char* name, double def, double min_value) {
  return ParamDef{name, def, min_value, kMaxPeriod, true};
}
ParamDef Multiplier(double def) { return ParamDef{"k", def, 0, 100, false}; }

int I(double v) { return static_cast<int>(v); }

// Wraps a kernel as an Indicator.
template <class K>
std::unique_ptr<Indicator> Wrap(K k, std::vector<std::string> names) {
  return std::make_unique<KernelIndicator<K>>(std::move(k), std::move(names));
}
template <class K>
std::unique_ptr<Indicator> WrapClose(K k, std::vector<std::string> names) {
  return Wrap(OnClose<K>(std::move(k)), std::move(names));
}

using Params = const std::vector<double>&;
using Names = std::vector<std::string>;

}  // namespace

void RegisterPriceIndicators(std::vector<IndicatorDef>* defs) {
  auto add = [defs](IndicatorDef d) { defs->push_back(std::move(d)); };
  add({"sma", "Simple moving average of the close", {Period(20)}, {"sma"}, [](Params p, Names n) {
         return WrapClose(Sma(I(p[0])), std::move(n));
       }});
  add({"ema",
       "Exponential moving average of the close, k = 2/(n+1), SMA-seeded (TA-Lib)",
       {Period(20)},
       {"ema"},
       [](Params p, Names n) { return WrapClose(Ema(I(p[0])), std::move(n)); }});
  add({"wma",
       "Linearly weighted moving average of the close (weights 1..n)",
       {Period(20)},
       {"wma"},
       [](Params p, Names n) { return WrapClose(Wma(I(p[0])), std::move(n)); }});
  add({"rsi",
       "Relative strength index of the close, Wilder smoothing (TA-Lib), 0..100",
       {Period(14)},
       {"rsi"},
       [](Params p, Names n) { return WrapClose(Rsi(I(p[0])), std::move(n)); }});
  add({"macd",
       "MACD line, signal and histogram of the close (TA-Lib EMA alignment)",
       {IntParam("fast", 12, 2), IntParam("slow", 26, 2), IntParam("signal", 9, 1)},
       {"macd", "macd_signal", "macd_hist"},
       [](Params p, Names n) { return WrapClose(Macd(I(p[0]), I(p[1]), I(p[2])), std::move(n)); },
       [](Params p) -> Status {
         if (p[0] >= p[1]) return InvalidArgument("the fast period must be below the slow one");
         return Status::Ok();
       }});
  add({"bbands",
       "Bollinger Bands of the close: SMA +/- k population standard deviations",
       {Period(20), Multiplier(2)},
       {"bb_mid", "bb_up", "bb_dn"},
       [](Params p, Names n) { return WrapClose(Bbands(I(p[0]), p[1]), std::move(n)); }});
  add({"stoch",
       "Stochastic oscillator: slow %K and %D (SMA smoothing, TA-Lib), 0..100",
       {IntParam("fast_k", 14, 1), IntParam("slow_k", 3, 1), IntParam("slow_d", 3, 1)},
       {"stoch_k", "stoch_d"},
       [](Params p, Names n) { return Wrap(Stoch(I(p[0]), I(p[1]), I(p[2])), std::move(n)); }});
  add({"atr",
       "Average true range, Wilder smoothing (TA-Lib)",
       {Period(14, 1)},
       {"atr"},
       [](Params p, Names n) { return Wrap(Atr(I(p[0])), std::move(n)); }});
  add({"adx",
       "Average directional index, Wilder (TA-Lib), 0..100",
       {Period(14)},
       {"adx"},
       [](Params p, Names n) { return Wrap(Adx(I(p[0])), std::move(n)); }});
  add({"cci",
       "Commodity channel index of the typical price (mean deviation, 0.015)",
       {Period(20)},
       {"cci"},
       [](Params p, Names n) { return Wrap(Cci(I(p[0])), std::move(n)); }});
  add({"willr", "Williams %R, -100..0", {Period(14)}, {"willr"}, [](Params p, Names n) {
         return Wrap(WilliamsR(I(p[0])), std::move(n));
       }});
  add({"roc",
       "Rate of change of the close in percent: 100 * (close / close[n] - 1)",
       {Period(10, 1)},
       {"roc"},
       [](Params p, Names n) { return WrapClose(Roc(I(p[0])), std::move(n)); }});
  add({"stddev",
       "Rolling population standard deviation of the close",
       {Period(20)},
       {"stddev"},
       [](Params p, Names n) { return WrapClose(StdDev(I(p[0])), std::move(n)); }});
  add({"zscore",
       "Z-score of the close against its rolling mean and standard deviation",
       {Period(20)},
       {"zscore"},
       [](Params p, Names n) { return WrapClose(ZScore(I(p[0])), std::move(n)); }});
  add({"donchian",
       "Donchian channel: highest high, lowest low and their midpoint",
       {Period(20, 1)},
       {"dc_mid", "dc_up", "dc_dn"},
       [](Params p, Names n) { return Wrap(Donchian(I(p[0])), std::move(n)); }});
  add({"keltner",
       "Keltner channel: EMA of the typical price +/- k * ATR(atr_period)",
       {Period(20), Multiplier(2), IntParam("atr_period", 10, 1)},
       {"kc_mid", "kc_up", "kc_dn"},
       [](Params p, Names n) { return Wrap(Keltner(I(p[0]), p[1], I(p[2])), std::move(n)); }});
}

}  // namespace arus::indicators
