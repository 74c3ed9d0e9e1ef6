#include "ledger/credentials.hpp"

#include <gtest/gtest.h>

#include "ledger/policy.hpp"

namespace ledger {
namespace {

constexpr int64_t t0 = 1'700'000'000'000;  // some moment, ms since the epoch
constexpr int64_t minute = 60'000;

const credential_policy rules{};

// Hashes are opaque to the core: any distinct strings do.
login_attempt with_password(const credentials& creds, bool matches, const std::string& token) {
  login_attempt attempt;
  attempt.password_matches = matches;
  attempt.verified_password_hash = creds.password_hash;
  attempt.new_token_hash = token;
  return attempt;
}

login_attempt with_temporary(const credentials& creds, bool matches, const std::string& token) {
  login_attempt attempt;
  attempt.temporary_matches = matches;
  attempt.verified_temporary_hash = creds.temporary_hash;
  attempt.new_token_hash = token;
  return attempt;
}

password_change change_from(const credentials& creds, const std::string& token, bool matches,
                            const std::string& verified, const std::string& new_hash) {
  password_change change;
  change.token_hash = token;
  change.old_matches = matches;
  change.verified_hash = verified;
  change.new_hash = new_hash;
  (void)creds;
  return change;
}

credentials with_password_set() {
  credentials creds;
  creds.password_hash = "hash-1";
  return creds;
}

TEST(Credentials, DefaultPolicyIsValidAndBounded) {
  EXPECT_EQ(validate(rules), error_code::ok);
  EXPECT_EQ(validate(policy{}), error_code::ok);
  EXPECT_EQ(rules.temporary_lifetime_ms, 24 * 60 * minute);
  auto bad = rules;
  bad.password_length_min = 7;
  EXPECT_EQ(validate(bad), error_code::malformed_request);
  bad = rules;
  bad.password_length_max = 11;
  EXPECT_EQ(validate(bad), error_code::malformed_request);
  bad = rules;
  bad.failed_logins_max = 0;
  EXPECT_EQ(validate(bad), error_code::malformed_request);
  for (int64_t duration : {int64_t{0}, int64_t{-1}, credential_duration_max_ms + 1}) {
    bad = rules;
    bad.session_lifetime_ms = duration;
    EXPECT_EQ(validate(bad), error_code::malformed_request);
    bad = rules;
    bad.temporary_lifetime_ms = duration;
    EXPECT_EQ(validate(bad), error_code::malformed_request);
    bad = rules;
    bad.lockout_ms = duration;
    EXPECT_EQ(validate(bad), error_code::malformed_request);
  }
  policy product;
  product.credentials.session_lifetime_ms = 0;
  EXPECT_EQ(validate(product), error_code::malformed_request);
}

TEST(Credentials, LoginIsTheAccountIdInDecimal) {
  EXPECT_EQ(billing_login(42), "42");
  EXPECT_EQ(login_account("42"), 42u);
  EXPECT_EQ(login_account("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "0", "042", "-1", "+1", "4 2", "18446744073709551616", "abc",
                          "123456789012345678901"}) {
    EXPECT_FALSE(login_account(bad).has_value()) << bad;
  }
}

TEST(Credentials, NewPasswordPolicy) {
  EXPECT_EQ(check_new_password(rules, 42, "a sound passphrase", "a sound passphrase"),
            error_code::ok);
  EXPECT_EQ(check_new_password(rules, 42, "a sound passphrase", "a sound passphrasE"),
            error_code::password_mismatch);
  // Mismatch is decided first, even for a weak password.
  EXPECT_EQ(check_new_password(rules, 42, "short", "shorter"), error_code::password_mismatch);
  EXPECT_EQ(check_new_password(rules, 42, "elevenchars", "elevenchars"), error_code::weak_password);
  EXPECT_EQ(check_new_password(rules, 42, "twelve chars", "twelve chars"), error_code::ok);
  const std::string longest(128, 'x');
  EXPECT_EQ(check_new_password(rules, 42, longest, longest), error_code::weak_password);
  const std::string varied = std::string(64, 'x') + std::string(64, 'y');
  EXPECT_EQ(check_new_password(rules, 42, varied, varied), error_code::ok);
  EXPECT_EQ(check_new_password(rules, 42, varied + "z", varied + "z"), error_code::weak_password);
  for (const char* weak : {"password1234", "PassWord1234", "qwertyuiop123", "123456789012",
                           "aaaaaaaaaaaaaaaa", "CorrectHorseBatteryStaple"}) {
    EXPECT_EQ(check_new_password(rules, 42, weak, weak), error_code::weak_password) << weak;
  }
  EXPECT_EQ(check_new_password(rules, 123456789012, "123456789012", "123456789012"),
            error_code::weak_password);
  // Length counts code points: twelve two-byte letters pass, eleven do not.
  std::string twelve;
  for (int i = 0; i < 12; ++i)
    twelve += i % 2 == 0 ? "\xc3\xa9" : "\xc3\xa8";
  EXPECT_EQ(check_new_password(rules, 42, twelve, twelve), error_code::ok);
  const std::string eleven = twelve.substr(2);
  EXPECT_EQ(check_new_password(rules, 42, eleven, eleven), error_code::weak_password);
  EXPECT_TRUE(is_common_password("LETMEIN12345"));
  EXPECT_FALSE(is_common_password("letmein1234"));
}

TEST(Credentials, LoginWithThePasswordCreatesAFullSession) {
  auto creds = with_password_set();
  EXPECT_EQ(record_login(creds, rules, with_password(creds, true, "tok-a"), t0), error_code::ok);
  ASSERT_EQ(creds.sessions.size(), 1u);
  EXPECT_EQ(creds.sessions[0].expires_at_ms, t0 + rules.session_lifetime_ms);
  EXPECT_FALSE(creds.sessions[0].password_change_only);
  EXPECT_EQ(authorize(creds, "tok-a", t0, false), error_code::ok);
  EXPECT_EQ(authorize(creds, "tok-a", t0, true), error_code::ok);
  EXPECT_EQ(authorize(creds, "tok-b", t0, false), error_code::unauthorized);
  EXPECT_EQ(authorize(creds, "", t0, false), error_code::unauthorized);
}

TEST(Credentials, SessionsExpire) {
  auto creds = with_password_set();
  ASSERT_EQ(record_login(creds, rules, with_password(creds, true, "tok"), t0), error_code::ok);
  const int64_t end = t0 + rules.session_lifetime_ms;
  EXPECT_EQ(authorize(creds, "tok", end - 1, false), error_code::ok);
  EXPECT_EQ(authorize(creds, "tok", end, false), error_code::unauthorized);
  EXPECT_EQ(logout(creds, "tok", end), error_code::unauthorized);
  // The next write drops it.
  ASSERT_EQ(record_login(creds, rules, with_password(creds, true, "tok2"), end), error_code::ok);
  ASSERT_EQ(creds.sessions.size(), 1u);
  EXPECT_EQ(creds.sessions[0].token_hash, "tok2");
}

TEST(Credentials, LogoutRevokesOneSession) {
  auto creds = with_password_set();
  ASSERT_EQ(record_login(creds, rules, with_password(creds, true, "a"), t0), error_code::ok);
  ASSERT_EQ(record_login(creds, rules, with_password(creds, true, "b"), t0), error_code::ok);
  EXPECT_EQ(logout(creds, "a", t0 + 1), error_code::ok);
  EXPECT_EQ(authorize(creds, "a", t0 + 1, false), error_code::unauthorized);
  EXPECT_EQ(authorize(creds, "b", t0 + 1, false), error_code::ok);
  EXPECT_EQ(logout(creds, "a", t0 + 1), error_code::unauthorized);
}

TEST(Credentials, SessionsAreBoundedAndTheFirstToExpireMakesWay) {
  auto creds = with_password_set();
  for (size_t i = 0; i < sessions_per_account_max + 3; ++i) {
    ASSERT_EQ(record_login(creds, rules, with_password(creds, true, "tok-" + std::to_string(i)),
                           t0 + static_cast<int64_t>(i)),
              error_code::ok);
    EXPECT_LE(creds.sessions.size(), sessions_per_account_max);
    EXPECT_TRUE(is_consistent(creds));
  }
  EXPECT_EQ(authorize(creds, "tok-0", t0 + 20, false), error_code::unauthorized);
  EXPECT_EQ(authorize(creds, "tok-2", t0 + 20, false), error_code::unauthorized);
  EXPECT_EQ(authorize(creds, "tok-3", t0 + 20, false), error_code::ok);
  EXPECT_EQ(authorize(creds, "tok-10", t0 + 20, false), error_code::ok);
}

TEST(Credentials, FailedLoginsLockTheAccountForAWhile) {
  auto creds = with_password_set();
  for (uint32_t i = 1; i < rules.failed_logins_max; ++i) {
    EXPECT_EQ(record_login(creds, rules, with_password(creds, false, "x"), t0),
              error_code::wrong_password);
    EXPECT_EQ(creds.failed_logins, i);
    EXPECT_EQ(login_gate(creds, t0), error_code::ok);
  }
  EXPECT_EQ(record_login(creds, rules, with_password(creds, false, "x"), t0),
            error_code::wrong_password);
  EXPECT_EQ(creds.locked_until_ms, t0 + rules.lockout_ms);
  EXPECT_EQ(login_gate(creds, t0), error_code::too_many_attempts);
  // While locked, even the right password is refused and nothing is counted.
  const auto locked = creds;
  EXPECT_EQ(record_login(creds, rules, with_password(creds, true, "ok"), t0 + minute),
            error_code::too_many_attempts);
  EXPECT_EQ(creds, locked);
  const int64_t open = t0 + rules.lockout_ms;
  EXPECT_EQ(login_gate(creds, open), error_code::ok);
  EXPECT_EQ(record_login(creds, rules, with_password(creds, true, "ok"), open), error_code::ok);
  EXPECT_EQ(creds.failed_logins, 0u);
}

TEST(Credentials, ASuccessResetsTheFailureCount) {
  auto creds = with_password_set();
  for (uint32_t i = 1; i < rules.failed_logins_max; ++i) {
    ASSERT_EQ(record_login(creds, rules, with_password(creds, false, "x"), t0),
              error_code::wrong_password);
  }
  ASSERT_EQ(record_login(creds, rules, with_password(creds, true, "ok"), t0), error_code::ok);
  EXPECT_EQ(record_login(creds, rules, with_password(creds, false, "x"), t0),
            error_code::wrong_password);
  EXPECT_EQ(login_gate(creds, t0), error_code::ok);
}

TEST(Credentials, ANewAccountHasNoPasswordAndRefusesEveryLogin) {
  credentials creds;
  EXPECT_EQ(record_login(creds, rules, with_password(creds, true, "t"), t0),
            error_code::wrong_password);
  EXPECT_EQ(record_login(creds, rules, with_temporary(creds, true, "t"), t0),
            error_code::wrong_password);
  EXPECT_TRUE(creds.sessions.empty());
}

TEST(Credentials, AStaleVerificationDoesNotCount) {
  auto creds = with_password_set();
  auto attempt = with_password(creds, true, "tok");
  creds.password_hash = "hash-2";  // changed while the caller was hashing
  EXPECT_EQ(record_login(creds, rules, attempt, t0), error_code::wrong_password);
  EXPECT_TRUE(creds.sessions.empty());
}

TEST(Credentials, TemporaryCredentialsAreSingleUseAndOnlyChangeThePassword) {
  credentials creds;
  ASSERT_EQ(issue_temporary_credentials(creds, rules, "temp-1", t0), error_code::ok);
  EXPECT_EQ(creds.temporary_expires_at_ms, t0 + rules.temporary_lifetime_ms);
  EXPECT_EQ(record_login(creds, rules, with_temporary(creds, true, "tmp-session"), t0 + 1),
            error_code::ok);
  EXPECT_TRUE(creds.temporary_used);
  EXPECT_EQ(authorize(creds, "tmp-session", t0 + 1, false), error_code::password_change_required);
  EXPECT_EQ(authorize(creds, "tmp-session", t0 + 1, true), error_code::ok);
  // Used up: a second login with them fails like a wrong password.
  EXPECT_EQ(record_login(creds, rules, with_temporary(creds, true, "again"), t0 + 2),
            error_code::wrong_password);

  auto change = change_from(creds, "tmp-session", true, "temp-1", "hash-new");
  ASSERT_EQ(change_password(creds, rules, change, t0 + 3), error_code::ok);
  EXPECT_EQ(creds.password_hash, "hash-new");
  EXPECT_TRUE(creds.temporary_hash.empty());
  EXPECT_FALSE(creds.temporary_used);
  EXPECT_EQ(authorize(creds, "tmp-session", t0 + 3, false), error_code::ok);
  EXPECT_TRUE(is_consistent(creds));
}

TEST(Credentials, TemporaryCredentialsExpire) {
  credentials creds;
  ASSERT_EQ(issue_temporary_credentials(creds, rules, "temp-1", t0), error_code::ok);
  const int64_t end = t0 + rules.temporary_lifetime_ms;
  const auto before = creds;
  EXPECT_EQ(record_login(creds, rules, with_temporary(creds, true, "s"), end),
            error_code::temporary_credentials_expired);
  EXPECT_EQ(creds, before);
  EXPECT_EQ(record_login(creds, rules, with_temporary(creds, true, "s"), end - 1), error_code::ok);
}

TEST(Credentials, IssuingTemporaryCredentialsLiftsTheLockAndReplacesOldOnes) {
  auto creds = with_password_set();
  for (uint32_t i = 0; i < rules.failed_logins_max; ++i) {
    ASSERT_EQ(record_login(creds, rules, with_password(creds, false, "x"), t0),
              error_code::wrong_password);
  }
  ASSERT_EQ(login_gate(creds, t0), error_code::too_many_attempts);
  ASSERT_EQ(issue_temporary_credentials(creds, rules, "temp-1", t0), error_code::ok);
  ASSERT_EQ(issue_temporary_credentials(creds, rules, "temp-2", t0), error_code::ok);
  EXPECT_EQ(login_gate(creds, t0), error_code::ok);
  login_attempt old = with_temporary(creds, true, "s");
  old.verified_temporary_hash = "temp-1";
  EXPECT_EQ(record_login(creds, rules, old, t0), error_code::wrong_password);
  EXPECT_EQ(record_login(creds, rules, with_temporary(creds, true, "s"), t0), error_code::ok);
  EXPECT_EQ(issue_temporary_credentials(creds, rules, "", t0), error_code::malformed_request);
  EXPECT_EQ(issue_temporary_credentials(creds, rules, std::string(300, 'h'), t0),
            error_code::malformed_request);
}

TEST(Credentials, ThePasswordLoginStillWorksWhileTemporaryCredentialsWait) {
  auto creds = with_password_set();
  ASSERT_EQ(issue_temporary_credentials(creds, rules, "temp-1", t0), error_code::ok);
  ASSERT_EQ(record_login(creds, rules, with_password(creds, true, "full"), t0), error_code::ok);
  EXPECT_EQ(authorize(creds, "full", t0, false), error_code::ok);
}

TEST(Credentials, ChangePasswordErrors) {
  auto creds = with_password_set();
  ASSERT_EQ(record_login(creds, rules, with_password(creds, true, "s"), t0), error_code::ok);
  EXPECT_EQ(change_password(creds, rules, change_from(creds, "other", true, "hash-1", "n"), t0),
            error_code::unauthorized);
  EXPECT_EQ(change_password(creds, rules, change_from(creds, "s", false, "hash-1", "n"), t0),
            error_code::wrong_password);
  EXPECT_EQ(creds.failed_logins, 1u);
  // Checked against a hash that is no longer stored: wrong, fail closed.
  EXPECT_EQ(change_password(creds, rules, change_from(creds, "s", true, "hash-0", "n"), t0),
            error_code::wrong_password);
  auto same = change_from(creds, "s", true, "hash-1", "n");
  same.same_as_old = true;
  EXPECT_EQ(change_password(creds, rules, same, t0), error_code::same_password);
  EXPECT_EQ(change_password(creds, rules, change_from(creds, "s", true, "hash-1", ""), t0),
            error_code::malformed_request);
  EXPECT_EQ(creds.password_hash, "hash-1");
}

TEST(Credentials, WrongOldPasswordsLockToo) {
  auto creds = with_password_set();
  ASSERT_EQ(record_login(creds, rules, with_password(creds, true, "s"), t0), error_code::ok);
  for (uint32_t i = 0; i < rules.failed_logins_max; ++i) {
    EXPECT_EQ(change_password(creds, rules, change_from(creds, "s", false, "hash-1", "n"), t0),
              error_code::wrong_password);
  }
  EXPECT_EQ(change_password(creds, rules, change_from(creds, "s", true, "hash-1", "n"), t0),
            error_code::too_many_attempts);
}

TEST(Credentials, ChangingThePasswordEndsEveryOtherSession) {
  auto creds = with_password_set();
  for (const char* token : {"a", "b", "c"}) {
    ASSERT_EQ(record_login(creds, rules, with_password(creds, true, token), t0), error_code::ok);
  }
  ASSERT_EQ(change_password(creds, rules, change_from(creds, "b", true, "hash-1", "hash-2"), t0),
            error_code::ok);
  EXPECT_EQ(authorize(creds, "a", t0, false), error_code::unauthorized);
  EXPECT_EQ(authorize(creds, "b", t0, false), error_code::ok);
  EXPECT_EQ(authorize(creds, "c", t0, false), error_code::unauthorized);
  // The old password no longer logs in; the new one does.
  EXPECT_EQ(record_login(creds, rules, with_password(creds, true, "d"), t0), error_code::ok);
  login_attempt old = with_password(creds, true, "e");
  old.verified_password_hash = "hash-1";
  EXPECT_EQ(record_login(creds, rules, old, t0), error_code::wrong_password);
}

TEST(Credentials, ConsistencyChecks) {
  credentials creds;
  EXPECT_TRUE(is_consistent(creds));
  creds.temporary_used = true;
  EXPECT_FALSE(is_consistent(creds));
  creds = credentials{};
  creds.password_hash = std::string(secret_hash_length_max + 1, 'h');
  EXPECT_FALSE(is_consistent(creds));
  creds = credentials{};
  creds.sessions.push_back(session{"", 1, false});
  EXPECT_FALSE(is_consistent(creds));
  creds = credentials{};
  creds.locked_until_ms = -1;
  EXPECT_FALSE(is_consistent(creds));
}

}  // namespace
}  // namespace ledger
