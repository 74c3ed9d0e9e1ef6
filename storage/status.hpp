#pragma once
// status and expected<T>: how storage reports outcomes. Errors are values with the ledger's
// error_code (storage_failure for I/O and corruption, internal_error for a caller's bug)
// and a human-readable message that the caller logs; this library never logs itself.

#include <optional>
#include <string>
#include <utility>

#include "ledger/assert.hpp"
#include "ledger/error.hpp"

namespace ledger::storage {

struct [[nodiscard]] status {
  error_code code = error_code::ok;
  std::string message;

  static status success() { return status{}; }
  static status failure(std::string text) {
    return status{error_code::storage_failure, std::move(text)};
  }
  static status bug(std::string text) {
    return status{error_code::internal_error, std::move(text)};
  }

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

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const status& error() const { return error_; }

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

}  // namespace ledger::storage
