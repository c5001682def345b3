#include "indicators/indicator_set.h"

#include <algorithm>
#include <type_traits>

#include "indicators/kernels_price.h"
#include "indicators/kernels_volume.h"

namespace arus::indicators {

namespace {

// Every kernel type the registry wraps in KernelIndicator<...>: X(name, type).
#define ARUS_SET_KERNELS(X)               \
  X(Sma, OnClose<Sma>)                    \
  X(Ema, OnClose<Ema>)                    \
  X(Wma, OnClose<Wma>)                    \
  X(Rsi, OnClose<Rsi>)                    \
  X(Macd, OnClose<Macd>)                  \
  X(Bbands, OnClose<Bbands>)              \
  X(Roc, OnClose<Roc>)                    \
  X(StdDev, OnClose<StdDev>)              \
  X(ZScore, OnClose<ZScore>)              \
  X(Stoch, Stoch)                         \
  X(Atr, Atr)                             \
  X(Adx, Adx)                             \
  X(Cci, Cci)                             \
  X(WilliamsR, WilliamsR)                 \
  X(Donchian, Donchian)                   \
  X(Keltner, Keltner)                     \
  X(Mfi, Mfi)                             \
  X(Adl, Adl)                             \
  X(Obv, Obv)                             \
  X(AwesomeOscillator, AwesomeOscillator) \
  X(TickVolumeStats, TickVolumeStats)     \
  X(SpreadStats, SpreadStats)             \
  X(SessionFlags, SessionFlags)           \
  X(SlippageEstimate, SlippageEstimate)

// Followers: kernels that read a window updated by an earlier kernel (the leader).
#define ARUS_SET_FOLLOWERS(X) \
  X(BbandsShared)             \
  X(StdDevShared)             \
  X(ZScoreShared)             \
  X(StochShared)              \
  X(WilliamsRShared)          \
  X(DonchianShared)

enum Kind : uint32_t {
  kGeneric = 0,  // any other Indicator: through its virtual interface
#define ARUS_ENUM(name, ...) k##name,
  ARUS_SET_KERNELS(ARUS_ENUM) ARUS_SET_FOLLOWERS(ARUS_ENUM)
#undef ARUS_ENUM
      kEnd,  // the sentinel closing the entries
};

constexpr int kUpdate = 1, kValues = 2;

using Moments = detail::RollingMoments<true>;
using Highs = detail::RollingExtreme<true>;
using Lows = detail::RollingExtreme<false>;

// The kind and kernel behind `ind` (the KernelIndicator's own kernel, updated in place).
std::pair<uint32_t, void*> Classify(Indicator* ind) {
#define ARUS_FIND(name, type)                                              \
  if (auto* p = dynamic_cast<KernelIndicator<type>*>(ind); p != nullptr) { \
    return {k##name, &p->kernel()};                                        \
  }
  ARUS_SET_KERNELS(ARUS_FIND)
#undef ARUS_FIND
  return {kGeneric, ind};
}

// The moments window of a bbands/stddev/zscore kernel (base or follower kind), else null.
Moments* MomentsOf(uint32_t kind, void* k) {
  switch (kind) {
    case kBbands:
    case kBbandsShared:
      return &static_cast<OnClose<Bbands>*>(k)->kernel().moments();
    case kStdDev:
    case kStdDevShared:
      return &static_cast<OnClose<StdDev>*>(k)->kernel().moments();
    case kZScore:
    case kZScoreShared:
      return &static_cast<OnClose<ZScore>*>(k)->kernel().moments();
    default:
      return nullptr;
  }
}

// The high/low window of a stoch/willr/donchian kernel (base or follower kind), else nulls.
std::pair<Highs*, Lows*> ExtremesOf(uint32_t kind, void* k) {
  switch (kind) {
    case kStoch:
    case kStochShared:
      return {&static_cast<Stoch*>(k)->highs(), &static_cast<Stoch*>(k)->lows()};
    case kWilliamsR:
    case kWilliamsRShared:
      return {&static_cast<WilliamsR*>(k)->highs(), &static_cast<WilliamsR*>(k)->lows()};
    case kDonchian:
    case kDonchianShared:
      return {&static_cast<Donchian*>(k)->highs(), &static_cast<Donchian*>(k)->lows()};
    default:
      return {nullptr, nullptr};
  }
}

uint32_t BaseKind(uint32_t kind) {
  switch (kind) {
    case kBbandsShared:
      return kBbands;
    case kStdDevShared:
      return kStdDev;
    case kZScoreShared:
      return kZScore;
    case kStochShared:
      return kStoch;
    case kWilliamsRShared:
      return kWilliamsR;
    case kDonchianShared:
      return kDonchian;
    default:
      return kind;
  }
}

uint32_t SharedKind(uint32_t kind) {
  switch (kind) {
    case kBbands:
      return kBbandsShared;
    case kStdDev:
      return kStdDevShared;
    case kZScore:
      return kZScoreShared;
    case kStoch:
      return kStochShared;
    case kWilliamsR:
      return kWilliamsRShared;
    case kDonchian:
      return kDonchianShared;
    default:
      return kind;
  }
}

template <class... W>
std::vector<uint8_t> StateOf(const W&... windows) {
  StateWriter w;
  (windows.Save(w), ...);
  return w.bytes();
}

}  // namespace

// Threaded dispatch (GNU labels as values): each case ends by jumping straight to the next
// entry's case, so an indicator costs one indirect jump, predicted per case, and no loop test
// (the sentinel ends the run). GCC does not inline functions with computed gotos, so Run is
// instantiated once per operation with the kernels inlined into it.
template <int kOps>
void IndicatorSet::Run(const BarInput* bar, double* out) const {
  if (entries_.empty()) return;  // moved from
  const Entry* e = entries_.data();
  // GNU labels as values, which clang-format does not know.
  // clang-format off
#define ARUS_TARGET(name, ...) &&case_##name,
  static const void* const kTargets[] = {
      &&case_Generic, ARUS_SET_KERNELS(ARUS_TARGET) ARUS_SET_FOLLOWERS(ARUS_TARGET) &&case_End};
#undef ARUS_TARGET
#define ARUS_NEXT          \
  ++e;                     \
  goto *kTargets[e->kind];
  goto *kTargets[e->kind];

case_Generic: {
  auto& k = *static_cast<Indicator*>(e->kernel);
  if constexpr (kOps == (kUpdate | kValues)) {
    k.UpdateValues(*bar, out + e->offset);  // one virtual call
  } else if constexpr ((kOps & kUpdate) != 0) {
    k.Update(*bar);
  } else {
    k.Values(out + e->offset);
  }
  ARUS_NEXT
}
#define ARUS_CASE(name, type)                                       \
  case_##name: {                                                    \
    auto& k = *static_cast<type*>(e->kernel);                       \
    if constexpr ((kOps & kUpdate) != 0) k.Update(*bar);            \
    if constexpr ((kOps & kValues) != 0) k.Values(out + e->offset); \
    ARUS_NEXT                                                       \
  }
  ARUS_SET_KERNELS(ARUS_CASE)
#undef ARUS_CASE

case_BbandsShared:
  if constexpr ((kOps & kValues) != 0) {
    static_cast<const OnClose<Bbands>*>(e->kernel)->kernel().ValuesWith(
        *static_cast<const Moments*>(e->shared), out + e->offset);
  }
  ARUS_NEXT
case_StdDevShared:
  if constexpr ((kOps & kValues) != 0) {
    out[e->offset] = StdDev::ValueWith(*static_cast<const Moments*>(e->shared));
  }
  ARUS_NEXT
case_ZScoreShared:
  if constexpr ((kOps & kValues) != 0) {
    out[e->offset] = ZScore::ValueWith(*static_cast<const Moments*>(e->shared));
  }
  ARUS_NEXT
case_StochShared: {
  auto& k = *static_cast<Stoch*>(e->kernel);
  if constexpr ((kOps & kUpdate) != 0) {
    k.UpdateWith(*static_cast<const Highs*>(e->shared), *static_cast<const Lows*>(e->shared2),
                 bar->close);
  }
  if constexpr ((kOps & kValues) != 0) k.Values(out + e->offset);
  ARUS_NEXT
}
case_WilliamsRShared: {
  auto& k = *static_cast<WilliamsR*>(e->kernel);
  if constexpr ((kOps & kUpdate) != 0) k.UpdateClose(bar->close);
  if constexpr ((kOps & kValues) != 0) {
    out[e->offset] =
        k.ValueWith(*static_cast<const Highs*>(e->shared), *static_cast<const Lows*>(e->shared2));
  }
  ARUS_NEXT
}
case_DonchianShared:
  if constexpr ((kOps & kValues) != 0) {
    Donchian::ValuesWith(*static_cast<const Highs*>(e->shared),
                         *static_cast<const Lows*>(e->shared2), out + e->offset);
  }
  ARUS_NEXT
case_End:
  return;
#undef ARUS_NEXT
  // clang-format on
}

IndicatorSet::IndicatorSet() : entries_{Entry{kEnd, 0, nullptr}} {}

Result<IndicatorSet> IndicatorSet::Make(std::span<const IndicatorSpec> specs) {
  IndicatorSet set;
  for (const IndicatorSpec& s : specs) ARUS_RETURN_IF_ERROR(set.Add(s));
  return set;
}

Result<IndicatorSet> IndicatorSet::Parse(std::string_view list) {
  ARUS_ASSIGN_OR_RETURN(std::vector<IndicatorSpec> specs, ParseIndicatorList(list));
  return Make(specs);
}

Status IndicatorSet::Add(const IndicatorSpec& spec) {
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<Indicator> ind, MakeIndicator(spec));
  Add(std::move(ind));
  return Status::Ok();
}

void IndicatorSet::Add(std::unique_ptr<Indicator> ind) {
  Sync();
  Ungroup();
  if (entries_.empty()) entries_.push_back(Entry{kEnd, 0, nullptr});  // moved from
  const auto [kind, kernel] = Classify(ind.get());
  entries_.insert(entries_.end() - 1, Entry{kind, static_cast<uint32_t>(names_.size()), kernel});
  for (const std::string& n : ind->OutputNames()) names_.push_back(n);
  inds_.push_back(std::move(ind));
  Group();
}

const Indicator& IndicatorSet::indicator(size_t i) const {
  Sync();
  return *inds_[i];
}

int IndicatorSet::WarmupPeriod() const {
  int p = 0;
  for (const auto& ind : inds_) p = std::max(p, ind->WarmupPeriod());
  return p;
}

int IndicatorSet::StablePeriod() const {
  int p = 0;
  for (const auto& ind : inds_) p = std::max(p, ind->StablePeriod());
  return p;
}

size_t IndicatorSet::shared_count() const {
  size_t n = 0;
  for (size_t i = 0; i < inds_.size(); ++i) n += entries_[i].shared != nullptr;
  return n;
}

void IndicatorSet::Update(const BarInput& bar) { Run<kUpdate>(&bar, nullptr); }

void IndicatorSet::Values(double* out) const { Run<kValues>(nullptr, out); }

void IndicatorSet::UpdateValues(const BarInput& bar, double* out) {
  Run<kUpdate | kValues>(&bar, out);
}

void IndicatorSet::Sync() const {
  for (size_t i = 0; i < inds_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.shared == nullptr) continue;
    if (Moments* m = MomentsOf(e.kind, e.kernel); m != nullptr) {
      *m = *static_cast<const Moments*>(e.shared);
    } else if (auto [hi, lo] = ExtremesOf(e.kind, e.kernel); hi != nullptr) {
      *hi = *static_cast<const Highs*>(e.shared);
      *lo = *static_cast<const Lows*>(e.shared2);
    }
  }
}

void IndicatorSet::Ungroup() {
  for (size_t i = 0; i < inds_.size(); ++i) {
    Entry& e = entries_[i];
    e.kind = BaseKind(e.kind);
    e.shared = e.shared2 = nullptr;
  }
}

void IndicatorSet::Group() {
  // Leaders so far: a window's state and where it lives.
  struct Leader {
    std::vector<uint8_t> state;
    const void* a;
    const void* b;
  };
  std::vector<Leader> moments, extremes;
  for (size_t i = 0; i < inds_.size(); ++i) {
    Entry& e = entries_[i];
    std::vector<Leader>* leaders = nullptr;
    Leader mine{};
    if (const Moments* m = MomentsOf(e.kind, e.kernel); m != nullptr) {
      leaders = &moments;
      mine = {StateOf(*m), m, nullptr};
    } else if (auto [hi, lo] = ExtremesOf(e.kind, e.kernel); hi != nullptr) {
      leaders = &extremes;
      mine = {StateOf(*hi, *lo), hi, lo};
    } else {
      continue;
    }
    auto same = std::find_if(leaders->begin(), leaders->end(),
                             [&](const Leader& l) { return l.state == mine.state; });
    if (same == leaders->end()) {
      leaders->push_back(std::move(mine));
      continue;
    }
    e.kind = SharedKind(e.kind);
    e.shared = same->a;
    e.shared2 = same->b;
  }
}

void IndicatorSet::Save(StateWriter& w) const {
  Sync();
  for (const auto& ind : inds_) ind->Save(w);
}

Status IndicatorSet::Load(StateReader& r) {
  Ungroup();
  Status s = Status::Ok();
  for (auto& ind : inds_) {
    s = ind->Load(r);
    if (!s.ok()) break;
  }
  Group();  // by equal states: right whatever was loaded
  return s;
}

void IndicatorSet::Reset() {
  Ungroup();
  for (auto& ind : inds_) ind->Reset();
  Group();
}

IndicatorSet IndicatorSet::Clone() const {
  Sync();
  IndicatorSet set;
  for (const auto& ind : inds_) set.Add(ind->Clone());
  return set;
}

}  // namespace arus::indicators
