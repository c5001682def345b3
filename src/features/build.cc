#include "features/build.h"

#include <algorithm>
#include <cmath>

#include "bars/bar_aggregator.h"
#include "bars/resampler.h"
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

// Feeds every symbol's source bars in order of ts_open through the engine, then advances the
// clock to `end`, the instant the data read ends: every bar closed by then is complete; later
// buckets stay forming in the checkpoint.
// Rows at or after `from` go to `ds`, whose feature columns must be sized to the engine's.
Status Drive(FeatureEngine& engine, const std::vector<std::vector<Bar>>& source, UnixNanos end,
             UnixNanos from, const BuildOptions& options, Dataset* ds) {
  int64_t total = 0;
  for (const auto& s : source) total += static_cast<int64_t>(s.size());
  // At most one row per source bar of the target, usually far fewer.
  const int64_t ratio =
      std::max<int64_t>(1, bars::NominalDuration(engine.spec().base_timeframe).count() /
                               kNanosPerMinute);
  const size_t expect = ds->rows() + source[0].size() / static_cast<size_t>(ratio) + 16;
  ds->time.reserve(expect);
  for (auto& c : ds->features) c.reserve(expect);
  std::vector<size_t> pos(source.size(), 0);
  int64_t done = 0;
  while (true) {
    size_t pick = source.size();
    for (size_t s = 0; s < source.size(); ++s) {
      if (pos[s] < source[s].size() &&
          (pick == source.size() || source[s][pos[s]].ts_open < source[pick][pos[pick]].ts_open)) {
        pick = s;
      }
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
  ARUS_RETURN_IF_ERROR(Drive(*engine, source, end, options.from, options, &ds));
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
  if (options.to <= engine->now()) {
    return InvalidArgument("--to " + options.to.ToIso() + " is not after the dataset's end " +
                           engine->now().ToIso());
  }
  // Only bars from the checkpoint's clock on feed the engine.
  ARUS_ASSIGN_OR_RETURN(auto source, LoadAll(store, *engine, spec.price, engine->now(), options.to));
  ARUS_ASSIGN_OR_RETURN(UnixNanos end, ResolveEnd(&source, options.to));
  Dataset ds = existing;
  ARUS_RETURN_IF_ERROR(Drive(*engine, source, end, UnixNanos::Min(), options, &ds));
  // Labels read the future: recompute them from the same source start as the first build.
  ARUS_ASSIGN_OR_RETURN(std::vector<Bar> target,
                        LoadSourceBars(store, spec.symbol, spec.price, source_from, options.to));
  while (!target.empty() && target.back().ts_close > engine->now()) target.pop_back();
  ARUS_RETURN_IF_ERROR(AddLabels(spec, target, engine->now(), &ds));
  ds.checkpoint = WrapCheckpoint(source_from, engine->SaveState());
  return ds;
}

}  // namespace arus::features
