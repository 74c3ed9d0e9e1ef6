#include "gateway/simulated_processor.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "gateway/test_support.hpp"
#include "ledger/limits.hpp"

namespace gateway {
namespace {

using ledger::error_code;
using ledger::money;
using testing::card;
using testing::today;

std::string token_for(processor& p, std::string_view number) {
  auto stored = p.tokenize(card(number), today);
  EXPECT_TRUE(stored.ok()) << number;
  return stored.ok() ? stored->token : std::string{};
}

charge_request request(std::string key, std::string token, money amount = money::dollars(25),
                       uint64_t account = 42) {
  return {std::move(key), std::move(token), amount, account};
}

TEST(simulated_tokenize, returns_token_brand_last4_and_expiry) {
  simulated_processor p{simulated_config{}};
  struct expected {
    std::string_view number, brand, last4;
  };
  for (const expected& e : {expected{"4242424242424242", "visa", "4242"},
                            expected{"5555555555554444", "mastercard", "4444"},
                            expected{"378282246310005", "amex", "0005"}}) {
    auto stored = p.tokenize(card(e.number), today);
    ASSERT_TRUE(stored.ok()) << e.number;
    EXPECT_EQ(stored->token.rfind("tok_", 0), 0u);
    EXPECT_EQ(stored->token.find(e.number), std::string::npos);
    EXPECT_EQ(stored->brand, e.brand);
    EXPECT_EQ(stored->last4, e.last4);
    EXPECT_EQ(stored->exp_month, 12);
    EXPECT_EQ(stored->exp_year, 2099);
    EXPECT_EQ(stored->card_id, 0u);
  }
}

TEST(simulated_tokenize, validates_the_card) {
  simulated_processor p{simulated_config{}};
  EXPECT_EQ(p.tokenize(card("4242424242424241"), today).code(), error_code::invalid_card);
  EXPECT_EQ(p.tokenize(card("42424242"), today).code(), error_code::invalid_card);
  auto bad_cvc = card("4242424242424242");
  bad_cvc.cvc = "12";
  EXPECT_EQ(p.tokenize(bad_cvc, today).code(), error_code::invalid_card);
  auto expired = card("4242424242424242");
  expired.exp_year = 2025;
  expired.exp_month = 5;
  EXPECT_EQ(p.tokenize(expired, today).code(), error_code::card_expired);
  expired.exp_month = 6;  // valid through the end of its month
  EXPECT_TRUE(p.tokenize(expired, today).ok());
}

TEST(simulated_tokenize, tokens_are_distinct) {
  simulated_processor p{simulated_config{}};
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i)
    tokens.insert(token_for(p, "4242424242424242"));
  EXPECT_EQ(tokens.size(), 100u);
}

struct card_case {
  std::string_view number;
  charge_status status;
  error_code failure;
  std::string_view reason;
};

TEST(simulated_charge, every_test_card_gives_its_outcome) {
  const card_case cases[] = {
      {"4242424242424242", charge_status::captured, error_code::ok, ""},
      {"5555555555554444", charge_status::captured, error_code::ok, ""},
      {"378282246310005", charge_status::captured, error_code::ok, ""},
      {"4000000000000002", charge_status::failed, error_code::card_declined, "generic_decline"},
      {"4000000000009995", charge_status::failed, error_code::card_declined, "insufficient_funds"},
      {"4000000000000069", charge_status::failed, error_code::card_expired, "expired_card"},
      {"4000000000000119", charge_status::failed, error_code::gateway_unavailable,
       "processing_error"},
      {"4000000000000341", charge_status::failed, error_code::card_declined, "generic_decline"},
      {"4000000000000911", charge_status::unknown, error_code::ok, "timeout"},
      {"4000000000000929", charge_status::unknown, error_code::ok, "timeout"},
      {"4000000000009987", charge_status::failed, error_code::card_declined, "lost_card"},
      {"4000000000009979", charge_status::failed, error_code::card_declined, "stolen_card"},
  };
  simulated_processor p{simulated_config{}};
  int n = 0;
  for (const card_case& c : cases) {
    const std::string key = "acct-42-charge-" + std::to_string(++n);
    const charge_response r = p.charge(request(key, token_for(p, c.number)));
    EXPECT_EQ(r.status, c.status) << c.number;
    EXPECT_EQ(r.failure, c.failure) << c.number;
    EXPECT_EQ(r.reason, c.reason) << c.number;
    EXPECT_EQ(r.processor_charge_id.empty(), c.status == charge_status::unknown) << c.number;
  }
  // Everything but the lost request is in the charge log.
  EXPECT_EQ(p.list_charges().size(), std::size(cases) - 1);
}

// Hard declines (the card must not be tried again) and soft ones (the retry tiers), by the
// processor's reason: one test card for each class.
TEST(simulated_charge, declines_are_hard_or_soft_by_their_reason) {
  simulated_processor p{simulated_config{}};
  const std::pair<const char*, decline_class> cases[] = {
      {"4000000000009987", decline_class::hard},  // lost_card
      {"4000000000009979", decline_class::hard},  // stolen_card
      {"4000000000000069", decline_class::hard},  // expired_card
      {"4000000000000002", decline_class::soft},  // generic_decline
      {"4000000000009995", decline_class::soft},  // insufficient_funds
      {"4000000000000119", decline_class::soft},  // processing_error
  };
  int n = 0;
  for (const auto& [number, expected] : cases) {
    const auto r = p.charge(request("acct-1-charge-" + std::to_string(++n), token_for(p, number)));
    EXPECT_EQ(classify_decline(r), expected) << number << " " << r.reason;
  }
  EXPECT_EQ(classify_decline(charge_response::failed(error_code::card_declined, "fraudulent")),
            decline_class::hard);
  EXPECT_EQ(classify_decline(charge_response::failed(error_code::card_declined, "try_again_later")),
            decline_class::soft);
  EXPECT_EQ(classify_decline(charge_response::unknown("timeout")), decline_class::soft);
}

TEST(simulated_charge, timeout_card_is_captured_and_lookup_says_so) {
  simulated_processor p{simulated_config{}};
  const auto token = token_for(p, "4000000000000911");
  EXPECT_EQ(p.charge(request("k1", token)).status, charge_status::unknown);
  const charge_response looked_up = p.lookup("k1");
  EXPECT_EQ(looked_up.status, charge_status::captured);
  EXPECT_FALSE(looked_up.processor_charge_id.empty());
  // A retry with the same key answers at once, from the record, without charging again.
  const charge_response retried = p.charge(request("k1", token));
  EXPECT_EQ(retried.status, charge_status::captured);
  EXPECT_EQ(retried.processor_charge_id, looked_up.processor_charge_id);
  EXPECT_EQ(p.list_charges().size(), 1u);
}

TEST(simulated_charge, lost_request_is_not_recorded_so_the_key_can_be_resubmitted) {
  simulated_processor p{simulated_config{}};
  EXPECT_EQ(p.charge(request("k1", token_for(p, "4000000000000929"))).status,
            charge_status::unknown);
  EXPECT_EQ(p.lookup("k1").status, charge_status::not_found);
  EXPECT_TRUE(p.list_charges().empty());
  // Not recorded, so the same key with another card is a fresh charge.
  EXPECT_EQ(p.charge(request("k1", token_for(p, "4242424242424242"))).status,
            charge_status::captured);
}

TEST(simulated_charge, retry_with_the_same_key_returns_the_original_and_charges_once) {
  simulated_processor p{simulated_config{}};
  const auto token = token_for(p, "4242424242424242");
  const charge_response first = p.charge(request("acct-42-charge-1", token));
  ASSERT_EQ(first.status, charge_status::captured);
  for (int i = 0; i < 3; ++i) {
    const charge_response again = p.charge(request("acct-42-charge-1", token));
    EXPECT_EQ(again.status, charge_status::captured);
    EXPECT_EQ(again.processor_charge_id, first.processor_charge_id);
  }
  ASSERT_EQ(p.list_charges().size(), 1u);
  const charge_record recorded = p.list_charges()[0];
  EXPECT_EQ(recorded.idempotency_key, "acct-42-charge-1");
  EXPECT_EQ(recorded.amount, money::dollars(25));
  EXPECT_EQ(recorded.account_id, 42u);
  EXPECT_EQ(recorded.card_token, token);
}

TEST(simulated_charge, a_recorded_decline_is_final_for_its_key) {
  simulated_processor p{simulated_config{}};
  const auto token = token_for(p, "4000000000009995");
  EXPECT_EQ(p.charge(request("k", token)).failure, error_code::card_declined);
  const charge_response again = p.charge(request("k", token));
  EXPECT_EQ(again.status, charge_status::failed);
  EXPECT_EQ(again.reason, "insufficient_funds");
  EXPECT_EQ(p.lookup("k").failure, error_code::card_declined);
  EXPECT_EQ(p.list_charges().size(), 1u);
}

TEST(simulated_charge, same_key_with_different_fields_is_refused) {
  simulated_processor p{simulated_config{}};
  const auto token = token_for(p, "4242424242424242");
  const auto other_token = token_for(p, "5555555555554444");
  const charge_response first = p.charge(request("k", token));
  for (const charge_request& changed :
       {request("k", token, money::dollars(26)), request("k", other_token),
        request("k", token, money::dollars(25), 43)}) {
    const charge_response r = p.charge(changed);
    EXPECT_EQ(r.status, charge_status::failed);
    EXPECT_EQ(r.failure, error_code::exists_with_different_fields);
  }
  ASSERT_EQ(p.list_charges().size(), 1u);
  EXPECT_EQ(p.lookup("k").processor_charge_id, first.processor_charge_id);
  EXPECT_EQ(p.list_charges()[0].amount, money::dollars(25));
}

TEST(simulated_charge, bad_requests_are_refused_and_not_recorded) {
  simulated_processor p{simulated_config{}};
  const auto token = token_for(p, "4242424242424242");
  const money too_much = money::from_micros(ledger::limits::amount_max_micros + 1);
  EXPECT_EQ(p.charge(request("k", token, money{})).failure, error_code::invalid_amount);
  EXPECT_EQ(p.charge(request("k", token, money::dollars(-5))).failure, error_code::invalid_amount);
  EXPECT_EQ(p.charge(request("k", token, too_much)).failure, error_code::invalid_amount);
  EXPECT_EQ(p.charge(request("", token)).failure, error_code::malformed_request);
  EXPECT_EQ(p.charge(request("has space", token)).failure, error_code::malformed_request);
  EXPECT_EQ(p.charge(request(std::string(256, 'k'), token)).failure, error_code::malformed_request);
  EXPECT_EQ(p.charge(request("k", "tok_nonsense")).failure, error_code::invalid_card);
  EXPECT_TRUE(p.list_charges().empty());
  EXPECT_EQ(p.lookup("k").status, charge_status::not_found);
  EXPECT_EQ(p.charge(request(std::string(255, 'k'), token)).status, charge_status::captured);
}

TEST(simulated_charge, in_memory_processor_trusts_token_tags_after_a_restart) {
  std::string token;
  {
    simulated_processor before{simulated_config{}};
    token = token_for(before, "4000000000009995");
  }
  simulated_processor after{simulated_config{}};
  EXPECT_EQ(after.charge(request("k", token)).reason, "insufficient_funds");

  simulated_config strict;
  strict.trust_token_tags = false;
  simulated_processor untrusting{strict};
  EXPECT_EQ(untrusting.charge(request("k", token)).failure, error_code::invalid_card);
  EXPECT_EQ(after.charge(request("k2", "tok_approve_short")).failure, error_code::invalid_card);
  EXPECT_EQ(after.charge(request("k3", "tok_bogus_0123456789abcdef")).failure,
            error_code::invalid_card);
}

std::vector<charge_response> run_random(uint64_t seed, failure_rates rates) {
  simulated_config config;
  config.seed = seed;
  config.rates = rates;
  simulated_processor p{config};
  const auto token = token_for(p, "4242424242424242");
  std::vector<charge_response> responses;
  for (int i = 0; i < 200; ++i)
    responses.push_back(p.charge(request("k" + std::to_string(i), token)));
  return responses;
}

TEST(simulated_random, same_seed_same_outcomes) {
  const failure_rates rates{100'000, 100'000, 100'000, 100'000};
  const auto a = run_random(7, rates);
  const auto b = run_random(7, rates);
  const auto c = run_random(8, rates);
  int differences_to_other_seed = 0;
  std::set<std::string> seen;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].status, b[i].status);
    EXPECT_EQ(a[i].failure, b[i].failure);
    EXPECT_EQ(a[i].reason, b[i].reason);
    if (a[i].status != c[i].status || a[i].reason != c[i].reason) ++differences_to_other_seed;
    seen.insert(std::string{to_string(a[i].status)} + "/" + a[i].reason);
  }
  EXPECT_GT(differences_to_other_seed, 0);
  // captured, generic decline, processing error, and unknown all occur at 10 % each.
  EXPECT_EQ(seen.size(), 4u);
}

TEST(simulated_random, certain_rates_always_fire) {
  for (const charge_response& r : run_random(1, {rate_ppm_max, 0, 0, 0})) {
    EXPECT_EQ(r.failure, error_code::card_declined);
  }
  for (const charge_response& r : run_random(1, {0, rate_ppm_max, 0, 0})) {
    EXPECT_EQ(r.failure, error_code::gateway_unavailable);
  }
  for (const charge_response& r : run_random(1, {0, 0, rate_ppm_max, 0})) {
    EXPECT_EQ(r.status, charge_status::unknown);
  }
  for (const charge_response& r : run_random(1, {}))
    EXPECT_EQ(r.status, charge_status::captured);
}

TEST(simulated_random, a_timed_out_random_charge_has_a_recorded_outcome) {
  simulated_config config;
  config.rates.timeout_ppm = rate_ppm_max;
  simulated_processor p{config};
  EXPECT_EQ(p.charge(request("k", token_for(p, "4000000000000002"))).status,
            charge_status::unknown);
  EXPECT_EQ(p.lookup("k").failure, error_code::card_declined);
}

TEST(simulated_concurrency, each_key_is_charged_once_under_contention) {
  simulated_processor p{simulated_config{}};
  const auto token = token_for(p, "4242424242424242");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const auto r = p.charge(request("k" + std::to_string(i), token));
        EXPECT_EQ(r.status, charge_status::captured);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(p.list_charges().size(), 200u);
}

// --- the durable log -----------------------------------------------------------------------

simulated_config durable(const std::string& dir) {
  simulated_config config;
  config.data_dir = dir;
  config.trust_token_tags = false;
  return config;
}

TEST(simulated_durable, charges_and_tokens_survive_reopening) {
  testing::temp_dir dir;
  std::string token;
  std::string charge_id;
  {
    auto opened = simulated_processor::open(durable(dir.path()));
    ASSERT_TRUE(opened) << opened.error().message;
    auto& p = *opened;
    token = token_for(*p, "4242424242424242");
    charge_id = p->charge(request("k1", token)).processor_charge_id;
    EXPECT_EQ(p->charge(request("k2", token_for(*p, "4000000000000002"))).status,
              charge_status::failed);
  }
  auto opened = simulated_processor::open(durable(dir.path()));
  ASSERT_TRUE(opened) << opened.error().message;
  auto& p = *opened;
  EXPECT_EQ(p->replayed_records(), 4u);
  ASSERT_EQ(p->list_charges().size(), 2u);
  EXPECT_EQ(p->lookup("k1").processor_charge_id, charge_id);
  EXPECT_EQ(p->lookup("k2").failure, error_code::card_declined);
  EXPECT_EQ(p->charge(request("k1", token)).processor_charge_id, charge_id);
  EXPECT_EQ(p->list_charges().size(), 2u);
  // The token is remembered (tag trust is off), and new charge ids do not collide.
  const charge_response third = p->charge(request("k3", token));
  EXPECT_EQ(third.status, charge_status::captured);
  EXPECT_NE(third.processor_charge_id, charge_id);
}

TEST(simulated_durable, the_log_never_holds_the_number_or_cvc) {
  testing::temp_dir dir;
  auto opened = simulated_processor::open(durable(dir.path()));
  ASSERT_TRUE(opened) << opened.error().message;
  auto& p = *opened;
  const auto token = token_for(*p, "4000000000009995");
  EXPECT_EQ(p->charge(request("k", token)).status, charge_status::failed);
  const std::string log = testing::read_file(dir.path() + "/charges.log");
  EXPECT_NE(log.find(token), std::string::npos);
  EXPECT_EQ(log.find("4000000000009995"), std::string::npos);
  EXPECT_EQ(log.find("\"cvc\""), std::string::npos);
  EXPECT_EQ(log.find("\"739\""), std::string::npos);
  EXPECT_EQ(log.find("Lovelace"), std::string::npos);
}

TEST(simulated_durable, a_torn_last_record_is_dropped_and_the_log_goes_on) {
  testing::temp_dir dir;
  const std::string log = dir.path() + "/charges.log";
  {
    auto opened = simulated_processor::open(durable(dir.path()));
    ASSERT_TRUE(opened) << opened.error().message;
    auto& p = *opened;
    EXPECT_EQ(p->charge(request("k1", token_for(*p, "4242424242424242"))).status,
              charge_status::captured);
  }
  testing::append_file(log, "1234abcd {\"type\":\"charge\",\"idem");
  {
    auto opened = simulated_processor::open(durable(dir.path()));
    ASSERT_TRUE(opened) << opened.error().message;
    auto& p = *opened;
    EXPECT_GT(p->torn_bytes_dropped(), 0u);
    EXPECT_EQ(p->list_charges().size(), 1u);
    EXPECT_EQ(p->charge(request("k2", p->list_charges()[0].card_token)).status,
              charge_status::captured);
  }
  auto opened = simulated_processor::open(durable(dir.path()));
  ASSERT_TRUE(opened) << opened.error().message;
  auto& p = *opened;
  EXPECT_EQ(p->torn_bytes_dropped(), 0u);
  EXPECT_EQ(p->list_charges().size(), 2u);
}

TEST(simulated_durable, corruption_in_the_middle_refuses_to_open) {
  testing::temp_dir dir;
  const std::string log = dir.path() + "/charges.log";
  {
    auto opened = simulated_processor::open(durable(dir.path()));
    ASSERT_TRUE(opened) << opened.error().message;
    auto& p = *opened;
    const auto token = token_for(*p, "4242424242424242");
    EXPECT_EQ(p->charge(request("k1", token)).status, charge_status::captured);
    EXPECT_EQ(p->charge(request("k2", token)).status, charge_status::captured);
  }
  std::string contents = testing::read_file(log);
  const size_t amount = contents.find("25.00");
  ASSERT_NE(amount, std::string::npos);
  contents[amount] = '9';  // $95.00: the checksum no longer matches
  testing::write_file(log, contents);
  auto refused = simulated_processor::open(durable(dir.path()));
  EXPECT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("corrupt record at line 2"), std::string::npos)
      << refused.error().message;
}

TEST(simulated_durable, one_process_per_data_dir) {
  testing::temp_dir dir;
  auto first = simulated_processor::open(durable(dir.path()));
  ASSERT_TRUE(first) << first.error().message;
  auto second = simulated_processor::open(durable(dir.path()));
  EXPECT_FALSE(second);
  EXPECT_NE(second.error().message.find("lock"), std::string::npos) << second.error().message;
}

}  // namespace
}  // namespace gateway
