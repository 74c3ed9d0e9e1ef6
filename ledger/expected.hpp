#pragma once
// status and expected<T>: how every part of the tree reports an outcome that can fail. One
// template for the pure core, storage, the actors, the front ends and the tools.
//
// An error is a value: an error_code from the one vocabulary (error.hpp) and, for operating
// conditions (I/O, configuration, a port in use), a human-readable message for the operator.
// The core's refusals carry no message: the code says it all. [[nodiscard]] on both, so
// that a status is never silently dropped; call .ignore() where dropping one is intended.

#include <optional>
#include <string>
#include <utility>

#include "ledger/assert.hpp"
#include "ledger/error.hpp"

namespace ledger {

struct [[nodiscard]] status {
  error_code code = error_code::ok;
  std::string message;

  static status success() { return status{}; }
  // An operating condition that is not the caller's fault (I/O, corruption).
  static status failure(std::string text) {
    return status{error_code::storage_failure, std::move(text)};
  }
  // A caller's bug.
  static status bug(std::string text) {
    return status{error_code::internal_error, std::move(text)};
  }
  // Anything else the caller can act on: a bad option (malformed_request), a limit.
  static status refused(error_code code, std::string text) { return status{code, std::move(text)}; }

  bool ok() const { return code == error_code::ok; }
  void ignore() const {}
};

// A value or a non-ok status, never both.
template <class T>
class [[nodiscard]] expected {
 public:
  expected(T value) : value_(std::move(value)) {}      // NOLINT: implicit by design
  expected(status error) : error_(std::move(error)) {  // NOLINT: implicit by design
    LEDGER_ASSERT(!error_.ok());
  }
  expected(error_code code) : error_{code, {}} {  // NOLINT: implicit by design
    LEDGER_ASSERT(code != error_code::ok);
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const status& error() const { return error_; }
  error_code code() const { return error_.code; }

  const T& value() const& {
    LEDGER_ASSERT(ok());
    return *value_;
  }
  T& value() & {
    LEDGER_ASSERT(ok());
    return *value_;
  }
  T&& value() && {
    LEDGER_ASSERT(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  void ignore() const {}

 private:
  std::optional<T> value_;
  status error_;
};

}  // namespace ledger
