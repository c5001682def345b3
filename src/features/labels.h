// Supervised-learning labels over a series of base bars (mid prices): forward log return,
// direction with a dead zone, and triple-barrier outcomes. Definitions: docs/labels.md.
//
// Labels read the future and nothing else: the label of row i (decision at bars[i].ts_close) uses
// the decision bar's close (and its spread, and for triple barriers an ATR computed from bars
// 0..i only) plus bars after it. Each row also records `end`, the ts_close of the last bar whose
// data the label used; training sets are purged with it (a row whose label information reaches
// into a test fold must not be trained on). Bars after `end` never change a row's label.
// Rows whose horizon runs past the data have value NaN and end kNoLabelEnd.
// Parameters may also be given positionally in the order shown: direction(12,2,pips).
//
// Label specs are written like indicator specs, with named parameters:
//   forward_return(h=12)                    (alias fwd_return)
//   direction(h=12, dz=2, unit=pips)        unit: pips | spread (multiples of the bar's spread)
//   triple_barrier(tp=2, sl=1, atr=14, hold=24, vertical=zero)   vertical: zero | sign
// Thread-safety: free functions on immutable inputs; reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/instrument.h"

namespace arus::features {

// `end` of rows without a label (horizon past the data, ATR not warmed up). The maximum instant:
// conservative for purging (it overlaps every test fold).
inline constexpr UnixNanos kNoLabelEnd = UnixNanos::Max();

enum class LabelKind : uint8_t { kForwardReturn, kDirection, kTripleBarrier };
enum class DeadZoneUnit : uint8_t { kPips, kSpread };
// What a triple barrier says when neither price barrier is touched within max_hold bars.
enum class VerticalRule : uint8_t { kZero, kSign };

struct LabelSpec {
  LabelKind kind = LabelKind::kForwardReturn;
  int horizon = 1;  // bars ahead (forward_return, direction)
  double dead_zone = 0;
  DeadZoneUnit dead_zone_unit = DeadZoneUnit::kPips;
  double tp_atr = 2;  // take profit at close + tp_atr * ATR
  double sl_atr = 1;  // stop at close - sl_atr * ATR
  int atr_period = 14;
  int max_hold = 24;  // vertical barrier, bars after the decision bar
  VerticalRule vertical = VerticalRule::kZero;

  // "forward_return_12", "direction_12_2_pips", "triple_barrier_2_1_14_24" (+"_sign" for
  // vertical=sign). Numbers in shortest form.
  std::string ColumnName() const;
  // The spec with every parameter: "direction(h=12,dz=2,unit=pips)".
  std::string Canonical() const;
  // Bars after the decision bar the label may read (horizon or max_hold).
  int Lookahead() const;
  bool operator==(const LabelSpec&) const = default;
};

// Parses one spec; missing parameters take the defaults above. Errors name the spec and list the
// known kinds or the accepted parameters.
Result<LabelSpec> ParseLabelSpec(std::string_view text);
// Comma-separated list of specs (commas inside parentheses belong to the spec).
Result<std::vector<LabelSpec>> ParseLabelList(std::string_view text);

struct LabelColumn {
  std::string name;            // LabelSpec::ColumnName()
  std::vector<double> value;   // per bar; NaN when missing. Classes as -1.0 / 0.0 / +1.0.
  std::vector<UnixNanos> end;  // per bar: ts_close of the last bar used, or kNoLabelEnd
};

// Bars must be in strictly increasing ts_close order with positive prices; direction with
// unit=spread needs spread_mean > 0 on every decision bar. InvalidArgument otherwise.
Result<LabelColumn> ComputeLabels(const LabelSpec& spec, std::span<const Bar> bars,
                                  const fx::Instrument& instrument);
// Several specs (e.g. several horizons) at once, in the order given.
Result<std::vector<LabelColumn>> ComputeLabels(std::span<const LabelSpec> specs,
                                               std::span<const Bar> bars,
                                               const fx::Instrument& instrument);

}  // namespace arus::features
