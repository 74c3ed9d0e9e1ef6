#include "ledger/credentials.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace ledger {
namespace {

// Common passwords that pass the length rule, from the top of public breach corpora
// (shorter ones are refused by length already). Lower case: compared case-insensitively.
constexpr std::array<std::string_view, 48> common_passwords = {
    "123456789012",   "1234567890123",    "12345678901234",   "123456789123",
    "1234567891011",  "123123123123",     "111111111111",     "000000000000",
    "123412341234",   "121212121212",     "987654321098",     "098765432109",
    "1q2w3e4r5t6y",   "1qaz2wsx3edc",     "q1w2e3r4t5y6",     "qwertyuiop12",
    "qwertyuiop123",  "qwertyuiopasdf",   "qwerty123456",     "qwertyqwerty",
    "asdfghjkl123",   "zxcvbnm12345",     "password1234",     "password123!",
    "password12345",  "passwordpassword", "mypassword123",    "password1!23",
    "p@ssw0rd1234",   "iloveyou1234",     "iloveyouforever",  "letmein12345",
    "welcome12345",   "welcome123456",    "changeme1234",     "administrator",
    "administrator1", "superman1234",     "football1234",     "baseball1234",
    "sunshine1234",   "princess1234",     "trustno1trustno1", "monkey123456",
    "dragon123456",   "abcdefghijkl",     "abcd1234abcd1234", "correcthorsebatterystaple",
};

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Unicode code points of valid UTF-8 (the JSON parser has checked it): every byte that is
// not a continuation byte starts one.
size_t code_points(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0U) != 0x80U;
  }));
}

bool one_repeated_character(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [&](char c) { return c == text.front(); });
}

int64_t saturating_add(int64_t a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
    return std::numeric_limits<int64_t>::max();
  }
  return a + b;
}

bool is_locked(const credentials& creds, int64_t now_ms) {
  return now_ms < creds.locked_until_ms;
}

// A failed login or wrong old password. The lock starts at the policy's count.
void count_failure(credentials& creds, const credential_policy& rules, int64_t now_ms) {
  ++creds.failed_logins;
  if (creds.failed_logins >= rules.failed_logins_max) {
    creds.failed_logins = 0;
    creds.locked_until_ms = saturating_add(now_ms, rules.lockout_ms);
  }
}

// Room for one more session: the live one that expires first makes way.
void add_session(credentials& creds, session created) {
  if (creds.sessions.size() >= sessions_per_account_max) {
    auto first = std::min_element(
        creds.sessions.begin(), creds.sessions.end(),
        [](const session& a, const session& b) { return a.expires_at_ms < b.expires_at_ms; });
    creds.sessions.erase(first);
  }
  creds.sessions.push_back(std::move(created));
}

bool valid_hash(const std::string& hash) {
  return !hash.empty() && hash.size() <= secret_hash_length_max;
}

bool valid_duration(int64_t duration_ms) {
  return duration_ms >= 1 && duration_ms <= credential_duration_max_ms;
}

}  // namespace

error_code validate(const credential_policy& rules) {
  const bool lengths = rules.password_length_min >= 8 &&
                       rules.password_length_max >= rules.password_length_min &&
                       rules.password_length_max <= 1024;
  const bool durations = valid_duration(rules.lockout_ms) &&
                         valid_duration(rules.temporary_lifetime_ms) &&
                         valid_duration(rules.session_lifetime_ms);
  if (!lengths || !durations || rules.failed_logins_max == 0) {
    return error_code::malformed_request;
  }
  return error_code::ok;
}

bool is_consistent(const credentials& creds) {
  if (creds.password_hash.size() > secret_hash_length_max ||
      creds.temporary_hash.size() > secret_hash_length_max ||
      creds.sessions.size() > sessions_per_account_max) {
    return false;
  }
  if (creds.temporary_expires_at_ms < 0 || creds.locked_until_ms < 0) return false;
  if (creds.temporary_hash.empty() && (creds.temporary_used || creds.temporary_expires_at_ms != 0))
    return false;
  return std::all_of(creds.sessions.begin(), creds.sessions.end(), [](const session& s) {
    return valid_hash(s.token_hash) && s.expires_at_ms >= 0;
  });
}

std::string billing_login(uint64_t account_id) {
  return std::to_string(account_id);
}

std::optional<uint64_t> login_account(std::string_view login) {
  // Canonical decimal only: no sign, no leading zero, at most 20 digits, within uint64.
  if (login.empty() || login.size() > 20 || login.front() == '0') return std::nullopt;
  uint64_t value = 0;
  for (char c : login) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

bool is_common_password(std::string_view password) {
  return std::any_of(
      common_passwords.begin(), common_passwords.end(),
      [&](std::string_view common) { return equal_ignoring_case(password, common); });
}

error_code check_new_password(const credential_policy& rules, uint64_t account_id,
                              std::string_view new_password, std::string_view confirm) {
  if (new_password != confirm) return error_code::password_mismatch;
  const size_t length = code_points(new_password);
  if (length < rules.password_length_min || length > rules.password_length_max ||
      one_repeated_character(new_password) ||
      equal_ignoring_case(new_password, billing_login(account_id)) ||
      is_common_password(new_password)) {
    return error_code::weak_password;
  }
  return error_code::ok;
}

error_code login_gate(const credentials& creds, int64_t now_ms) {
  return is_locked(creds, now_ms) ? error_code::too_many_attempts : error_code::ok;
}

error_code record_login(credentials& creds, const credential_policy& rules,
                        const login_attempt& attempt, int64_t now_ms) {
  if (is_locked(creds, now_ms)) return error_code::too_many_attempts;
  drop_expired_sessions(creds, now_ms);
  // A match counts only against the hash that is stored now (see the header).
  const bool password_ok = attempt.password_matches && !creds.password_hash.empty() &&
                           attempt.verified_password_hash == creds.password_hash;
  const bool temporary_ok = attempt.temporary_matches && !creds.temporary_hash.empty() &&
                            !creds.temporary_used &&
                            attempt.verified_temporary_hash == creds.temporary_hash;
  if (!valid_hash(attempt.new_token_hash)) return error_code::malformed_request;
  if (password_ok) {
    creds.failed_logins = 0;
    add_session(creds, session{attempt.new_token_hash,
                               saturating_add(now_ms, rules.session_lifetime_ms), false});
    return error_code::ok;
  }
  if (temporary_ok) {
    if (now_ms >= creds.temporary_expires_at_ms) return error_code::temporary_credentials_expired;
    creds.temporary_used = true;
    creds.failed_logins = 0;
    add_session(creds, session{attempt.new_token_hash,
                               saturating_add(now_ms, rules.session_lifetime_ms), true});
    return error_code::ok;
  }
  count_failure(creds, rules, now_ms);
  return error_code::wrong_password;
}

const session* find_session(const credentials& creds, std::string_view token_hash, int64_t now_ms) {
  if (token_hash.empty()) return nullptr;
  for (const auto& s : creds.sessions) {
    if (s.token_hash == token_hash && now_ms < s.expires_at_ms) return &s;
  }
  return nullptr;
}

error_code authorize(const credentials& creds, std::string_view token_hash, int64_t now_ms,
                     bool for_password_change) {
  const session* found = find_session(creds, token_hash, now_ms);
  if (found == nullptr) return error_code::unauthorized;
  if (found->password_change_only && !for_password_change) {
    return error_code::password_change_required;
  }
  return error_code::ok;
}

error_code logout(credentials& creds, std::string_view token_hash, int64_t now_ms) {
  if (find_session(creds, token_hash, now_ms) == nullptr) return error_code::unauthorized;
  drop_expired_sessions(creds, now_ms);
  creds.sessions.erase(std::remove_if(creds.sessions.begin(), creds.sessions.end(),
                                      [&](const session& s) { return s.token_hash == token_hash; }),
                       creds.sessions.end());
  return error_code::ok;
}

void drop_expired_sessions(credentials& creds, int64_t now_ms) {
  creds.sessions.erase(std::remove_if(creds.sessions.begin(), creds.sessions.end(),
                                      [&](const session& s) { return now_ms >= s.expires_at_ms; }),
                       creds.sessions.end());
}

error_code change_password(credentials& creds, const credential_policy& rules,
                           const password_change& change, int64_t now_ms) {
  const session* asking = find_session(creds, change.token_hash, now_ms);
  if (asking == nullptr) return error_code::unauthorized;
  if (is_locked(creds, now_ms)) return error_code::too_many_attempts;
  const bool temporary_session = asking->password_change_only;
  const std::string& expected = temporary_session ? creds.temporary_hash : creds.password_hash;
  if (!change.old_matches || expected.empty() || change.verified_hash != expected) {
    count_failure(creds, rules, now_ms);
    return error_code::wrong_password;
  }
  if (change.same_as_old) return error_code::same_password;
  if (!valid_hash(change.new_hash)) return error_code::malformed_request;
  session kept = *asking;
  kept.password_change_only = false;
  creds.password_hash = change.new_hash;
  creds.temporary_hash.clear();
  creds.temporary_expires_at_ms = 0;
  creds.temporary_used = false;
  creds.failed_logins = 0;
  creds.locked_until_ms = 0;
  creds.sessions.assign(1, std::move(kept));
  return error_code::ok;
}

error_code issue_temporary_credentials(credentials& creds, const credential_policy& rules,
                                       std::string temporary_hash, int64_t now_ms) {
  if (!valid_hash(temporary_hash)) return error_code::malformed_request;
  creds.temporary_hash = std::move(temporary_hash);
  creds.temporary_expires_at_ms = saturating_add(now_ms, rules.temporary_lifetime_ms);
  creds.temporary_used = false;
  creds.failed_logins = 0;
  creds.locked_until_ms = 0;
  drop_expired_sessions(creds, now_ms);
  return error_code::ok;
}

}  // namespace ledger
