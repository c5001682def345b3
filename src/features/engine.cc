#include "features/engine.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "bars/resampler.h"
#include "fx/calendar.h"
#include "fx/instrument.h"
#include "indicators/indicator.h"
#include "indicators/indicator_set.h"
#include "indicators/kernels_price.h"
#include "indicators/kernels_volume.h"
#include "indicators/registry.h"
#include "indicators/tick_kernels.h"

namespace arus::features {

namespace {

using indicators::kNaN;
using indicators::StateReader;
using indicators::StateWriter;

constexpr int64_t kStateMagic = 0x31534641;  // "AFS1"

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void PutBar(StateWriter& w, const Bar& b) {
  w.PutInt(b.ts_open.ns());
  w.PutInt(b.ts_close.ns());
  w.PutInt(b.open.raw());
  w.PutInt(b.high.raw());
  w.PutInt(b.low.raw());
  w.PutInt(b.close.raw());
  w.PutInt(b.tick_count);
  w.PutDouble(b.volume);
  w.PutDouble(b.spread_mean);
  w.PutInt(b.spread_max.raw());
}

Status GetBar(StateReader& r, Bar* b) {
  int64_t v[8];
  for (int i = 0; i < 7; ++i) ARUS_RETURN_IF_ERROR(r.GetInt(&v[i]));
  b->ts_open = UnixNanos(v[0]);
  b->ts_close = UnixNanos(v[1]);
  b->open = Price::FromRaw(v[2]);
  b->high = Price::FromRaw(v[3]);
  b->low = Price::FromRaw(v[4]);
  b->close = Price::FromRaw(v[5]);
  b->tick_count = v[6];
  ARUS_RETURN_IF_ERROR(r.GetDouble(&b->volume));
  ARUS_RETURN_IF_ERROR(r.GetDouble(&b->spread_mean));
  ARUS_RETURN_IF_ERROR(r.GetInt(&v[7]));
  b->spread_max = Price::FromRaw(v[7]);
  return Status::Ok();
}

// Fixed-size ring of the last n+1 values (for "value n rows ago").
struct Ring {
  std::vector<double> v;
  int64_t count = 0;
  explicit Ring(int n = 0) : v(static_cast<size_t>(n) + 1, kNaN) {}
  void Push(double x) {
    v[static_cast<size_t>(count % static_cast<int64_t>(v.size()))] = x;
    ++count;
  }
  bool Full() const { return count >= static_cast<int64_t>(v.size()); }
  // Oldest of the last n+1 values (n rows before the newest).
  double Oldest() const { return v[static_cast<size_t>(count % static_cast<int64_t>(v.size()))]; }
};

}  // namespace

struct FeatureEngine::Impl {
  // One (symbol, timeframe) bar stream and the kernels reading it.
  struct Stream {
    size_t symbol = 0;
    bars::Timeframe tf = bars::Timeframe::kM1;
    bars::BarResampler resampler;
    indicators::IndicatorSet inds;
    size_t out_offset = 0;  // first column of this stream's indicator outputs
    size_t out_count = 0;
    std::unique_ptr<indicators::Ema> trend_ema;  // trend alignment on this timeframe
    double last_close = kNaN;                    // close of the last completed bar
    Stream(size_t s, bars::Timeframe t)
        : symbol(s), tf(t), resampler(t, fx::FxCalendar::Default()) {}
  };
  struct Event {
    UnixNanos ts_close;
    size_t stream;
    Bar bar;
  };

  FeatureSetSpec spec;
  ExternalFeatureProvider* external = nullptr;
  std::vector<std::string> symbols;
  std::vector<const fx::Instrument*> instruments;
  std::vector<std::string> names;
  std::vector<Stream> streams;
  std::vector<std::vector<size_t>> streams_of_symbol;
  size_t target_base = 0;             // stream index of the target's base timeframe
  std::vector<size_t> base_stream;    // per symbol: its base-timeframe stream
  std::vector<size_t> trend_streams;  // streams with a trend EMA
  size_t trend_col = 0;
  // Cross-pair state, updated once per target row.
  std::vector<double> prev_close;                    // per symbol, as of the previous row
  std::vector<indicators::RollingCorrelation> corr;  // per other symbol (index symbol - 1)
  size_t corr_col = 0;
  std::vector<Ring> strength_rings;  // per symbol
  std::vector<std::string> currencies;
  std::vector<std::vector<std::pair<size_t, double>>>
      currency_legs;  // (symbol, +1 base / -1 quote)
  size_t strength_col = 0;
  struct Triangle {
    size_t xz, yz;        // symbols giving X/Z and Y/Z rates
    bool xz_inv, yz_inv;  // the symbol is Z/X (Z/Y): invert its close
  };
  std::vector<Triangle> triangles;
  size_t tri_col = 0;
  size_t external_col = 0;
  // Tick kernels of the target ([ticks]), in column order from tick_col.
  bool has_ticks = false;
  std::vector<indicators::SpreadEwma> tick_spread;
  std::vector<indicators::BookImbalance> tick_imbalance;
  std::vector<indicators::TickIntensity> tick_intensity;
  std::vector<indicators::TickSlippage> tick_slippage;
  size_t tick_col = 0;
  // Market-open gate for ticks (derived from time only, not checkpointed): the market is open
  // (gate_open) or closed for every instant in [the last tick, gate_until).
  UnixNanos gate_until = UnixNanos::Min();
  bool gate_open = false;
  std::vector<double> scratch;

  UnixNanos now = UnixNanos::Min();
  std::vector<UnixNanos> row_times;
  std::vector<double> row_values;
  std::vector<Event> events;

  Status Build();
  Status Advance(UnixNanos t);
  bool MarketOpen(UnixNanos t);
  void EmitRow(UnixNanos t);
  void Consume(Stream& s, const Bar& bar);
};

Status FeatureEngine::Impl::Build() {
  const fx::InstrumentTable& table = fx::InstrumentTable::Builtin();
  symbols = spec.AllSymbols();
  for (const std::string& s : symbols) {
    ARUS_ASSIGN_OR_RETURN(const fx::Instrument* i, table.Find(s));
    instruments.push_back(i);
  }
  streams_of_symbol.resize(symbols.size());
  base_stream.resize(symbols.size());
  auto add_stream = [&](size_t sym, bars::Timeframe tf) {
    for (size_t i : streams_of_symbol[sym]) {
      if (streams[i].tf == tf) return i;
    }
    streams.emplace_back(sym, tf);
    streams_of_symbol[sym].push_back(streams.size() - 1);
    return streams.size() - 1;
  };
  for (bars::Timeframe tf : spec.TargetTimeframes()) add_stream(0, tf);
  for (size_t s = 0; s < symbols.size(); ++s) base_stream[s] = add_stream(s, spec.base_timeframe);
  target_base = base_stream[0];

  // Indicator columns, grouped by timeframe.
  for (const IndicatorGroup& g : spec.indicators) {
    Stream& st = streams[add_stream(0, g.timeframe)];
    st.out_offset = names.size();
    const std::string prefix = Lower(bars::TimeframeName(g.timeframe)) + "_";
    for (const indicators::IndicatorSpec& is : g.indicators) {
      ARUS_ASSIGN_OR_RETURN(std::unique_ptr<indicators::Indicator> ind,
                            indicators::MakeIndicator(is));
      for (const std::string& n : ind->OutputNames()) names.push_back(prefix + n);
      st.out_count += ind->OutputNames().size();
      st.inds.Add(std::move(ind));
    }
  }
  // Trend alignment.
  trend_col = names.size();
  if (!spec.trend.timeframes.empty()) {
    for (bars::Timeframe tf : spec.trend.timeframes) {
      const size_t i = add_stream(0, tf);
      streams[i].trend_ema = std::make_unique<indicators::Ema>(spec.trend.ema);
      trend_streams.push_back(i);
    }
    names.push_back("trend_align_" + std::to_string(spec.trend.ema));
  }
  // Cross-pair.
  prev_close.assign(symbols.size(), kNaN);
  corr_col = names.size();
  if (spec.cross.correlation_window > 0) {
    for (size_t s = 1; s < symbols.size(); ++s) {
      corr.emplace_back(spec.cross.correlation_window);
      names.push_back("corr_" + symbols[s] + "_" + std::to_string(spec.cross.correlation_window));
    }
  }
  strength_col = names.size();
  if (spec.cross.strength_window > 0 && symbols.size() > 1) {
    std::map<std::string, std::vector<std::pair<size_t, double>>> legs;
    for (size_t s = 0; s < symbols.size(); ++s) {
      legs[instruments[s]->base].push_back({s, 1.0});
      legs[instruments[s]->quote].push_back({s, -1.0});
      strength_rings.emplace_back(spec.cross.strength_window);
    }
    for (auto& [ccy, l] : legs) {
      currencies.push_back(ccy);
      currency_legs.push_back(l);
      names.push_back("strength_" + ccy + "_" + std::to_string(spec.cross.strength_window));
    }
  }
  tri_col = names.size();
  if (spec.cross.triangular) {
    const std::string& x = instruments[0]->base;
    const std::string& y = instruments[0]->quote;
    // rate(A in Z) from a loaded symbol A/Z or Z/A.
    auto find = [&](const std::string& a, const std::string& z, size_t* sym, bool* inv) {
      for (size_t s = 1; s < symbols.size(); ++s) {
        if (instruments[s]->base == a && instruments[s]->quote == z) {
          *sym = s;
          *inv = false;
          return true;
        }
        if (instruments[s]->base == z && instruments[s]->quote == a) {
          *sym = s;
          *inv = true;
          return true;
        }
      }
      return false;
    };
    std::vector<std::string> zs;
    for (size_t s = 1; s < symbols.size(); ++s) {
      zs.push_back(instruments[s]->base);
      zs.push_back(instruments[s]->quote);
    }
    std::sort(zs.begin(), zs.end());
    zs.erase(std::unique(zs.begin(), zs.end()), zs.end());
    for (const std::string& z : zs) {
      if (z == x || z == y) continue;
      Triangle t{};
      if (find(x, z, &t.xz, &t.xz_inv) && find(y, z, &t.yz, &t.yz_inv)) {
        triangles.push_back(t);
        names.push_back("tri_dev_" + z + "_pips");
      }
    }
  }
  external_col = names.size();
  if (!spec.external.empty()) {
    if (external == nullptr) {
      return InvalidArgument("feature set '" + spec.name +
                             "' has [external] features but no external data was supplied");
    }
    for (const std::string& n : external->names()) names.push_back(n);
  }
  tick_col = names.size();
  has_ticks = !spec.ticks.empty();
  const double pip = instruments[0]->pip_size;
  for (Duration hl : spec.ticks.spread) {
    tick_spread.emplace_back(pip, hl);
    names.push_back("tick_spread_" + CanonicalDuration(hl));
  }
  for (Duration hl : spec.ticks.imbalance) {
    tick_imbalance.emplace_back(hl);
    names.push_back("tick_imbalance_" + CanonicalDuration(hl));
  }
  for (Duration hl : spec.ticks.intensity) {
    tick_intensity.emplace_back(hl);
    names.push_back("tick_intensity_" + CanonicalDuration(hl));
  }
  for (Duration hl : spec.ticks.slippage) {
    tick_slippage.emplace_back(pip, hl, spec.ticks.slippage_latency);
    names.push_back("tick_slippage_" + CanonicalDuration(hl));
  }
  return Status::Ok();
}

bool FeatureEngine::Impl::MarketOpen(UnixNanos t) {
  if (t >= gate_until) {
    const fx::FxCalendar& cal = fx::FxCalendar::Default();
    gate_open = cal.IsOpen(t);
    gate_until = gate_open ? cal.NextClose(t) : cal.NextOpen(t);
  }
  return gate_open;
}

void FeatureEngine::Impl::Consume(Stream& s, const Bar& bar) {
  const indicators::BarInput in = indicators::ToBarInput(bar);
  s.inds.Update(in);
  if (s.trend_ema) s.trend_ema->Update(in.close);
  s.last_close = in.close;
}

void FeatureEngine::Impl::EmitRow(UnixNanos t) {
  const size_t base = row_values.size();
  row_times.push_back(t);
  row_values.resize(base + names.size(), kNaN);
  double* row = row_values.data() + base;
  for (const Stream& s : streams) {
    s.inds.Values(row + s.out_offset);
  }
  if (!trend_streams.empty()) {
    double sum = 0;
    bool ready = true;
    for (size_t i : trend_streams) {
      const Stream& s = streams[i];
      if (!s.trend_ema->IsReady() || std::isnan(s.last_close)) {
        ready = false;
        break;
      }
      const double d = s.last_close - s.trend_ema->value();
      sum += d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);
    }
    row[trend_col] = ready ? sum / static_cast<double>(trend_streams.size()) : kNaN;
  }
  // Cross-pair: closes as of t (the last base bar of each symbol that closed by t).
  std::vector<double>& close = scratch;
  close.resize(symbols.size());
  for (size_t s = 0; s < symbols.size(); ++s) close[s] = streams[base_stream[s]].last_close;
  if (!corr.empty()) {
    const double rt = std::log(close[0] / prev_close[0]);
    for (size_t s = 1; s < symbols.size(); ++s) {
      const double ro = std::log(close[s] / prev_close[s]);
      if (std::isfinite(rt) && std::isfinite(ro)) corr[s - 1].Update(rt, ro);
      row[corr_col + s - 1] = corr[s - 1].value();
    }
  }
  if (!currencies.empty()) {
    for (size_t s = 0; s < symbols.size(); ++s) strength_rings[s].Push(close[s]);
    for (size_t c = 0; c < currencies.size(); ++c) {
      double sum = 0;
      int n = 0;
      for (const auto& [s, sign] : currency_legs[c]) {
        const Ring& r = strength_rings[s];
        if (!r.Full()) continue;
        const double m = std::log(close[s] / r.Oldest());
        if (!std::isfinite(m)) continue;
        sum += sign * m;
        ++n;
      }
      row[strength_col + c] = n > 0 ? sum / n : kNaN;
    }
  }
  for (size_t i = 0; i < triangles.size(); ++i) {
    const Triangle& t = triangles[i];
    const double xz = t.xz_inv ? 1.0 / close[t.xz] : close[t.xz];
    const double yz = t.yz_inv ? 1.0 / close[t.yz] : close[t.yz];
    row[tri_col + i] = (close[0] - xz / yz) / instruments[0]->pip_size;
  }
  if (external != nullptr && !spec.external.empty()) external->ValuesAt(t, row + external_col);
  if (has_ticks) {
    // Every tick pushed so far is older than t (PushTick advances the clock before applying).
    double* out = row + tick_col;
    for (const auto& k : tick_spread) *out++ = k.ValueAt(t);
    for (const auto& k : tick_imbalance) *out++ = k.ValueAt(t);
    for (const auto& k : tick_intensity) *out++ = k.ValueAt(t);
    for (const auto& k : tick_slippage) *out++ = k.ValueAt(t);
  }
  prev_close = close;
}

Status FeatureEngine::Impl::Advance(UnixNanos t) {
  if (t < now) {
    return InvalidArgument("feature engine: clock went back from " + now.ToIso() + " to " +
                           t.ToIso());
  }
  now = t;
  events.clear();
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i].resampler.AdvanceTo(t);
    for (const Bar& b : streams[i].resampler.completed()) events.push_back({b.ts_close, i, b});
    streams[i].resampler.ClearCompleted();
  }
  if (events.empty()) return Status::Ok();
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.ts_close < b.ts_close; });
  size_t i = 0;
  while (i < events.size()) {
    const UnixNanos tc = events[i].ts_close;
    bool row = false;
    for (; i < events.size() && events[i].ts_close == tc; ++i) {
      Consume(streams[events[i].stream], events[i].bar);
      row |= events[i].stream == target_base;
    }
    if (row) EmitRow(tc);
  }
  return Status::Ok();
}

FeatureEngine::FeatureEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FeatureEngine::~FeatureEngine() = default;

Result<std::unique_ptr<FeatureEngine>> FeatureEngine::Create(const FeatureSetSpec& spec,
                                                             ExternalFeatureProvider* external) {
  auto impl = std::make_unique<Impl>();
  impl->spec = spec;
  impl->external = external;
  ARUS_RETURN_IF_ERROR(impl->Build());
  return std::unique_ptr<FeatureEngine>(new FeatureEngine(std::move(impl)));
}

const FeatureSetSpec& FeatureEngine::spec() const { return impl_->spec; }
const std::vector<std::string>& FeatureEngine::symbols() const { return impl_->symbols; }
const std::vector<std::string>& FeatureEngine::feature_names() const { return impl_->names; }
const std::vector<UnixNanos>& FeatureEngine::row_times() const { return impl_->row_times; }
const std::vector<double>& FeatureEngine::row_values() const { return impl_->row_values; }
UnixNanos FeatureEngine::now() const { return impl_->now; }

void FeatureEngine::ClearRows() {
  impl_->row_times.clear();
  impl_->row_values.clear();
}

Status FeatureEngine::Push(size_t symbol, const Bar& source_bar) {
  if (symbol >= impl_->symbols.size()) return InvalidArgument("feature engine: bad symbol index");
  // A bar must arrive before the clock reaches its close: at that instant every bucket holding
  // it may be completed.
  if (source_bar.ts_close <= impl_->now) {
    return InvalidArgument("feature engine: " + impl_->symbols[symbol] + " bar " +
                           source_bar.ts_open.ToIso() + ".." + source_bar.ts_close.ToIso() +
                           " arrived after the clock reached its close (" + impl_->now.ToIso() +
                           ")");
  }
  for (size_t i : impl_->streams_of_symbol[symbol]) {
    ARUS_RETURN_IF_ERROR(impl_->streams[i].resampler.Update(source_bar));
  }
  return Status::Ok();
}

Status FeatureEngine::AdvanceTo(UnixNanos now) { return impl_->Advance(now); }

bool FeatureEngine::needs_ticks() const { return impl_->has_ticks; }

Status FeatureEngine::PushTick(size_t symbol, const QuoteTick& tick) {
  Impl& m = *impl_;
  if (symbol >= m.symbols.size()) return InvalidArgument("feature engine: bad symbol index");
  if (!m.has_ticks || symbol != 0) return Status::Ok();
  const UnixNanos t = tick.ts_event;
  if (t < m.now) {
    return InvalidArgument("feature engine: " + m.symbols[symbol] + " tick at " + t.ToIso() +
                           " arrived after the clock reached " + m.now.ToIso());
  }
  // Rows at decision times <= t go out first: they must not see this tick.
  if (t > m.now) ARUS_RETURN_IF_ERROR(m.Advance(t));
  if (!m.MarketOpen(t)) return Status::Ok();
  for (auto& k : m.tick_spread) k.Update(tick);
  for (auto& k : m.tick_imbalance) k.Update(tick);
  for (auto& k : m.tick_intensity) k.Update(t);
  for (auto& k : m.tick_slippage) k.Update(tick);
  return Status::Ok();
}

Duration FeatureEngine::Lookback() const {
  int64_t longest = 0;
  // Calendar time holding `open_ns` of open market: 5 trading days a week, plus a weekend (3
  // days: room for a holiday next to it). In double and capped at 200 years: long periods on W1
  // would overflow int64 nanoseconds, and no store holds more history than that.
  auto with_closures = [&](double open_ns) {
    const double span =
        open_ns + (std::floor(open_ns / (5.0 * kNanosPerDay)) + 1) * 3.0 * kNanosPerDay;
    const double cap = 200.0 * 366 * kNanosPerDay;
    longest = std::max(longest, static_cast<int64_t>(std::min(span, cap)));
  };
  auto consider = [&](bars::Timeframe tf, int bars) {
    // Cumulative kernels (OBV, ADL) never forget their start: no history makes them stable, and
    // their levels depend on where the dataset starts (docs/features.md).
    if (bars >= indicators::kNeverStable) return;
    with_closures(double(bars) * double(bars::NominalDuration(tf).count()));
  };
  for (const Impl::Stream& s : impl_->streams) {
    for (size_t i = 0; i < s.inds.size(); ++i) consider(s.tf, s.inds.indicator(i).StablePeriod());
    if (s.trend_ema) consider(s.tf, s.trend_ema->StablePeriod());
  }
  const bars::Timeframe base = impl_->spec.base_timeframe;
  if (!impl_->corr.empty()) consider(base, impl_->spec.cross.correlation_window + 1);
  if (!impl_->currencies.empty()) consider(base, impl_->spec.cross.strength_window + 1);
  if (impl_->has_ticks) {
    // Tick kernels decay in calendar time, but the quote before a closure holds through it: the
    // state at the first tick after a start inside (or just before) a weekend still carries the
    // older history. So StableTime of *open* market must lie between the first tick read and any
    // row; one base bar more keeps the last tick before the row (whose quote is held) inside.
    Duration stable(0);
    for (const auto& k : impl_->tick_spread) stable = std::max(stable, k.StableTime());
    for (const auto& k : impl_->tick_imbalance) stable = std::max(stable, k.StableTime());
    for (const auto& k : impl_->tick_intensity) stable = std::max(stable, k.StableTime());
    for (const auto& k : impl_->tick_slippage) stable = std::max(stable, k.StableTime());
    const int64_t bars_part = longest;
    longest = 0;
    with_closures(double(stable.count()) + double(bars::NominalDuration(base).count()));
    // In whole minutes (the bar part is): builds read from a minute boundary.
    longest =
        std::max(bars_part, (longest + kNanosPerMinute - 1) / kNanosPerMinute * kNanosPerMinute);
  }
  return Duration(longest);
}

std::vector<uint8_t> FeatureEngine::SaveState() const {
  const Impl& m = *impl_;
  StateWriter w;
  w.PutInt(kStateMagic);
  w.PutInt(static_cast<int64_t>(m.spec.Hash()));
  w.PutInt(m.now.ns());
  for (const Impl::Stream& s : m.streams) {
    const bars::BarResampler::State rs = s.resampler.state();
    w.PutInt(rs.forming.has_value());
    if (rs.forming) PutBar(w, *rs.forming);
    w.PutDouble(rs.spread_weighted_sum);
    w.PutInt(rs.spread_plain_count);
    w.PutDouble(rs.spread_plain_sum);
    w.PutInt(rs.last_fine_open.ns());
    s.inds.Save(w);
    if (s.trend_ema) s.trend_ema->Save(w);
    w.PutDouble(s.last_close);
  }
  w.PutDoubles(m.prev_close);
  for (const auto& c : m.corr) c.Save(w);
  for (const Ring& r : m.strength_rings) {
    w.PutDoubles(r.v);
    w.PutInt(r.count);
  }
  if (m.external != nullptr && !m.spec.external.empty()) {
    const std::vector<uint8_t> ext = m.external->SaveState();
    w.PutInt(static_cast<int64_t>(ext.size()));
    for (uint8_t b : ext) w.PutInt(b);
  }
  if (m.has_ticks) {
    for (const auto& k : m.tick_spread) k.Save(w);
    for (const auto& k : m.tick_imbalance) k.Save(w);
    for (const auto& k : m.tick_intensity) k.Save(w);
    for (const auto& k : m.tick_slippage) k.Save(w);
  }
  return w.bytes();
}

Status FeatureEngine::LoadState(std::span<const uint8_t> bytes) {
  Impl& m = *impl_;
  StateReader r(bytes);
  auto bad = [](const std::string& what) { return Corruption("feature checkpoint: " + what); };
  int64_t magic = 0, hash = 0, now = 0;
  if (!r.GetInt(&magic).ok() || magic != kStateMagic) return bad("not a feature checkpoint");
  ARUS_RETURN_IF_ERROR(r.GetInt(&hash));
  if (static_cast<uint64_t>(hash) != m.spec.Hash()) {
    return bad("made by another feature set (hash mismatch)");
  }
  ARUS_RETURN_IF_ERROR(r.GetInt(&now));
  for (Impl::Stream& s : m.streams) {
    bars::BarResampler::State rs;
    int64_t has = 0, last_open = 0;
    ARUS_RETURN_IF_ERROR(r.GetInt(&has));
    if (has) {
      Bar b;
      ARUS_RETURN_IF_ERROR(GetBar(r, &b));
      rs.forming = b;
    }
    ARUS_RETURN_IF_ERROR(r.GetDouble(&rs.spread_weighted_sum));
    ARUS_RETURN_IF_ERROR(r.GetInt(&rs.spread_plain_count));
    ARUS_RETURN_IF_ERROR(r.GetDouble(&rs.spread_plain_sum));
    ARUS_RETURN_IF_ERROR(r.GetInt(&last_open));
    rs.last_fine_open = UnixNanos(last_open);
    s.resampler.Restore(rs);
    ARUS_RETURN_IF_ERROR(s.inds.Load(r));
    if (s.trend_ema) ARUS_RETURN_IF_ERROR(s.trend_ema->Load(r));
    ARUS_RETURN_IF_ERROR(r.GetDouble(&s.last_close));
  }
  ARUS_RETURN_IF_ERROR(r.GetDoubles(&m.prev_close, static_cast<int64_t>(m.symbols.size())));
  for (auto& c : m.corr) ARUS_RETURN_IF_ERROR(c.Load(r));
  for (Ring& ring : m.strength_rings) {
    ARUS_RETURN_IF_ERROR(r.GetDoubles(&ring.v, static_cast<int64_t>(ring.v.size())));
    ARUS_RETURN_IF_ERROR(r.GetInt(&ring.count));
  }
  if (m.external != nullptr && !m.spec.external.empty()) {
    int64_t n = 0;
    ARUS_RETURN_IF_ERROR(r.GetInt(&n));
    if (n < 0 || n > static_cast<int64_t>(bytes.size())) return bad("bad external state size");
    std::vector<uint8_t> ext(static_cast<size_t>(n));
    for (uint8_t& b : ext) {
      int64_t v = 0;
      ARUS_RETURN_IF_ERROR(r.GetInt(&v));
      b = static_cast<uint8_t>(v);
    }
    ARUS_RETURN_IF_ERROR(m.external->LoadState(ext));
  }
  if (m.has_ticks) {
    for (auto& k : m.tick_spread) ARUS_RETURN_IF_ERROR(k.Load(r));
    for (auto& k : m.tick_imbalance) ARUS_RETURN_IF_ERROR(k.Load(r));
    for (auto& k : m.tick_intensity) ARUS_RETURN_IF_ERROR(k.Load(r));
    for (auto& k : m.tick_slippage) ARUS_RETURN_IF_ERROR(k.Load(r));
  }
  if (!r.done()) return bad("trailing bytes");
  m.now = UnixNanos(now);
  m.gate_until = UnixNanos::Min();
  return Status::Ok();
}

}  // namespace arus::features
