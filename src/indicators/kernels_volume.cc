#include "indicators/kernels_volume.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <utility>

#include "indicators/registry.h"

namespace arus::indicators {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// A difference of sums below this many ulps of the accumulated terms is rounding noise.
double NoiseFloor(int period, double err) { return 4.0 * period * DBL_EPSILON * err; }

Status CheckPeriod(StateReader& r, int period, const char* what) {
  int64_t p = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&p));
  if (p != period) {
    return InvalidArgument(std::string(what) + " state: period " + std::to_string(p) +
                           " does not match the kernel's " + std::to_string(period));
  }
  return Status::Ok();
}

Status GetCount(StateReader& r, int64_t* v, const char* what) {
  ARUS_RETURN_IF_ERROR(r.GetInt(v));
  if (*v < 0) return Corruption(std::string(what) + " state: negative count");
  return Status::Ok();
}

Status GetHead(StateReader& r, int period, int* head, const char* what) {
  int64_t h = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&h));
  if (h < 0 || h >= period)
    return Corruption(std::string(what) + " state: ring position out of range");
  *head = static_cast<int>(h);
  return Status::Ok();
}

}  // namespace

// ---- RollingCorrelation
// --------------------------------------------------------------------------

RollingCorrelation::RollingCorrelation(int period)
    : period_(std::max(period, 1)), xs_(period_, 0.0), ys_(period_, 0.0) {}

void RollingCorrelation::Update(double x, double y) {
  if (count_ == 0) {
    rx_ = x;
    ry_ = y;
  }
  if (count_ >= period_) {
    const double dx = xs_[head_] - rx_, dy = ys_[head_] - ry_;
    sx_ -= dx;
    sy_ -= dy;
    sxx_ -= dx * dx;
    syy_ -= dy * dy;
    sxy_ -= dx * dy;
    ex_ += dx * dx;
    ey_ += dy * dy;
  }
  xs_[head_] = x;
  ys_[head_] = y;
  const double dx = x - rx_, dy = y - ry_;
  sx_ += dx;
  sy_ += dy;
  sxx_ += dx * dx;
  syy_ += dy * dy;
  sxy_ += dx * dy;
  ex_ += dx * dx;
  ey_ += dy * dy;
  ++count_;
  if (++head_ == period_) {
    head_ = 0;
    Rebase();
  }
}

void RollingCorrelation::Rebase() {
  double mx = 0, my = 0;
  for (int i = 0; i < period_; ++i) {
    mx += xs_[i];
    my += ys_[i];
  }
  rx_ = mx / period_;
  ry_ = my / period_;
  double a = 0, b = 0, c = 0, d = 0, e = 0;
  for (int i = 0; i < period_; ++i) {
    const double dx = xs_[i] - rx_, dy = ys_[i] - ry_;
    a += dx;
    b += dy;
    c += dx * dx;
    d += dy * dy;
    e += dx * dy;
  }
  sx_ = a;
  sy_ = b;
  sxx_ = c;
  syy_ = d;
  sxy_ = e;
  ex_ = c;
  ey_ = d;
}

double RollingCorrelation::n() const { return static_cast<double>(period_); }

double RollingCorrelation::covariance() const {
  if (!IsReady()) return kNaN;
  return (sxy_ - sx_ * sy_ / n()) / n();
}

double RollingCorrelation::variance_x() const {
  if (!IsReady()) return kNaN;
  const double c = sxx_ - sx_ * sx_ / n();
  return c <= NoiseFloor(period_, ex_) ? 0.0 : c / n();
}

double RollingCorrelation::variance_y() const {
  if (!IsReady()) return kNaN;
  const double c = syy_ - sy_ * sy_ / n();
  return c <= NoiseFloor(period_, ey_) ? 0.0 : c / n();
}

double RollingCorrelation::value() const {
  if (!IsReady()) return kNaN;
  const double cxx = sxx_ - sx_ * sx_ / n();
  const double cyy = syy_ - sy_ * sy_ / n();
  if (cxx <= NoiseFloor(period_, ex_) || cyy <= NoiseFloor(period_, ey_)) return 0.0;
  const double cxy = sxy_ - sx_ * sy_ / n();
  // Separate square roots: the product of two tiny variances could underflow.
  const double r = cxy / (std::sqrt(cxx) * std::sqrt(cyy));
  return std::clamp(r, -1.0, 1.0);
}

void RollingCorrelation::Save(StateWriter& w) const {
  w.PutInt(period_);
  w.PutDoubles(xs_);
  w.PutDoubles(ys_);
  w.PutInt(head_);
  w.PutInt(count_);
  for (double v : {rx_, ry_, sx_, sy_, sxx_, syy_, sxy_, ex_, ey_}) w.PutDouble(v);
}

Status RollingCorrelation::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(CheckPeriod(r, period_, "rolling correlation"));
  ARUS_RETURN_IF_ERROR(r.GetDoubles(&xs_, period_));
  ARUS_RETURN_IF_ERROR(r.GetDoubles(&ys_, period_));
  ARUS_RETURN_IF_ERROR(GetHead(r, period_, &head_, "rolling correlation"));
  ARUS_RETURN_IF_ERROR(GetCount(r, &count_, "rolling correlation"));
  for (double* v : {&rx_, &ry_, &sx_, &sy_, &sxx_, &syy_, &sxy_, &ex_, &ey_}) {
    ARUS_RETURN_IF_ERROR(r.GetDouble(v));
  }
  return Status::Ok();
}

void RollingCorrelationBatch(std::span<const double> x, std::span<const double> y, int period,
                             std::span<double> out) {
  RollingCorrelation k(period);
  const size_t n = std::min({x.size(), y.size(), out.size()});
  for (size_t i = 0; i < n; ++i) {
    k.Update(x[i], y[i]);
    out[i] = k.value();
  }
}

// ---- MFI
// -----------------------------------------------------------------------------------------

Mfi::Mfi(int period) : period_(std::max(period, 1)), pos_(period_), neg_(period_) {}

void Mfi::Save(StateWriter& w) const {
  pos_.Save(w);
  neg_.Save(w);
  w.PutInt(has_prev_ ? 1 : 0);
  w.PutDouble(prev_tp_);
}

Status Mfi::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(pos_.Load(r));
  ARUS_RETURN_IF_ERROR(neg_.Load(r));
  int64_t has = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&has));
  has_prev_ = has != 0;
  return r.GetDouble(&prev_tp_);
}

// ---- ADL, OBV
// ------------------------------------------------------------------------------------

void Adl::Save(StateWriter& w) const {
  w.PutInt(count_);
  w.PutDouble(ad_);
}

Status Adl::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(GetCount(r, &count_, "adl"));
  return r.GetDouble(&ad_);
}

void Obv::Save(StateWriter& w) const {
  w.PutInt(count_);
  w.PutDouble(obv_);
  w.PutDouble(prev_close_);
}

Status Obv::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(GetCount(r, &count_, "obv"));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&obv_));
  return r.GetDouble(&prev_close_);
}

// ---- Awesome Oscillator
// --------------------------------------------------------------------------

AwesomeOscillator::AwesomeOscillator(int fast, int slow) : fast_(fast), slow_(slow) {}

int AwesomeOscillator::WarmupPeriod() const {
  return std::max(fast_.WarmupPeriod(), slow_.WarmupPeriod());
}

int AwesomeOscillator::StablePeriod() const {
  return std::max(fast_.StablePeriod(), slow_.StablePeriod());
}

void AwesomeOscillator::Save(StateWriter& w) const {
  fast_.Save(w);
  slow_.Save(w);
}

Status AwesomeOscillator::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(fast_.Load(r));
  return slow_.Load(r);
}

// ---- Tick volume
// ---------------------------------------------------------------------------------

TickVolumeStats::TickVolumeStats(int period) : m_(period) {}

void TickVolumeStats::Update(const BarInput& bar) {
  last_ = bar.tick_count > 0 ? bar.tick_count : bar.volume;
  m_.Update(last_);
}

double TickVolumeStats::rel() const {
  if (!IsReady()) return kNaN;
  const double mean = m_.mean();
  return mean != 0.0 ? last_ / mean : kNaN;
}

double TickVolumeStats::z() const {
  if (!IsReady()) return kNaN;
  const double sd = m_.value();
  return sd > 0.0 ? (last_ - m_.mean()) / sd : 0.0;
}

void TickVolumeStats::Save(StateWriter& w) const {
  m_.Save(w);
  w.PutDouble(last_);
}

Status TickVolumeStats::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(m_.Load(r));
  return r.GetDouble(&last_);
}

// ---- Spread
// --------------------------------------------------------------------------------------

SpreadStats::SpreadStats(int period) : m_(period), ring_(std::max(period, 1), 0.0) {
  sorted_.reserve(ring_.size());
}

void SpreadStats::Update(const BarInput& bar) {
  // Non-finite spreads would break the ordering of sorted_; they mean "unknown" like 0.
  const double x = std::isfinite(bar.spread_mean) ? bar.spread_mean : 0.0;
  if (sorted_.size() == ring_.size()) {
    // Replace the leaving value by the new one and slide it into place (one insertion-sort pass;
    // consecutive spreads are close, so it moves a few slots).
    const double old = ring_[head_];
    size_t p = static_cast<size_t>(std::lower_bound(sorted_.begin(), sorted_.end(), old) -
                                   sorted_.begin());
    const size_t n = sorted_.size();
    if (x > old) {
      while (p + 1 < n && sorted_[p + 1] < x) {
        sorted_[p] = sorted_[p + 1];
        ++p;
      }
    } else {
      while (p > 0 && sorted_[p - 1] > x) {
        sorted_[p] = sorted_[p - 1];
        --p;
      }
    }
    sorted_[p] = x;
  } else {
    sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), x), x);
  }
  ring_[head_] = x;
  if (++head_ == static_cast<int>(ring_.size())) head_ = 0;
  if (filled_ < static_cast<int64_t>(ring_.size())) ++filled_;
  last_ = x;
  m_.Update(x);
}

double SpreadStats::median() const {
  const size_t n = sorted_.size();
  if (n == 0) return kNaN;
  return n % 2 == 1 ? sorted_[n / 2] : (sorted_[n / 2 - 1] + sorted_[n / 2]) / 2.0;
}

double SpreadStats::rel() const {
  if (!IsReady()) return kNaN;
  const double med = median();
  return med > 0.0 ? last_ / med : kNaN;
}

double SpreadStats::z() const {
  if (!IsReady()) return kNaN;
  const double sd = m_.value();
  return sd > 0.0 ? (last_ - m_.mean()) / sd : 0.0;
}

void SpreadStats::Save(StateWriter& w) const {
  m_.Save(w);
  w.PutDoubles(ring_);
  w.PutInt(head_);
  w.PutInt(filled_);
  w.PutDouble(last_);
}

Status SpreadStats::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(m_.Load(r));
  const int period = static_cast<int>(ring_.size());
  ARUS_RETURN_IF_ERROR(r.GetDoubles(&ring_, period));
  ARUS_RETURN_IF_ERROR(GetHead(r, period, &head_, "spread"));
  ARUS_RETURN_IF_ERROR(GetCount(r, &filled_, "spread"));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&last_));
  for (double v : ring_) {
    if (!std::isfinite(v)) return Corruption("spread state: non-finite spread");
  }
  if (filled_ > period || (filled_ < period && head_ != filled_)) {
    return Corruption("spread state: ring position does not match the count");
  }
  const size_t filled = static_cast<size_t>(filled_);
  sorted_.assign(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(filled));
  std::sort(sorted_.begin(), sorted_.end());
  return Status::Ok();
}

// ---- Sessions
// ------------------------------------------------------------------------------------

void SessionFlags::Update(const BarInput& bar) {
  const int64_t hour = FloorDiv(bar.ts_close.ns(), kNanosPerHour);
  if (!cache_valid_ || hour != cached_hour_) {
    cached_mask_ = clock_->ActiveMask(bar.ts_close);
    cached_hour_ = hour;
    cache_valid_ = true;
  }
  mask_ = cached_mask_;
  ready_ = true;
}

void SessionFlags::Values(double* out) const {
  if (!ready_) {
    std::fill(out, out + kOutputs, kNaN);
    return;
  }
  using fx::Session;
  using fx::SessionBit;
  auto on = [&](Session s) { return (mask_ & SessionBit(s)) != 0; };
  const bool syd = on(Session::kSydney), tok = on(Session::kTokyo), lon = on(Session::kLondon),
             ny = on(Session::kNewYork);
  out[0] = syd;
  out[1] = tok;
  out[2] = lon;
  out[3] = ny;
  out[4] = (syd + tok + lon + ny) >= 2;
  out[5] = lon && ny;
  out[6] = tok && lon;
  out[7] = syd && tok;
}

void SessionFlags::Save(StateWriter& w) const {
  w.PutInt(mask_);
  w.PutInt(ready_ ? 1 : 0);
}

Status SessionFlags::Load(StateReader& r) {
  int64_t mask = 0, ready = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&mask));
  ARUS_RETURN_IF_ERROR(r.GetInt(&ready));
  if (mask < 0 || mask >= (1 << fx::kSessionCount)) return Corruption("session state: bad mask");
  mask_ = static_cast<uint8_t>(mask);
  ready_ = ready != 0;
  cache_valid_ = false;
  return Status::Ok();
}

// ---- Slippage
// ------------------------------------------------------------------------------------

SlippageEstimate::SlippageEstimate(int period, double latency_ms)
    : period_(std::max(period, 1)),
      latency_ns_(std::max(latency_ms, 0.0) * 1e6),
      spread_(period_),
      sq_(period_) {}

void SlippageEstimate::Update(const BarInput& bar) {
  spread_.Update(bar.spread_mean);
  if (has_prev_) {
    const double d = bar.close - prev_close_;
    sq_.Update(d * d);
  }
  prev_close_ = bar.close;
  has_prev_ = true;
  const double len = static_cast<double>((bar.ts_close - bar.ts_open).count());
  scale_ = len > 0 ? std::sqrt(latency_ns_ / len) : 0.0;
}

double SlippageEstimate::half_spread() const {
  if (!IsReady()) return kNaN;
  return 0.5 * spread_.value();
}

double SlippageEstimate::vol() const {
  if (!IsReady()) return kNaN;
  return std::sqrt(std::max(sq_.value(), 0.0)) * scale_;
}

double SlippageEstimate::value() const {
  if (!IsReady()) return kNaN;
  return half_spread() + vol();
}

void SlippageEstimate::Save(StateWriter& w) const {
  spread_.Save(w);
  sq_.Save(w);
  w.PutInt(has_prev_ ? 1 : 0);
  w.PutDouble(prev_close_);
  w.PutDouble(scale_);
}

Status SlippageEstimate::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(spread_.Load(r));
  ARUS_RETURN_IF_ERROR(sq_.Load(r));
  int64_t has = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&has));
  has_prev_ = has != 0;
  ARUS_RETURN_IF_ERROR(r.GetDouble(&prev_close_));
  return r.GetDouble(&scale_);
}

// ---- Batch
// ---------------------------------------------------------------------------------------

void MfiBatch(std::span<const BarInput> bars, int period, std::span<double> out) {
  Mfi k(period);
  const size_t n = std::min(bars.size(), out.size());
  for (size_t i = 0; i < n; ++i) {
    k.Update(bars[i]);
    out[i] = k.value();
  }
}

void AdlBatch(std::span<const BarInput> bars, std::span<double> out) {
  Adl k;
  const size_t n = std::min(bars.size(), out.size());
  for (size_t i = 0; i < n; ++i) {
    k.Update(bars[i]);
    out[i] = k.value();
  }
}

void ObvBatch(std::span<const BarInput> bars, std::span<double> out) {
  Obv k;
  const size_t n = std::min(bars.size(), out.size());
  for (size_t i = 0; i < n; ++i) {
    k.Update(bars[i]);
    out[i] = k.value();
  }
}

void AwesomeOscillatorBatch(std::span<const BarInput> bars, int fast, int slow,
                            std::span<double> out) {
  AwesomeOscillator k(fast, slow);
  const size_t n = std::min(bars.size(), out.size());
  for (size_t i = 0; i < n; ++i) {
    k.Update(bars[i]);
    out[i] = k.value();
  }
}

void TickVolumeStatsBatch(std::span<const BarInput> bars, int period, std::span<double> rel,
                          std::span<double> z) {
  TickVolumeStats k(period);
  const size_t n = std::min({bars.size(), rel.size(), z.size()});
  for (size_t i = 0; i < n; ++i) {
    k.Update(bars[i]);
    rel[i] = k.rel();
    z[i] = k.z();
  }
}

void SpreadStatsBatch(std::span<const BarInput> bars, int period, std::span<double> rel,
                      std::span<double> z) {
  SpreadStats k(period);
  const size_t n = std::min({bars.size(), rel.size(), z.size()});
  for (size_t i = 0; i < n; ++i) {
    k.Update(bars[i]);
    rel[i] = k.rel();
    z[i] = k.z();
  }
}

void SlippageEstimateBatch(std::span<const BarInput> bars, int period, double latency_ms,
                           std::span<double> slippage, std::span<double> half_spread,
                           std::span<double> vol) {
  SlippageEstimate k(period, latency_ms);
  const size_t n = std::min({bars.size(), slippage.size(), half_spread.size(), vol.size()});
  for (size_t i = 0; i < n; ++i) {
    k.Update(bars[i]);
    slippage[i] = k.value();
    half_spread[i] = k.half_spread();
    vol[i] = k.vol();
  }
}

void SessionFlagsBatch(std::span<const BarInput> bars, std::span<uint8_t> masks) {
  SessionFlags k;
  const size_t n = std::min(bars.size(), masks.size());
  for (size_t i = 0; i < n; ++i) {
    k.Update(bars[i]);
    masks[i] = k.mask();
  }
}

// ---- Registry
// ------------------------------------------------------------------------------------

namespace {

ParamDef Period(double def) { return ParamDef{"period", def, 1, 100000, true}; }

template <class K>
std::unique_ptr<Indicator> Wrap(K k, std::vector<std::string> names) {
  return std::make_unique<KernelIndicator<K>>(std::move(k), std::move(names));
}

}  // namespace

void RegisterVolumeIndicators(std::vector<IndicatorDef>* defs) {
  using Names = std::vector<std::string>;
  using Params = std::vector<double>;
  defs->push_back({"mfi",
                   "Money Flow Index (TA-Lib), 0..100",
                   {Period(14)},
                   {"mfi"},
                   [](const Params& p, Names n) { return Wrap(Mfi(static_cast<int>(p[0])), n); }});
  defs->push_back({"adl",
                   "Chaikin Accumulation/Distribution line (TA-Lib AD), cumulative",
                   {},
                   {"adl"},
                   [](const Params&, Names n) { return Wrap(Adl(), n); }});
  defs->push_back({"obv",
                   "On-Balance Volume (TA-Lib), cumulative from the first volume",
                   {},
                   {"obv"},
                   [](const Params&, Names n) { return Wrap(Obv(), n); }});
  defs->push_back({"ao",
                   "Awesome Oscillator: SMA(5) - SMA(34) of (high+low)/2",
                   {},
                   {"ao"},
                   [](const Params&, Names n) { return Wrap(AwesomeOscillator(5, 34), n); }});
  defs->push_back(
      {"tickvol",
       "tick volume relative to its rolling mean, and its rolling z-score",
       {Period(20)},
       {"tickvol_rel", "tickvol_z"},
       [](const Params& p, Names n) { return Wrap(TickVolumeStats(static_cast<int>(p[0])), n); }});
  defs->push_back(
      {"spread",
       "bar mean spread relative to its rolling median, and its rolling z-score",
       {Period(20)},
       {"spread_rel", "spread_z"},
       [](const Params& p, Names n) { return Wrap(SpreadStats(static_cast<int>(p[0])), n); }});
  defs->push_back(
      {"session",
       "FX session flags (0/1) at the bar's close: sessions and their overlaps",
       {},
       {"session_sydney", "session_tokyo", "session_london", "session_newyork", "session_overlap",
        "session_london_newyork", "session_tokyo_london", "session_sydney_tokyo"},
       [](const Params&, Names n) { return Wrap(SessionFlags(), n); }});
  defs->push_back({"slippage",
                   "market-order slippage estimate in price units: half the mean spread plus "
                   "close-to-close volatility scaled to the latency",
                   {Period(20), ParamDef{"latency_ms", 250, 0, 86'400'000, false}},
                   {"slippage", "slip_spread", "slip_vol"},
                   [](const Params& p, Names n) {
                     return Wrap(SlippageEstimate(static_cast<int>(p[0]), p[1]), n);
                   }});
}

}  // namespace arus::indicators
