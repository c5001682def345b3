#include "ingest/importer.h"

#include <charconv>

#include "ingest/dukascopy.h"
#include "ingest/text_importers.h"

namespace arus::ingest {

namespace {

struct FormatName {
  SourceFormat format;
  std::string_view name;
};

constexpr FormatName kFormats[] = {
    {SourceFormat::kDukascopy, "dukascopy"},   {SourceFormat::kTrueFx, "truefx"},
    {SourceFormat::kHistDataTick, "histdata-tick"}, {SourceFormat::kHistDataM1, "histdata-m1"},
    {SourceFormat::kMt5Ticks, "mt5-ticks"},    {SourceFormat::kMt5Bars, "mt5-bars"},
    {SourceFormat::kCsv, "csv"},
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view SourceFormatName(SourceFormat f) {
  for (const FormatName& n : kFormats) {
    if (n.format == f) return n.name;
  }
  return "unknown";
}

Result<SourceFormat> ParseSourceFormat(std::string_view name) {
  for (const FormatName& n : kFormats) {
    if (EqualsIgnoreCase(n.name, Trim(name))) return n.format;
  }
  std::string known;
  for (const FormatName& n : kFormats) {
    if (!known.empty()) known += ", ";
    known += n.name;
  }
  return InvalidArgument("unknown format '" + std::string(name) + "' (use " + known + ")");
}

bool IsBarFormat(SourceFormat f) {
  return f == SourceFormat::kHistDataM1 || f == SourceFormat::kMt5Bars;
}

std::string_view DefaultZoneSpec(SourceFormat f) {
  switch (f) {
    case SourceFormat::kHistDataTick:
    case SourceFormat::kHistDataM1:
      return "EST";
    case SourceFormat::kMt5Ticks:
    case SourceFormat::kMt5Bars:
      return "NY+7";
    case SourceFormat::kDukascopy:
    case SourceFormat::kTrueFx:
    case SourceFormat::kCsv:
      break;
  }
  return "UTC";
}

Status ParseCsvColumns(std::string_view spec, CsvLayout* layout) {
  static constexpr std::string_view kKeys[] = {"time", "date", "bid", "ask", "bid_volume",
                                               "ask_volume"};
  const auto bad = [&](std::string why) {
    return InvalidArgument("bad CSV columns '" + std::string(spec) + "': " + why +
                           " (expected e.g. time=0,bid=1,ask=2[,bid_volume=3,ask_volume=4,date=5]"
                           ", 0-based)");
  };
  CsvLayout out = *layout;
  bool seen[std::size(kKeys)] = {};
  size_t pos = 0;
  if (Trim(spec).empty()) return bad("empty");
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    const std::string_view item = Trim(spec.substr(pos, comma - pos));
    pos = comma + 1;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad("'" + std::string(item) + "' is not key=column");
    const std::string_view key = Trim(item.substr(0, eq));
    const std::string_view val = Trim(item.substr(eq + 1));
    int col = -1;
    auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), col);
    if (ec != std::errc() || p != val.data() + val.size() || val.empty() || col < 0 || col > 63) {
      return bad("column of '" + std::string(key) + "' must be an integer in [0, 63], got '" +
                 std::string(val) + "'");
    }
    size_t k = 0;
    while (k < std::size(kKeys) && kKeys[k] != key) ++k;
    if (k == std::size(kKeys)) {
      return bad("unknown key '" + std::string(key) +
                 "' (keys: time, date, bid, ask, bid_volume, ask_volume)");
    }
    if (seen[k]) return bad("key '" + std::string(key) + "' given twice");
    seen[k] = true;
    int* dst[] = {&out.time_col,       &out.date_col,        &out.bid_col,
                  &out.ask_col,        &out.bid_volume_col,  &out.ask_volume_col};
    *dst[k] = col;
  }
  // The same column for two keys is a mistake whichever keys were given explicitly.
  const std::pair<std::string_view, int> cols[] = {
      {"time", out.time_col},     {"date", out.date_col},
      {"bid", out.bid_col},       {"ask", out.ask_col},
      {"bid_volume", out.bid_volume_col}, {"ask_volume", out.ask_volume_col}};
  for (size_t i = 0; i < std::size(cols); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (cols[i].second >= 0 && cols[i].second == cols[j].second) {
        return bad("'" + std::string(cols[j].first) + "' and '" + std::string(cols[i].first) +
                   "' are both column " + std::to_string(cols[i].second));
      }
    }
  }
  *layout = out;
  return Status::Ok();
}

Result<ImportStats> ImportTicks(SourceFormat format, std::span<const std::string> inputs,
                                const ImportOptions& options, Quarantine* quarantine,
                                const TickSink& sink) {
  if (inputs.empty()) return InvalidArgument("no input files");
  if (IsBarFormat(format)) {
    return InvalidArgument("format '" + std::string(SourceFormatName(format)) +
                           "' holds bars, not ticks");
  }
  if (format == SourceFormat::kDukascopy) {
    return ImportDukascopy(inputs, options, quarantine, sink);
  }
  return ImportTextTicks(format, inputs, options, quarantine, sink);
}

Result<ImportStats> ImportBars(SourceFormat format, std::span<const std::string> inputs,
                               const ImportOptions& options, Quarantine* quarantine,
                               const BarSink& sink) {
  if (inputs.empty()) return InvalidArgument("no input files");
  if (!IsBarFormat(format)) {
    return InvalidArgument("format '" + std::string(SourceFormatName(format)) +
                           "' holds ticks, not bars");
  }
  return ImportTextBars(format, inputs, options, quarantine, sink);
}

}  // namespace arus::ingest
