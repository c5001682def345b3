#include "indicators/tick_kernels.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace arus::indicators {
namespace {

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kStableTaus = 27.631021115928547;  // ln(1e12)

double PipRaw(double pip_size) {
  // Pip sizes are decimal (0.0001, 0.01): exact in nano units once rounded.
  return static_cast<double>(std::llround(pip_size * static_cast<double>(kPriceScale)));
}

Status CheckParam(StateReader& r, double expected, const char* what) {
  double v = 0;
  ARUS_RETURN_IF_ERROR(r.GetDouble(&v));
  if (v != expected) {
    return InvalidArgument(std::string(what) + " state was saved with different parameters");
  }
  return Status::Ok();
}

// to - from, 0 when `to` is not later, saturated instead of overflowing for absurd instants.
Duration Elapsed(UnixNanos from, UnixNanos to) {
  if (to <= from) return Duration(0);
  int64_t d;
  if (__builtin_sub_overflow(to.ns(), from.ns(), &d)) return Duration::max();
  return Duration(d);
}

Status GetTime(StateReader& r, UnixNanos* t) {
  int64_t v = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&v));
  *t = UnixNanos(v);
  return Status::Ok();
}

template <class K, class... Args>
std::vector<double> RunTicks(std::span<const QuoteTick> ticks, Args... args) {
  K k(args...);
  std::vector<double> out(ticks.size());
  for (size_t i = 0; i < ticks.size(); ++i) {
    k.Update(ticks[i]);
    out[i] = k.IsReady() ? k.value() : kNaN;
  }
  return out;
}

}  // namespace

// ---- TimeDecay
// -----------------------------------------------------------------------------------

TimeDecay::TimeDecay(Duration half_life)
    : half_life_(std::max(half_life, Duration(1))),
      tau_ns_(static_cast<double>(half_life_.count()) / kLn2),
      inv_tau_ns_(1.0 / tau_ns_) {}

double TimeDecay::Keep(Duration elapsed) const {
  if (elapsed.count() <= 0) return 1.0;
  return std::exp(-static_cast<double>(elapsed.count()) * inv_tau_ns_);
}

Duration TimeDecay::StableTime() const {
  return Duration(static_cast<int64_t>(std::ceil(tau_ns_ * kStableTaus)));
}

// ---- SpreadEwma
// ----------------------------------------------------------------------------------

SpreadEwma::SpreadEwma(double pip_size, Duration half_life)
    : pip_raw_(PipRaw(pip_size)), decay_(half_life) {}

void SpreadEwma::Update(const QuoteTick& tick) {
  const double s = static_cast<double>(tick.spread().raw()) / pip_raw_;
  if (count_ == 0) {
    e_ = s;
    last_t_ = tick.ts_event;
  } else {
    const double a = decay_.Keep(Elapsed(last_t_, tick.ts_event));
    e_ = a * e_ + (1.0 - a) * s_;
    last_t_ = std::max(last_t_, tick.ts_event);
  }
  s_ = s;
  ++count_;
}

double SpreadEwma::ValueAt(UnixNanos t) const {
  if (count_ == 0) return kNaN;
  const double a = decay_.Keep(Elapsed(last_t_, t));
  return a * e_ + (1.0 - a) * s_;
}

void SpreadEwma::Save(StateWriter& w) const {
  w.PutDouble(pip_raw_);
  w.PutInt(decay_.half_life().count());
  w.PutInt(count_);
  w.PutInt(last_t_.ns());
  w.PutDouble(e_);
  w.PutDouble(s_);
}

Status SpreadEwma::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(CheckParam(r, pip_raw_, "spread ewma"));
  int64_t hl = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&hl));
  if (hl != decay_.half_life().count()) {
    return InvalidArgument("spread ewma state was saved with different parameters");
  }
  ARUS_RETURN_IF_ERROR(r.GetInt(&count_));
  if (count_ < 0) return Corruption("spread ewma state: negative count");
  ARUS_RETURN_IF_ERROR(GetTime(r, &last_t_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&e_));
  return r.GetDouble(&s_);
}

// ---- BookImbalance
// -------------------------------------------------------------------------------

BookImbalance::BookImbalance(Duration half_life) : decay_(half_life) {}

void BookImbalance::Update(const QuoteTick& tick) {
  const double bv = tick.bid_volume, av = tick.ask_volume;
  const double total = bv + av;
  const bool has_volume = total > 0 && std::isfinite(total);
  if (!has_) {
    if (!has_volume) return;  // nothing known yet
    q_ = e_ = (bv - av) / total;
    last_t_ = tick.ts_event;
    has_ = true;
    return;
  }
  const double a = decay_.Keep(Elapsed(last_t_, tick.ts_event));
  e_ = a * e_ + (1.0 - a) * q_;
  last_t_ = std::max(last_t_, tick.ts_event);
  if (has_volume) q_ = (bv - av) / total;
}

double BookImbalance::ValueAt(UnixNanos t) const {
  if (!has_) return kNaN;
  const double a = decay_.Keep(Elapsed(last_t_, t));
  return a * e_ + (1.0 - a) * q_;
}

void BookImbalance::Save(StateWriter& w) const {
  w.PutInt(decay_.half_life().count());
  w.PutInt(has_ ? 1 : 0);
  w.PutInt(last_t_.ns());
  w.PutDouble(e_);
  w.PutDouble(q_);
}

Status BookImbalance::Load(StateReader& r) {
  int64_t hl = 0, has = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&hl));
  if (hl != decay_.half_life().count()) {
    return InvalidArgument("book imbalance state was saved with different parameters");
  }
  ARUS_RETURN_IF_ERROR(r.GetInt(&has));
  has_ = has != 0;
  ARUS_RETURN_IF_ERROR(GetTime(r, &last_t_));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&e_));
  return r.GetDouble(&q_);
}

// ---- TickIntensity
// -------------------------------------------------------------------------------

TickIntensity::TickIntensity(Duration half_life)
    : decay_(half_life), inv_tau_s_(1.0 / decay_.tau_seconds()) {}

void TickIntensity::Update(UnixNanos t) {
  if (count_ == 0) {
    lambda_ = inv_tau_s_;
    last_t_ = t;
  } else {
    lambda_ = lambda_ * decay_.Keep(Elapsed(last_t_, t)) + inv_tau_s_;
    last_t_ = std::max(last_t_, t);
  }
  ++count_;
}

double TickIntensity::ValueAt(UnixNanos t) const {
  if (count_ == 0) return kNaN;
  return lambda_ * decay_.Keep(Elapsed(last_t_, t));
}

void TickIntensity::Save(StateWriter& w) const {
  w.PutInt(decay_.half_life().count());
  w.PutInt(count_);
  w.PutInt(last_t_.ns());
  w.PutDouble(lambda_);
}

Status TickIntensity::Load(StateReader& r) {
  int64_t hl = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&hl));
  if (hl != decay_.half_life().count()) {
    return InvalidArgument("tick intensity state was saved with different parameters");
  }
  ARUS_RETURN_IF_ERROR(r.GetInt(&count_));
  if (count_ < 0) return Corruption("tick intensity state: negative count");
  ARUS_RETURN_IF_ERROR(GetTime(r, &last_t_));
  return r.GetDouble(&lambda_);
}

// ---- TickSlippage
// --------------------------------------------------------------------------------

TickSlippage::TickSlippage(double pip_size, Duration half_life, Duration latency)
    : pip_raw_(PipRaw(pip_size)),
      latency_s_(std::max<double>(static_cast<double>(latency.count()), 0.0) * 1e-9),
      spread_(pip_size, half_life),
      decay_(half_life),
      inv_tau_s_(1.0 / decay_.tau_seconds()) {}

void TickSlippage::Update(const QuoteTick& tick) {
  const int64_t mid = tick.mid().raw();
  if (count_ > 0) {
    const double dm = static_cast<double>(mid - prev_mid_raw_) / pip_raw_;
    var_rate_ =
        var_rate_ * decay_.Keep(Elapsed(spread_.last_time(), tick.ts_event)) + dm * dm * inv_tau_s_;
  }
  spread_.Update(tick);  // after: the decay above needs the previous tick's time
  prev_mid_raw_ = mid;
  ++count_;
}

double TickSlippage::HalfSpreadAt(UnixNanos t) const {
  if (!IsReady()) return kNaN;
  return 0.5 * spread_.ValueAt(t);
}

double TickSlippage::VolAt(UnixNanos t) const {
  if (!IsReady()) return kNaN;
  return std::sqrt(var_rate_ * decay_.Keep(Elapsed(spread_.last_time(), t)) * latency_s_);
}

double TickSlippage::ValueAt(UnixNanos t) const {
  if (!IsReady()) return kNaN;
  return HalfSpreadAt(t) + VolAt(t);
}

void TickSlippage::Save(StateWriter& w) const {
  w.PutDouble(pip_raw_);
  w.PutDouble(latency_s_);
  spread_.Save(w);
  w.PutInt(count_);
  w.PutInt(prev_mid_raw_);
  w.PutDouble(var_rate_);
}

Status TickSlippage::Load(StateReader& r) {
  ARUS_RETURN_IF_ERROR(CheckParam(r, pip_raw_, "tick slippage"));
  ARUS_RETURN_IF_ERROR(CheckParam(r, latency_s_, "tick slippage"));
  ARUS_RETURN_IF_ERROR(spread_.Load(r));
  ARUS_RETURN_IF_ERROR(r.GetInt(&count_));
  if (count_ < 0) return Corruption("tick slippage state: negative count");
  ARUS_RETURN_IF_ERROR(r.GetInt(&prev_mid_raw_));
  return r.GetDouble(&var_rate_);
}

// ---- Batch
// ---------------------------------------------------------------------------------------

std::vector<double> SpreadEwmaBatch(std::span<const QuoteTick> ticks, double pip_size,
                                    Duration half_life) {
  return RunTicks<SpreadEwma>(ticks, pip_size, half_life);
}
std::vector<double> BookImbalanceBatch(std::span<const QuoteTick> ticks, Duration half_life) {
  return RunTicks<BookImbalance>(ticks, half_life);
}
std::vector<double> TickIntensityBatch(std::span<const QuoteTick> ticks, Duration half_life) {
  return RunTicks<TickIntensity>(ticks, half_life);
}
std::vector<double> TickSlippageBatch(std::span<const QuoteTick> ticks, double pip_size,
                                      Duration half_life, Duration latency) {
  return RunTicks<TickSlippage>(ticks, pip_size, half_life, latency);
}

}  // namespace arus::indicators
