#pragma once
// Admission for the routes that hash passwords (POST /v1/login, POST .../password; issue 21,
// docs/security.md "Logins under attack"). An Argon2id hash costs ~0.1 s of a core and 64 MiB:
// a flood of logins, even for accounts that do not exist, must not take every HTTP thread or
// every core. Two gates, both answered at once with too_many_attempts (429, Retry-After):
//
// - per source address, a token bucket: `burst` attempts at once, then one every
//   `refill_interval`. It counts every attempt the same, before anything is looked up, so it
//   tells nothing about which logins exist.
// - over all addresses, at most `hashing_max` hashes at the same time (the rest of the HTTP
//   threads keep serving other routes; a login never queues behind a hash).
//
// Thread-safe; no clock of its own (the caller passes now_ms). Memory is bounded: at most
// `addresses_max` buckets; when full, buckets that have refilled are forgotten first, and if
// none has, the least recently used one.

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace server {

struct login_admission_options {
  uint32_t burst = 10;                 // attempts a fresh address may make at once
  int64_t refill_interval_ms = 1'000;  // then one more per this
  size_t addresses_max = 16'384;       // buckets kept (16,384 x ~100 bytes)
  size_t hashing_max = 1;              // concurrent password hashes over all requests
};

class login_admission {
 public:
  // The caller may hash while it holds a ticket; the slot frees when the ticket goes.
  class ticket {
   public:
    ticket() = default;
    explicit ticket(login_admission* owner) : owner_(owner) {}
    ticket(ticket&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    ticket& operator=(ticket&& other) noexcept;
    ticket(const ticket&) = delete;
    ticket& operator=(const ticket&) = delete;
    ~ticket() { release(); }
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    void release();
    login_admission* owner_ = nullptr;
  };

  enum class refusal { none, address_throttled, hashing_busy };

  struct decision {
    refusal refused = refusal::none;
    int64_t retry_after_ms = 0;  // with a refusal: when trying again may pass
    ticket admitted;             // without one: hold it while hashing
  };

  explicit login_admission(login_admission_options options = {});

  // One attempt from `address` at `now_ms`: a ticket, or why not and when to come back.
  decision admit(const std::string& address, int64_t now_ms);

  size_t addresses_tracked() const;
  size_t hashing_now() const;
  // Attempts refused so far for `cause` (for /metrics).
  uint64_t refused(refusal cause) const;

 private:
  struct bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
    std::list<std::string>::iterator recency;  // position in recently_used_
  };

  bool take_token(const std::string& address, int64_t now_ms, int64_t& retry_after_ms);
  void refill(bucket& b, int64_t now_ms) const;
  void make_room(int64_t now_ms);
  void leave();

  const login_admission_options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
  std::list<std::string> recently_used_;  // front: most recent
  size_t hashing_ = 0;
  uint64_t refused_throttled_ = 0;
  uint64_t refused_busy_ = 0;
};

const char* to_string(login_admission::refusal refused);

}  // namespace server
