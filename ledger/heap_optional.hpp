#pragma once
// heap_optional<T>: std::optional's interface, with the value on the heap.
//
// An account actor stays resident for every active account, so ledger::account's size is
// paid once per resident account. Parts that most accounts do not have most of the time (the
// automatic charge in flight, the billing credentials, which are loaded on demand) cost one
// pointer here instead of their full size (docs/performance.md, memory per account).
// Copies are deep, so ledger::account keeps its value semantics.

#include <memory>
#include <optional>
#include <utility>

namespace ledger {

template <class T>
class heap_optional {
 public:
  heap_optional() = default;
  heap_optional(std::nullopt_t) {}
  heap_optional(const T& value) : value_(std::make_unique<T>(value)) {}
  heap_optional(T&& value) : value_(std::make_unique<T>(std::move(value))) {}
  heap_optional(const std::optional<T>& value) {
    if (value) value_ = std::make_unique<T>(*value);
  }
  heap_optional(const heap_optional& other)
      : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
  heap_optional(heap_optional&&) noexcept = default;
  heap_optional& operator=(const heap_optional& other) {
    if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
    return *this;
  }
  heap_optional& operator=(heap_optional&&) noexcept = default;
  heap_optional& operator=(std::nullopt_t) {
    value_.reset();
    return *this;
  }
  heap_optional& operator=(const T& value) {
    emplace(value);
    return *this;
  }
  heap_optional& operator=(T&& value) {
    emplace(std::move(value));
    return *this;
  }
  heap_optional& operator=(const std::optional<T>& value) {
    if (value)
      emplace(*value);
    else
      reset();
    return *this;
  }

  template <class... Args>
  T& emplace(Args&&... args) {
    value_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *value_;
  }
  void reset() { value_.reset(); }

  bool has_value() const { return value_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return value_.get(); }
  const T* operator->() const { return value_.get(); }

  // The value, or a default-constructed T when empty (for "absent means default" parts).
  const T& value_or_default() const {
    static const T empty{};
    return value_ ? *value_ : empty;
  }
  // The value, created default-constructed first when empty.
  T& get_or_create() {
    if (!value_) value_ = std::make_unique<T>();
    return *value_;
  }
  std::optional<T> to_optional() const { return value_ ? std::optional<T>(*value_) : std::nullopt; }

  friend bool operator==(const heap_optional& a, const heap_optional& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a.has_value() || *a == *b;
  }
  friend bool operator!=(const heap_optional& a, const heap_optional& b) { return !(a == b); }
  friend bool operator==(const heap_optional& a, std::nullopt_t) { return !a.has_value(); }
  friend bool operator!=(const heap_optional& a, std::nullopt_t) { return a.has_value(); }

 private:
  std::unique_ptr<T> value_;
};

}  // namespace ledger
