#include "server/http/login_admission.hpp"

#include <algorithm>
#include <cmath>

namespace server {

login_admission::ticket& login_admission::ticket::operator=(ticket&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    other.owner_ = nullptr;
  }
  return *this;
}

void login_admission::ticket::release() {
  if (owner_ == nullptr) return;
  owner_->leave();
  owner_ = nullptr;
}

login_admission::login_admission(login_admission_options options) : options_(options) {}

void login_admission::refill(bucket& b, int64_t now_ms) const {
  if (now_ms <= b.updated_ms) return;  // the clock stepped back: no tokens from it
  const double gained = static_cast<double>(now_ms - b.updated_ms) /
                        static_cast<double>(std::max<int64_t>(options_.refill_interval_ms, 1));
  b.tokens = std::min(static_cast<double>(options_.burst), b.tokens + gained);
  b.updated_ms = now_ms;
}

// Forgets buckets that are full again (they hold nothing a fresh one would not), then, if
// still at the limit, the least recently used one.
void login_admission::make_room(int64_t now_ms) {
  if (buckets_.size() < options_.addresses_max) return;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now_ms);
    if (it->second.tokens >= static_cast<double>(options_.burst)) {
      recently_used_.erase(it->second.recency);
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  if (buckets_.size() < options_.addresses_max) return;
  buckets_.erase(recently_used_.back());
  recently_used_.pop_back();
}

bool login_admission::take_token(const std::string& address, int64_t now_ms,
                                 int64_t& retry_after_ms) {
  auto found = buckets_.find(address);
  if (found == buckets_.end()) {
    make_room(now_ms);
    recently_used_.push_front(address);
    found = buckets_
                .emplace(address, bucket{static_cast<double>(options_.burst), now_ms,
                                         recently_used_.begin()})
                .first;
  } else {
    recently_used_.splice(recently_used_.begin(), recently_used_, found->second.recency);
  }
  bucket& b = found->second;
  refill(b, now_ms);
  if (b.tokens < 1.0) {
    retry_after_ms = static_cast<int64_t>(
        std::ceil((1.0 - b.tokens) * static_cast<double>(options_.refill_interval_ms)));
    return false;
  }
  b.tokens -= 1.0;
  return true;
}

login_admission::decision login_admission::admit(const std::string& address, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  decision result;
  if (!take_token(address, now_ms, result.retry_after_ms)) {
    result.refused = refusal::address_throttled;
    ++refused_throttled_;
    return result;
  }
  if (hashing_ >= options_.hashing_max) {
    // A hash takes about 0.1 s: a second is a fair time to come back.
    result.refused = refusal::hashing_busy;
    result.retry_after_ms = 1'000;
    ++refused_busy_;
    return result;
  }
  ++hashing_;
  result.admitted = ticket{this};
  return result;
}

void login_admission::leave() {
  std::lock_guard lock(mutex_);
  --hashing_;
}

size_t login_admission::addresses_tracked() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

uint64_t login_admission::refused(refusal cause) const {
  std::lock_guard lock(mutex_);
  if (cause == refusal::address_throttled) return refused_throttled_;
  if (cause == refusal::hashing_busy) return refused_busy_;
  return 0;
}

size_t login_admission::hashing_now() const {
  std::lock_guard lock(mutex_);
  return hashing_;
}

const char* to_string(login_admission::refusal refused) {
  switch (refused) {
    case login_admission::refusal::none:
      return "none";
    case login_admission::refusal::address_throttled:
      return "address_throttled";
    case login_admission::refusal::hashing_busy:
      return "hashing_busy";
  }
  return "none";
}

}  // namespace server
