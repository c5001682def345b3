// Status and Result<T>: how arus reports expected failures (I/O, parse, validation, broker rejects).
// Invariants are asserts; third-party exceptions are caught at module boundaries and turned into a
// Status. Messages name the file, line and field wherever there is one (see ParseError).
// Thread-safety: value types, no shared state.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace arus {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,  // bad user input: flags, config values, unknown symbols
  kNotFound,
  kAlreadyExists,
  kParseError,     // malformed file content
  kCorruption,     // checksum mismatch, truncated or inconsistent stored data
  kIoError,        // the OS said no
  kOutOfRange,     // arithmetic or time overflow, range outside the data
  kFailedPrecondition,  // e.g. overlapping append without --replace
  kUnimplemented,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "parse error: ticks.csv:12: field 'bid': not a number: 'abc'"
  std::string ToString() const;

  // Returns a copy whose message starts with `context: `.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status AlreadyExists(std::string message);
Status Corruption(std::string message);
Status IoError(std::string message);
Status OutOfRange(std::string message);
Status FailedPrecondition(std::string message);
Status Internal(std::string message);
// Builds "file:line: field 'name': what"; line 0 or an empty field are left out.
Status ParseError(std::string_view file, uint64_t line, std::string_view field, std::string_view what);
// Adds the current errno text: "open 'x': No such file or directory".
Status ErrnoError(std::string_view what, int err);

// Result<T> holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(implicit)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(implicit)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace arus

#define ARUS_CONCAT_INNER(a, b) a##b
#define ARUS_CONCAT(a, b) ARUS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define ARUS_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::arus::Status arus_status_ = (expr);           \
    if (!arus_status_.ok()) return arus_status_;    \
  } while (0)

// ARUS_ASSIGN_OR_RETURN(auto x, MakeX()); — unwraps a Result or returns its Status.
#define ARUS_ASSIGN_OR_RETURN(lhs, expr)                                    \
  auto ARUS_CONCAT(arus_result_, __LINE__) = (expr);                        \
  if (!ARUS_CONCAT(arus_result_, __LINE__).ok())                            \
    return ARUS_CONCAT(arus_result_, __LINE__).status();                    \
  lhs = std::move(ARUS_CONCAT(arus_result_, __LINE__)).value()
