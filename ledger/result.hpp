#pragma once
// result<T>: a value or an error_code, never both. [[nodiscard]] so that a status is never
// silently dropped; call .ignore() where dropping one is intended.

#include <optional>
#include <utility>

#include "ledger/assert.hpp"
#include "ledger/error.hpp"

namespace ledger {

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  result(error_code code) : code_(code) {        // NOLINT: implicit by design
    LEDGER_ASSERT(code != error_code::ok);
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  error_code code() const { return code_; }

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
  const T* operator->() const { return &value(); }

  void ignore() const {}

 private:
  std::optional<T> value_;
  error_code code_ = error_code::ok;
};

}  // namespace ledger
