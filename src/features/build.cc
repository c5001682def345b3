#include "features/build.h"

#include <algorithm>
#include <cmath>

#include "bars/bar_aggregator.h"
#include "bars/resampler.h"
#include "core/memory.h"
#include "fx/calendar.h"
#include "fx/instrument.h"
#include "features/external_features.h"
#include "features/labels.h"
#include "indicators/indicator.h"

namespace arus::features {

namespace {

constexpr int64_t kCheckpointMagic = 0x31504b43;  // "CKP1"

// The checkpoint a dataset carries: where its source bars start (labels and warm-up must read
// from the same place to give identical values), then the engine's state.
std::vector<uint8_t> WrapCheckpoint(UnixNanos source_from, const std::vector<uint8_t>& engine) {
  indicators::StateWriter w;
  w.PutInt(kCheckpointMagic);
  w.PutInt(source_from.ns());
  std::vector<uint8_t> out = w.bytes();
  out.insert(out.end(), engine.begin(), engine.end());
  return out;
}

Status UnwrapCheckpoint(std::span<const uint8_t> bytes, UnixNanos* source_from,
                        std::span<const uint8_t>* engine) {
  if (bytes.size() < 16) return FailedPrecondition("the dataset has no feature checkpoint");
  indicators::StateReader r(bytes.first(16));
  int64_t magic = 0, from = 0;
  ARUS_RETURN_IF_ERROR(r.GetInt(&magic));
  ARUS_RETURN_IF_ERROR(r.GetInt(&from));
  if (magic != kCheckpointMagic) return Corruption("dataset checkpoint: bad magic");
  *source_from = UnixNanos(from);
  *engine = bytes.subspan(16);
  return Status::Ok();
}

// The engine for `spec`, with the store's external data when the spec asks for it and the caller
// supplied none.
Result<std::unique_ptr<FeatureEngine>> MakeEngine(const store::TickStore& store,
                                                  const FeatureSetSpec& spec,
                                                  const BuildOptions& options,
                                                  std::unique_ptr<ExternalFeatureSource>* owned) {
  ExternalFeatureProvider* external = options.external;
  if (external == nullptr && !spec.external.empty()) {
    ARUS_ASSIGN_OR_RETURN(*owned,
                          ExternalFeatureSource::Open(store.dir(), spec.symbol, spec.external));
    external = owned->get();
  }
  return FeatureEngine::Create(spec, external);
}

// Moves the engine's pending rows at or after `from` into the dataset's columns. Called often so
// that rows never pile up in the engine: large reallocations (page faults) dominate otherwise.
void TakeRows(FeatureEngine& engine, UnixNanos from, Dataset* ds) {
  const std::vector<UnixNanos>& times = engine.row_times();
  const std::vector<double>& values = engine.row_values();
  const size_t ncols = ds->features.size();
  size_t first = 0;
  while (first < times.size() && times[first] < from) ++first;
  const size_t k = times.size() - first;
  if (k > 0) {
    ds->time.insert(ds->time.end(), times.begin() + static_cast<ptrdiff_t>(first), times.end());
    // Column by column: sequential writes, strided reads from a small row-major buffer.
    for (size_t c = 0; c < ncols; ++c) {
      std::vector<double>& col = ds->features[c];
      const size_t old = col.size();
      col.resize(old + k);
      double* out = col.data() + old;
      const double* in = values.data() + first * ncols + c;
      for (size_t r = 0; r < k; ++r) out[r] = in[r * ncols];
    }
  }
  engine.ClearRows();
}

// The instant the data read ends. An explicit `to` must be a whole minute (an M1 bar cut by it
// would be completed differently by a later extension). Open-ended: the open of the latest
// source bar, whose minute may not be complete yet; bars from there on are dropped.
Result<UnixNanos> ResolveEnd(std::vector<std::vector<Bar>>* source, UnixNanos to) {
  if (to != UnixNanos::Max()) {
    if (to.ns() % kNanosPerMinute != 0) {
      return InvalidArgument("--to " + to.ToIso() + " must be a whole minute");
    }
    return to;
  }
  UnixNanos end = UnixNanos::Min();
  for (const auto& bars : *source) {
    if (!bars.empty()) end = std::max(end, bars.back().ts_open);
  }
  for (auto& bars : *source) {
    while (!bars.empty() && bars.back().ts_close > end) bars.pop_back();
  }
  return end;
}

// The target's ticks in [from, end) for the engine's tick features (null when it has none).
// The caller checked that the store holds ticks of the target.
Result<std::unique_ptr<store::TickScanner>> ScanTicks(const store::TickStore& store,
                                                      const FeatureEngine& engine, UnixNanos from,
                                                      UnixNanos end) {
  if (!engine.needs_ticks() || end <= from) return std::unique_ptr<store::TickScanner>();
  return store.Scan(engine.symbols()[0], from, end);
}

// [ticks] reads the target's quote ticks: a bar-only series cannot give them.
Status CheckTicksStored(const store::TickStore& store, const FeatureSetSpec& spec) {
  if (spec.ticks.empty()) return Status::Ok();
  const std::vector<std::string> syms = store.Symbols();
  if (std::find(syms.begin(), syms.end(), spec.symbol) != syms.end()) return Status::Ok();
  return FailedPrecondition("feature set '" + spec.name + "' has [ticks] features but the store " +
                            store.dir() + " holds no ticks of " + spec.symbol +
                            " (only bars, or nothing)");
}

// Feeds every symbol's source bars in order of ts_open and the target's ticks (if `ticks`) in
// order of ts_event through the engine, merged in time order (a bar before a tick at its open),
// then advances the clock to `end`, the instant the data read ends: every bar closed by then is
// complete; later buckets stay forming in the checkpoint. The ticks must end before `end`.
// Rows at or after `from` go to `ds`, whose feature columns must be sized to the engine's.
Status Drive(FeatureEngine& engine, const std::vector<std::vector<Bar>>& source,
             store::TickScanner* ticks, UnixNanos end, UnixNanos from, const BuildOptions& options,
             Dataset* ds) {
  int64_t total = 0;
  for (const auto& s : source) total += static_cast<int64_t>(s.size());
  // At most one row per source bar of the target, usually far fewer.
  const int64_t ratio =
      std::max<int64_t>(1, bars::NominalDuration(engine.spec().base_timeframe).count() /
                               kNanosPerMinute);
  const size_t expect = ds->rows() + source[0].size() / static_cast<size_t>(ratio) + 16;
  ReserveForWrite(ds->time, expect);
  for (auto& c : ds->features) ReserveForWrite(c, expect);  // mapped in at once: core/memory.h
  std::vector<size_t> pos(source.size(), 0);
  int64_t done = 0;
  std::span<const QuoteTick> batch;  // the scanner's current block
  size_t ti = 0;
  while (true) {
    size_t pick = source.size();
    for (size_t s = 0; s < source.size(); ++s) {
      if (pos[s] < source[s].size() &&
          (pick == source.size() || source[s][pos[s]].ts_open < source[pick][pos[pick]].ts_open)) {
        pick = s;
      }
    }
    // Ticks before the next bar's open (PushTick moves the clock to each).
    const UnixNanos next_bar =
        pick == source.size() ? UnixNanos::Max() : source[pick][pos[pick]].ts_open;
    while (ticks != nullptr) {
      if (ti == batch.size()) {
        ARUS_ASSIGN_OR_RETURN(batch, ticks->Next());
        ti = 0;
        if (batch.empty()) {
          ticks = nullptr;
          break;
        }
      }
      if (batch[ti].ts_event >= next_bar) break;
      ARUS_RETURN_IF_ERROR(engine.PushTick(0, batch[ti++]));
    }
    if (pick == source.size()) break;
    const Bar& b = source[pick][pos[pick]++];
    ARUS_RETURN_IF_ERROR(engine.AdvanceTo(b.ts_open));
    ARUS_RETURN_IF_ERROR(engine.Push(pick, b));
    if ((++done & 0x3FF) == 0) {
      TakeRows(engine, from, ds);
      if ((done & 0xFFFF) == 0 && options.progress) options.progress(done, total);
    }
  }
  ARUS_RETURN_IF_ERROR(engine.AdvanceTo(std::max(end, engine.now())));
  TakeRows(engine, from, ds);
  if (options.progress) options.progress(done, total);
  return Status::Ok();
}

Result<std::vector<std::vector<Bar>>> LoadAll(const store::TickStore& store,
                                              const FeatureEngine& engine, PriceSide side,
                                              UnixNanos from, UnixNanos to) {
  std::vector<std::vector<Bar>> out;
  for (const std::string& s : engine.symbols()) {
    ARUS_ASSIGN_OR_RETURN(std::vector<Bar> bars, LoadSourceBars(store, s, side, from, to));
    out.push_back(std::move(bars));
  }
  return out;
}

// Labels on the target's completed base bars, aligned to the dataset rows by decision time.
Status AddLabels(const FeatureSetSpec& spec, const std::vector<Bar>& target_source,
                 UnixNanos clock, Dataset* ds) {
  ds->label_names.clear();
  ds->labels.clear();
  ds->label_end.clear();
  if (spec.labels.empty()) return Status::Ok();
  ARUS_ASSIGN_OR_RETURN(std::vector<Bar> base, bars::ResampleBars(target_source, spec.base_timeframe,
                                                                  fx::FxCalendar::Default()));
  // Only complete bars: a bucket still open at the clock would be a partial bar.
  while (!base.empty() && base.back().ts_close > clock) base.pop_back();
  ARUS_ASSIGN_OR_RETURN(const fx::Instrument* instrument,
                        fx::InstrumentTable::Builtin().Find(spec.symbol));
  std::vector<LabelSpec> specs;
  for (const std::string& text : spec.labels) {
    ARUS_ASSIGN_OR_RETURN(LabelSpec l, ParseLabelSpec(text));
    specs.push_back(l);
  }
  ARUS_ASSIGN_OR_RETURN(std::vector<LabelColumn> cols, ComputeLabels(specs, base, *instrument));
  // Row i is the base bar closing at ds->time[i].
  std::vector<size_t> index(ds->rows());
  size_t j = 0;
  for (size_t i = 0; i < ds->rows(); ++i) {
    while (j < base.size() && base[j].ts_close < ds->time[i]) ++j;
    if (j == base.size() || base[j].ts_close != ds->time[i]) {
      return Internal("labels: no base bar closes at row time " + ds->time[i].ToIso());
    }
    index[i] = j;
  }
  for (LabelColumn& c : cols) {
    ds->label_names.push_back(c.name);
    std::vector<double> v(ds->rows());
    std::vector<UnixNanos> e(ds->rows());
    for (size_t i = 0; i < ds->rows(); ++i) {
      v[i] = c.value[index[i]];
      e[i] = c.end[index[i]];
    }
    ds->labels.push_back(std::move(v));
    ds->label_end.push_back(std::move(e));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Bar>> LoadSourceBars(const store::TickStore& store, const std::string& symbol,
                                        PriceSide side, UnixNanos from, UnixNanos to) {
  const std::vector<std::string> syms = store.Symbols();
  if (std::find(syms.begin(), syms.end(), symbol) != syms.end()) {
    ARUS_ASSIGN_OR_RETURN(auto scanner, store.Scan(symbol, from, to));
    bars::BarAggregator agg(bars::Timeframe::kM1, side, fx::FxCalendar::Default());
    while (true) {
      ARUS_ASSIGN_OR_RETURN(std::span<const QuoteTick> batch, scanner->Next());
      if (batch.empty()) break;
      ARUS_RETURN_IF_ERROR(agg.Update(batch));
    }
    agg.Flush();
    std::vector<Bar> bars = agg.TakeCompleted();
    // The last bar may be cut by `to`: its bucket ends after the data read.
    while (!bars.empty() && bars.back().ts_close > to) bars.pop_back();
    return bars;
  }
  const store::BarSeriesKey key{symbol, "M1", std::string(PriceSideName(side))};
  for (const store::BarSeriesKey& k : store.BarSeries(symbol)) {
    if (k == key) {
      ARUS_ASSIGN_OR_RETURN(store::BarData data, store.ReadAllBars(key, from, to));
      std::vector<Bar> bars = std::move(data.bars);
      while (!bars.empty() && bars.back().ts_close > to) bars.pop_back();
      return bars;
    }
  }
  return NotFound("the store holds neither ticks of " + symbol + " nor the bar series " +
                  key.ToString());
}

Result<Dataset> BuildDataset(const store::TickStore& store, const FeatureSetSpec& spec,
                             const BuildOptions& options) {
  std::unique_ptr<ExternalFeatureSource> external;
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<FeatureEngine> engine,
                        MakeEngine(store, spec, options, &external));
  ARUS_RETURN_IF_ERROR(CheckTicksStored(store, spec));
  UnixNanos source_from = UnixNanos::Min();
  if (options.from != UnixNanos::Min()) {
    const int64_t back = engine->Lookback().count();
    if (options.from.ns() > UnixNanos::Min().ns() + back + kNanosPerMinute) {
      const int64_t t = options.from.ns() - back;
      source_from = UnixNanos(t - (((t % kNanosPerMinute) + kNanosPerMinute) % kNanosPerMinute));
    }
  }
  ARUS_ASSIGN_OR_RETURN(auto source, LoadAll(store, *engine, spec.price, source_from, options.to));
  ARUS_ASSIGN_OR_RETURN(UnixNanos end, ResolveEnd(&source, options.to));
  Dataset ds;
  ds.symbol = spec.symbol;
  ds.base_timeframe = std::string(bars::TimeframeName(spec.base_timeframe));
  ds.feature_set_name = spec.name;
  ds.feature_set_hash = spec.HashHex();
  ds.feature_set_text = spec.ToCanonicalText();
  ds.feature_names = engine->feature_names();
  ds.features.resize(ds.feature_names.size());
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<store::TickScanner> ticks,
                        ScanTicks(store, *engine, source_from, end));
  ARUS_RETURN_IF_ERROR(Drive(*engine, source, ticks.get(), end, options.from, options, &ds));
  ARUS_RETURN_IF_ERROR(AddLabels(spec, source[0], engine->now(), &ds));
  ds.checkpoint = WrapCheckpoint(source_from, engine->SaveState());
  return ds;
}

Result<Dataset> ExtendDataset(const store::TickStore& store, const FeatureSetSpec& spec,
                              const Dataset& existing, const BuildOptions& options) {
  if (existing.feature_set_hash != spec.HashHex()) {
    return FailedPrecondition("the dataset was made by feature set " + existing.feature_set_hash +
                              ", not " + spec.HashHex() + " ('" + spec.name + "')");
  }
  UnixNanos source_from;
  std::span<const uint8_t> state;
  ARUS_RETURN_IF_ERROR(UnwrapCheckpoint(existing.checkpoint, &source_from, &state));
  std::unique_ptr<ExternalFeatureSource> external;
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<FeatureEngine> engine,
                        MakeEngine(store, spec, options, &external));
  ARUS_RETURN_IF_ERROR(engine->LoadState(state));
  ARUS_RETURN_IF_ERROR(CheckTicksStored(store, spec));
  if (options.to <= engine->now()) {
    return InvalidArgument("--to " + options.to.ToIso() + " is not after the dataset's end " +
                           engine->now().ToIso());
  }
  // Only bars and ticks from the checkpoint's clock on feed the engine: the ticks before it were
  // read by the build that made the checkpoint (up to its clock, exclusive).
  ARUS_ASSIGN_OR_RETURN(auto source, LoadAll(store, *engine, spec.price, engine->now(), options.to));
  ARUS_ASSIGN_OR_RETURN(UnixNanos end, ResolveEnd(&source, options.to));
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<store::TickScanner> ticks,
                        ScanTicks(store, *engine, engine->now(), end));
  Dataset ds = existing;
  ARUS_RETURN_IF_ERROR(Drive(*engine, source, ticks.get(), end, UnixNanos::Min(), options, &ds));
  // Labels read the future: recompute them from the same source start as the first build.
  ARUS_ASSIGN_OR_RETURN(std::vector<Bar> target,
                        LoadSourceBars(store, spec.symbol, spec.price, source_from, options.to));
  while (!target.empty() && target.back().ts_close > engine->now()) target.pop_back();
  ARUS_RETURN_IF_ERROR(AddLabels(spec, target, engine->now(), &ds));
  ds.checkpoint = WrapCheckpoint(source_from, engine->SaveState());
  return ds;
}

}  // namespace arus::features
