// `arus indicators`: indicators from the registry over a bar CSV, appended as columns.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bars/timeframe.h"
#include "cli.h"
#include "core/file.h"
#include "core/format.h"
#include "indicators/indicator_set.h"
#include "indicators/registry.h"

namespace arus::cli {

namespace {

struct IndicatorsArgs {
  std::string input, set, output, timeframe;
  bool list = false;
};

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

void SplitCells(std::string_view line, std::vector<std::string_view>* cells) {
  cells->clear();
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      cells->push_back(line.substr(start));
      return;
    }
    cells->push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

// Integers without exponent ("100000"), other values in shortest form.
void AppendNumber(std::string* out, double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    *out += std::to_string(static_cast<int64_t>(v));
  } else {
    AppendShortest(out, v);
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Column positions in the input; -1 when absent.
struct Columns {
  int time = -1, open = -1, high = -1, low = -1, close = -1;
  int volume = -1, tick_count = -1, spread_mean = -1, spread_max = -1;
};

Status ParseNumber(std::string_view cell, const std::string& file, uint64_t line,
                   std::string_view field, double* out) {
  const std::string_view t = TrimView(cell);
  if (t.empty()) return ParseError(file, line, field, "empty");
  const auto r = std::from_chars(t.data(), t.data() + t.size(), *out);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size() || !std::isfinite(*out)) {
    return ParseError(file, line, field, "not a number: '" + std::string(t) + "'");
  }
  return Status::Ok();
}

Result<Columns> ParseHeader(std::string_view header, const std::string& file,
                            std::vector<std::string_view>* cells) {
  SplitCells(header, cells);
  Columns c;
  struct Known {
    const char* name;
    int* slot;
  };
  const Known known[] = {{"time", &c.time},
                         {"open", &c.open},
                         {"high", &c.high},
                         {"low", &c.low},
                         {"close", &c.close},
                         {"volume", &c.volume},
                         {"tick_count", &c.tick_count},
                         {"spread_mean", &c.spread_mean},
                         {"spread_max", &c.spread_max}};
  std::vector<std::string> seen;
  for (size_t i = 0; i < cells->size(); ++i) {
    const std::string name = Lower(TrimView((*cells)[i]));
    if (name.empty()) {
      return ParseError(file, 1, "", "empty column name at position " + std::to_string(i + 1));
    }
    for (const std::string& s : seen) {
      if (s == name) return ParseError(file, 1, name, "column appears twice in the header");
    }
    seen.push_back(name);
    for (const Known& k : known) {
      if (name == k.name) *k.slot = static_cast<int>(i);
    }
  }
  for (const Known& k : {known[0], known[1], known[2], known[3], known[4]}) {  // required
    if (*k.slot < 0) {
      return ParseError(file, 1, "",
                        "missing column '" + std::string(k.name) +
                            "'; the header needs time,open,high,low,close (optionally volume or "
                            "tick_count), got '" +
                            std::string(TrimView(header)) + "'");
    }
  }
  return c;
}

// Lists the registry: syntax with defaults, output columns, description, parameter ranges.
void PrintList() {
  std::string out =
      "Indicators for --set (name or name(p1,p2,...); missing trailing parameters take the "
      "defaults shown).\n\n";
  for (const indicators::IndicatorDef& d : indicators::AllIndicators()) {
    indicators::IndicatorSpec spec{d.name, {}};
    std::string sig = d.name;
    if (!d.params.empty()) {
      sig += '(';
      for (size_t i = 0; i < d.params.size(); ++i) {
        if (i > 0) sig += ',';
        sig += d.params[i].name + "=";
        AppendNumber(&sig, d.params[i].default_value);
        spec.params.push_back(d.params[i].default_value);
      }
      sig += ')';
    }
    std::string outputs;
    auto names = indicators::OutputNames(spec);
    if (names.ok()) {
      for (const std::string& n : *names) outputs += (outputs.empty() ? "" : ",") + n;
    }
    out += sig + "\n    " + d.description + "\n    outputs: " + outputs + "\n";
    for (const indicators::ParamDef& p : d.params) {
      out += "    " + p.name + ": " + (p.integer ? "integer" : "number") + " in [";
      AppendNumber(&out, p.min_value);
      out += ", ";
      AppendNumber(&out, p.max_value);
      out += "]\n";
    }
  }
  std::fputs(out.c_str(), stdout);
}

Status RunIndicators(const IndicatorsArgs& a, const GlobalFlags& g) {
  if (a.list) {
    PrintList();
    return Status::Ok();
  }
  // The same set runner as the feature engine: one pass per bar, no virtual call per indicator.
  ARUS_ASSIGN_OR_RETURN(indicators::IndicatorSet inds, indicators::IndicatorSet::Parse(a.set));
  const std::vector<std::string>& out_names = inds.OutputNames();
  const size_t total_outputs = inds.output_count();
  Duration bar_duration{0};
  if (!a.timeframe.empty()) {
    ARUS_ASSIGN_OR_RETURN(bars::Timeframe tf, bars::ParseTimeframe(a.timeframe));
    bar_duration = bars::NominalDuration(tf);
  }

  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(a.input));
  std::string_view rest(text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // UTF-8 byte order mark
  auto next_line = [&rest]() {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  if (rest.empty()) return ParseError(a.input, 0, "", "empty file, expected a header line");
  const std::string_view header = next_line();
  std::vector<std::string_view> cells;
  ARUS_ASSIGN_OR_RETURN(Columns col, ParseHeader(header, a.input, &cells));
  const size_t ncols = cells.size();
  for (const std::string& n : out_names) {
    for (std::string_view c : cells) {
      if (Lower(TrimView(c)) == n) {
        return InvalidArgument("output column '" + n + "' is already in " + a.input);
      }
    }
  }

  // Parse every row first: the bar duration (when not given) is the smallest time step.
  struct Row {
    std::string_view text;
    indicators::BarInput bar;
  };
  std::vector<Row> rows;
  uint64_t line_no = 1;
  UnixNanos prev = UnixNanos::Min();
  Duration min_step = Duration::max();
  while (!rest.empty()) {
    const std::string_view line = next_line();
    ++line_no;
    if (TrimView(line).empty()) continue;
    SplitCells(line, &cells);
    if (cells.size() != ncols) {
      return ParseError(a.input, line_no, "",
                        "expected " + std::to_string(ncols) + " fields as in the header, got " +
                            std::to_string(cells.size()));
    }
    Row r{line, {}};
    Result<UnixNanos> t = ParseIsoUtc(TrimView(cells[col.time]));
    if (!t.ok()) return ParseError(a.input, line_no, "time", t.status().message());
    if (*t <= prev) {
      return ParseError(a.input, line_no, "time",
                        "not after the previous row's time " + prev.ToIso() +
                            " (rows must be in increasing time order)");
    }
    if (prev != UnixNanos::Min()) min_step = std::min(min_step, *t - prev);
    prev = *t;
    r.bar.ts_open = *t;
    indicators::BarInput& b = r.bar;
    ARUS_RETURN_IF_ERROR(ParseNumber(cells[col.open], a.input, line_no, "open", &b.open));
    ARUS_RETURN_IF_ERROR(ParseNumber(cells[col.high], a.input, line_no, "high", &b.high));
    ARUS_RETURN_IF_ERROR(ParseNumber(cells[col.low], a.input, line_no, "low", &b.low));
    ARUS_RETURN_IF_ERROR(ParseNumber(cells[col.close], a.input, line_no, "close", &b.close));
    if (!(b.low <= b.high && b.low <= std::min(b.open, b.close) &&
          b.high >= std::max(b.open, b.close))) {
      return ParseError(a.input, line_no, "", "inconsistent bar: need low <= open, close <= high");
    }
    const struct {
      int c;
      const char* name;
      double* v;
    } extra[] = {{col.volume, "volume", &b.volume},
                 {col.tick_count, "tick_count", &b.tick_count},
                 {col.spread_mean, "spread_mean", &b.spread_mean},
                 {col.spread_max, "spread_max", &b.spread_max}};
    for (const auto& e : extra) {
      if (e.c < 0) continue;
      ARUS_RETURN_IF_ERROR(ParseNumber(cells[e.c], a.input, line_no, e.name, e.v));
      if (*e.v < 0) return ParseError(a.input, line_no, e.name, "negative");
    }
    if (col.volume < 0) b.volume = b.tick_count;  // FX tick volume stands in for volume
    rows.push_back(r);
  }
  if (rows.empty()) return ParseError(a.input, 0, "", "no bars after the header");
  if (bar_duration == Duration(0)) {
    bar_duration = min_step == Duration::max() ? Duration(0) : min_step;
  }

  AtomicFile out;
  ARUS_RETURN_IF_ERROR(out.Open(a.output));
  std::string buf(TrimView(header));
  for (const std::string& n : out_names) {
    buf += ',';
    buf += n;
  }
  buf += '\n';
  std::vector<double> values(total_outputs);
  for (Row& r : rows) {
    r.bar.ts_close = r.bar.ts_open + bar_duration;
    inds.UpdateValues(r.bar, values.data());
    buf += r.text;
    for (double x : values) {
      buf += ',';
      if (!std::isnan(x)) AppendShortest(&buf, x);  // empty before warm-up
    }
    buf += '\n';
    if (buf.size() > (1 << 20)) {
      ARUS_RETURN_IF_ERROR(out.Write(buf));
      buf.clear();
    }
  }
  ARUS_RETURN_IF_ERROR(out.Write(buf));
  ARUS_RETURN_IF_ERROR(out.Commit());
  if (col.volume < 0 && col.tick_count < 0) {
    std::fprintf(stderr,
                 "warning: %s has no volume or tick_count column: volume-based indicators see "
                 "zero volume\n",
                 a.input.c_str());
  }
  if (!g.quiet) {
    std::fprintf(stderr, "wrote %zu rows with %zu indicator column(s) (%zu indicator(s)) to %s\n",
                 rows.size(), total_outputs, inds.size(), a.output.c_str());
  }
  return Status::Ok();
}

}  // namespace

Command AddIndicatorsCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<IndicatorsArgs>();
  CLI::App* app = root.add_subcommand("indicators", "Compute indicators over a bar CSV");
  app->footer(
      "Input: a CSV with a header holding at least time,open,high,low,close (any order, other "
      "columns allowed) and optionally volume or tick_count (and spread_mean, spread_max); time "
      "is ISO-8601 UTC or a date, strictly increasing.\nOutput: the input columns, then one "
      "column per indicator output (sma_20, macd_signal_12_26_9, ...); cells before warm-up are "
      "empty.\nRun `arus indicators --list` for every indicator, its parameters and outputs "
      "(docs/indicators.md).");
  CLI::Option* input =
      app->add_option("-i,--input", args->input, "Input bar CSV (e.g. from `arus bars`)");
  CLI::Option* set = app->add_option(
      "--set", args->set, "Indicators, e.g. \"sma(20),rsi(14),macd(12,26,9),bbands(20,2),atr\"");
  CLI::Option* output =
      app->add_option("-o,--output", args->output, "Output CSV file (written atomically)");
  app->add_option("--timeframe", args->timeframe,
                  "Bar timeframe (M1 .. W1) giving each bar's close time; default: the smallest "
                  "time step in the file");
  CLI::Option* list =
      app->add_flag("--list", args->list, "List the indicators, their parameters and outputs");
  list->excludes(input)->excludes(set)->excludes(output);
  app->parse_complete_callback([args, app] {
    if (args->list) return;
    for (const char* name : {"--input", "--set", "--output"}) {
      if (app->get_option(name)->count() == 0) {
        throw CLI::RequiredError(std::string(name) + " (or --list)");
      }
    }
  });
  return Command{app, [args, &g] { return RunIndicators(*args, g); }};
}

}  // namespace arus::cli
