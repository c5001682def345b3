// Shared TOML helpers for the modules that read TOML configs (instruments, quality policies,
// feature sets): parsing with errors in arus form, and type names for messages. Header-only so
// that core does not depend on toml++; a target including this must link tomlplusplus.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <toml++/toml.h>

#include "core/status.h"

namespace arus {

// Parses `text`; a syntax error is a ParseError naming `file` and the line.
inline Result<toml::table> ParseTomlText(std::string_view text, const std::string& file) {
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text, std::string_view(file));
  } catch (const toml::parse_error& e) {
    return ParseError(file, e.source().begin.line, "", e.description());
  } catch (const std::exception& e) {
    return ParseError(file, 0, "", e.what());
  }
#else
  toml::parse_result parsed = toml::parse(text, std::string_view(file));
  if (!parsed) {
    return ParseError(file, parsed.error().source().begin.line, "", parsed.error().description());
  }
  return std::move(parsed).table();
#endif
}

// "a string", "an integer", ... for "expected X, got Y" messages.
inline std::string TomlTypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date/time";
  }
}

// An integer or float node as a double; nullopt for any other type.
inline std::optional<double> TomlNumber(const toml::node& n) {
  if (n.is_integer()) return static_cast<double>(n.as_integer()->get());
  if (n.is_floating_point()) return n.as_floating_point()->get();
  return std::nullopt;
}

}  // namespace arus
