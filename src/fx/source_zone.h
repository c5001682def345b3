// The clock a data source stamps its rows with, and its conversion to UTC. Sources differ:
// TrueFX and Dukascopy are UTC; HistData.com is Eastern Standard Time without DST (UTC-5 all
// year); MetaTrader 5 brokers use "server time", usually UTC+2 in New York winter and UTC+3 in New
// York summer so that 17:00 New York is midnight on the server (New York time + 7 hours).
// Spec strings (case-insensitive for the fixed forms):
//   "UTC"                         UTC itself
//   "UTC+2", "UTC-5", "UTC+05:30" a fixed offset
//   "EST"                         UTC-5 all year (HistData.com)
//   "Europe/Athens"               an IANA zone, with its DST rules
//   "America/New_York+7", "NY+7"  an IANA zone's local time shifted by whole hours ("NY" is
//                                 America/New_York): the usual MT5 server time is "NY+7"
// Thread-safety: ToUtc keeps a one-entry cache, so each thread uses its own copy (copies are
// cheap: the offset table is shared and immutable).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "fx/calendar.h"

namespace arus::fx {

class SourceZone {
 public:
  SourceZone() = default;  // UTC
  // InvalidArgument naming the spec and the accepted forms.
  static Result<SourceZone> Parse(std::string_view spec);
  static SourceZone Utc() { return SourceZone(); }

  // The spec it was parsed from ("UTC" for the default).
  const std::string& spec() const { return spec_; }

  // UTC instant of a source-local timestamp (nanoseconds on the source's wall clock since the
  // local epoch). In a DST gap the time is read with the offset before the gap; in an overlap the
  // earlier instant is taken (both happen only in Sunday small hours, when FX is closed).
  UnixNanos ToUtc(UnixNanos local) const {
    if (zone_ == nullptr) return local - fixed_;
    if (local.ns() >= cache_lo_ && local.ns() < cache_hi_) return local - cache_offset_;
    return ToUtcSlow(local);
  }
  // The source-local wall-clock time of a UTC instant (inverse of ToUtc outside DST gaps).
  UnixNanos ToLocal(UnixNanos utc) const {
    if (zone_ == nullptr) return utc + fixed_;
    return zone_->ToLocal(utc) + shift_;
  }

 private:
  UnixNanos ToUtcSlow(UnixNanos local) const;

  std::string spec_ = "UTC";
  Duration fixed_{0};  // fixed offset from UTC when zone_ is null
  std::shared_ptr<const ZoneOffsets> zone_;
  Duration shift_{0};  // added to the zone's local time
  // Local times in [cache_lo_, cache_hi_) convert with cache_offset_ (offset incl. shift).
  mutable int64_t cache_lo_ = 0;
  mutable int64_t cache_hi_ = 0;
  mutable Duration cache_offset_{0};
};

}  // namespace arus::fx
