// Round trips of every record type through the codec, key order, and hostile input:
// every truncation, every single-byte corruption and random garbage must decode to an error
// or to a valid record, never crash.
#include "storage/codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include "storage/change_set.hpp"
#include "storage/layout.hpp"
#include "storage/test_support.hpp"

namespace ledger::storage {
namespace {

using ledger::testing::account_harness;
using ledger::testing::usd;

// Cards are stored apart from the state: split and reassemble the way the database does.
expected<account> round_trip(const account& acct) {
  auto state = decode_account_state(encode_account_state(acct));
  if (!state) return state.error();
  std::vector<stored_card> cards;
  for (const auto& card : acct.cards) {
    auto decoded = decode_card(encode_card(card));
    if (!decoded) return decoded.error();
    cards.push_back(*decoded);
  }
  // The cards column returns them by id.
  std::sort(cards.begin(), cards.end(),
            [](const stored_card& a, const stored_card& b) { return a.card_id < b.card_id; });
  return assemble_account(std::move(state).value(), std::move(cards));
}

notice sample_notice() {
  notice told;
  told.account_seq = 3;
  told.type = notice_type::charge_failed;
  told.at_ms = 1'790'000'000'123;
  told.balance = money::from_micros(-1'500'000);
  told.available = money::from_micros(-2'000'000);
  told.amount = money::dollars(25);
  told.reference = 9;
  told.tier = 2;
  told.charge = notice_charge::automatic;
  told.failure = error_code::card_declined;
  told.reason = "insufficient_funds";
  return told;
}

notice sample_hold_expired() {
  notice told;
  told.account_seq = 8;
  told.type = notice_type::hold_expired;
  told.at_ms = 1'790'000'000'456;
  told.balance = money::dollars(20);
  told.available = money::dollars(19);
  told.holds = {{17, money::from_micros(1'250'000)},
                {3, money::from_micros(limits::amount_max_micros)}};
  told.amount = money::from_micros(1'250'000 + limits::amount_max_micros);
  return told;
}

webhook_endpoint sample_webhook() {
  webhook_endpoint endpoint;
  endpoint.id = 4;
  endpoint.url = "http://127.0.0.1:9000/hooks/ledger";
  endpoint.secret = "whsec_0123456789abcdef";
  endpoint.event_mask = all_notice_types;
  endpoint.created_at_ms = 1'790'000'000'000;
  endpoint.delivered_through = 77;
  return endpoint;
}

void expect_round_trip(const account& acct) {
  ASSERT_TRUE(validate_account(acct).ok()) << validate_account(acct).message;
  auto back = round_trip(acct);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, acct);
  EXPECT_TRUE(is_consistent(*back));
  if (acct.auto_charge) {
    auto intent = decode_intent(encode_intent(*acct.auto_charge));
    ASSERT_TRUE(intent.ok()) << intent.error().message;
    EXPECT_EQ(*intent, *acct.auto_charge);
  }
  for (const auto& charge : acct.manual_charges) {
    auto intent = decode_intent(encode_intent(charge));
    ASSERT_TRUE(intent.ok()) << intent.error().message;
    EXPECT_EQ(*intent, charge);
  }
}

void expect_round_trip(const journal_entry& entry) {
  auto back = decode_journal_entry(entry.account_id, entry.seq, encode_journal_entry(entry));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, entry);
}

TEST(codec, fresh_and_rich_accounts_round_trip) {
  expect_round_trip(make_account(1));
  expect_round_trip(make_account(UINT64_MAX));
  const account rich = testing::rich_account(77);
  ASSERT_TRUE(rich.auto_charge.has_value());
  ASSERT_EQ(rich.manual_charges.size(), 1U);
  ASSERT_EQ(rich.cards.size(), 2U);
  ASSERT_TRUE(maximum_recharge_override(rich).has_value());
  ASSERT_TRUE(rich.extras->velocity_override.has_value());
  ASSERT_EQ(rich.extras->recent.size(), 1U);
  expect_round_trip(rich);
}

hold_record open_hold(uint64_t hold_id) {
  hold_record hold;
  hold.request = hold_request{hold_id, money::dollars(3), money::dollars(1), 60'000};
  hold.granted = money::dollars(3);
  hold.held = money::dollars(3);
  hold.expires_at_ms = 1'790'000'060'000;
  return hold;
}

// The velocity part follows the open holds' count, which is 0 when there are none; a record
// written before either part existed has neither (make_account's round trip above).
TEST(codec, the_velocity_part_round_trips_with_and_without_holds) {
  account acct = testing::rich_account(78);
  acct.extras->deferred = true;
  ASSERT_FALSE(acct.holds.has_value());
  expect_round_trip(acct);
  const std::string bytes = encode_account_state(acct);
  acct.holds.emplace(std::vector<hold_record>{open_hold(5)});
  expect_round_trip(acct);
  // Only the support maximum: no trailing part at all.
  account plain = make_account(79);
  (void)set_maximum_recharge(plain, policy{}, money::dollars(2000));
  expect_round_trip(plain);
  EXPECT_LT(encode_account_state(plain).size(), bytes.size());
}

TEST(codec, notices_and_webhooks_round_trip_and_are_validated) {
  auto back = decode_notice(12, encode_notice(42, sample_notice()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->position, 12U);
  EXPECT_EQ(back->account_id, 42U);
  EXPECT_EQ(back->told, sample_notice());
  auto endpoint = decode_webhook(4, encode_webhook(sample_webhook()));
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  EXPECT_EQ(*endpoint, sample_webhook());

  notice bad = sample_notice();
  bad.account_seq = 0;
  EXPECT_FALSE(validate_notice(bad).ok());
  bad = sample_notice();
  bad.type = static_cast<notice_type>(notice_type_count + 1);
  EXPECT_FALSE(validate_notice(bad).ok());
  bad = sample_notice();
  bad.reason = std::string(limits::decline_reason_length_max + 1, 'x');
  EXPECT_FALSE(validate_notice(bad).ok());
  for (const char* url :
       {"https://example.com/x", "http://", "http://a b", "ftp://x", "http://x\n"}) {
    webhook_endpoint wrong = sample_webhook();
    wrong.url = url;
    EXPECT_FALSE(validate_webhook(wrong).ok()) << url;
  }
  webhook_endpoint wrong = sample_webhook();
  wrong.secret = "short";
  EXPECT_FALSE(validate_webhook(wrong).ok());
  wrong = sample_webhook();
  wrong.event_mask = 1;  // bit 0 is no type
  EXPECT_FALSE(validate_webhook(wrong).ok());
  wrong.event_mask = 0;
  EXPECT_FALSE(validate_webhook(wrong).ok());
}

// A hold_expired notice lists its holds (format version 3); one written before names its
// one hold in `reference` and reads as a list of one.
TEST(codec, hold_expired_notices_list_their_holds) {
  auto back = decode_notice(5, encode_notice(42, sample_hold_expired()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->told, sample_hold_expired());

  notice older = sample_hold_expired();
  older.holds.clear();
  older.reference = 17;
  older.amount = money::from_micros(1'250'000);
  const std::string older_bytes = encode_notice(42, older);
  EXPECT_EQ(static_cast<uint8_t>(older_bytes[1]) & trailing_parts_flag, 0);
  auto legacy = decode_notice(5, older_bytes);
  ASSERT_TRUE(legacy.ok()) << legacy.error().message;
  EXPECT_EQ(legacy->told.holds, (std::vector<released_hold>{{17, money::from_micros(1'250'000)}}));
  EXPECT_EQ(legacy->told.reference, 0u);
  EXPECT_EQ(legacy->told.amount, money::from_micros(1'250'000));

  notice bad = sample_hold_expired();
  bad.amount = money::dollars(1);
  EXPECT_FALSE(validate_notice(bad).ok()) << "the total must be the holds' sum";
  bad = sample_hold_expired();
  bad.holds.clear();
  bad.amount = money{};
  EXPECT_FALSE(validate_notice(bad).ok()) << "an expiry released something";
  bad = sample_hold_expired();
  bad.holds[1].hold_id = 17;
  bad.holds[1].amount = bad.holds[0].amount;
  bad.amount = money::from_micros(2'500'000);
  EXPECT_FALSE(validate_notice(bad).ok()) << "a hold listed twice";
  bad = sample_hold_expired();
  bad.holds[0].hold_id = 0;
  EXPECT_FALSE(validate_notice(bad).ok());
  bad = sample_hold_expired();
  bad.holds[0].amount = money{};
  bad.amount = bad.holds[1].amount;
  EXPECT_FALSE(validate_notice(bad).ok()) << "a hold held something";
  bad = sample_hold_expired();
  bad.holds.assign(limits::holds_per_account_max + 1, released_hold{1, money::from_micros(1)});
  for (size_t i = 0; i < bad.holds.size(); ++i)
    bad.holds[i].hold_id = i + 1;
  bad.amount = money::from_micros(static_cast<int64_t>(bad.holds.size()));
  EXPECT_FALSE(validate_notice(bad).ok()) << "more holds than an account may have";
  bad.holds.pop_back();
  bad.amount = money::from_micros(static_cast<int64_t>(bad.holds.size()));
  EXPECT_TRUE(validate_notice(bad).ok()) << "as many as an account may have";
  bad = sample_notice();
  bad.holds = {{1, money::dollars(1)}};
  EXPECT_FALSE(validate_notice(bad).ok()) << "only hold_expired lists holds";
  bad = sample_hold_expired();
  bad.reference = 17;
  EXPECT_FALSE(validate_notice(bad).ok()) << "a listing notice names its holds in the list";
}

// Bytes no build writes: a listing notice's trailing part is checked as strictly as the
// rest of the record.
TEST(codec, malformed_hold_lists_are_corrupt) {
  const auto varint = [](uint64_t value) {
    std::string out;
    for (; value >= 0x80; value >>= 7)
      out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    out.push_back(static_cast<char>(value));
    return out;
  };
  const auto flagged = [](std::string bytes) {
    bytes[1] = static_cast<char>(static_cast<uint8_t>(bytes[1]) | trailing_parts_flag);
    return bytes;
  };
  notice unlisted = sample_hold_expired();  // its fields up to the list, unflagged
  unlisted.holds.clear();
  unlisted.amount = money::dollars(2);
  unlisted.reference = 9;
  ASSERT_TRUE(decode_notice(1, encode_notice(42, unlisted)).ok()) << "written before: hold 9";
  unlisted.reference = 0;
  const std::string head = encode_notice(42, unlisted);
  EXPECT_FALSE(decode_notice(1, head)) << "an older notice of hold 0";
  const std::string one_hold = varint(9) + varint(4'000'000);  // hold 9 holding $2 (zigzag)
  EXPECT_TRUE(decode_notice(1, flagged(head) + varint(1) + one_hold).ok());
  EXPECT_FALSE(decode_notice(1, flagged(head) + varint(0))) << "a list of none";
  EXPECT_FALSE(decode_notice(1, flagged(head) + varint(limits::holds_per_account_max + 1)));
  EXPECT_FALSE(decode_notice(1, flagged(head) + varint(2) + one_hold)) << "one hold short";
  EXPECT_FALSE(decode_notice(1, head + varint(1) + one_hold)) << "a list without the flag";
  EXPECT_FALSE(decode_notice(1, flagged(encode_notice(42, sample_notice())) + varint(1) + one_hold))
      << "a list on a charge_failed notice";
}

// The account's notice state and threshold travel with its state.
TEST(codec, the_notice_state_round_trips) {
  account acct = make_account(84);
  acct.balance = money::dollars(10);
  acct.notices_armed = arm_balance_low | arm_balance_depleted;
  acct.last_notice_seq = 41;
  expect_round_trip(acct);
  acct.extras.get_or_create().notification_threshold = money::dollars(12);
  expect_round_trip(acct);
  std::string bytes = encode_account_state(acct);
  bytes[bytes.size() - 2] = static_cast<char>(0x04);  // an unknown armed bit
  EXPECT_FALSE(decode_account_state(bytes).ok());
}

// Records written before the trailing-parts flag existed may carry the parts unflagged: they
// are read as written.
TEST(codec, unflagged_trailing_parts_of_older_records_are_read) {
  // The account state of the previous format: open holds, no velocity part, no card order,
  // no flag. Today's encoding ends with an empty extras part (no cap, not held back, 0
  // charges, no threshold), an empty card order (0 ids) and no notice state (0, 0): seven
  // bytes.
  account acct = make_account(81);
  acct.balance = money::dollars(10);
  acct.holds.emplace(std::vector<hold_record>{open_hold(6)});
  std::string bytes = encode_account_state(acct);
  ASSERT_NE(static_cast<uint8_t>(bytes[1]) & trailing_parts_flag, 0);
  ASSERT_EQ(bytes.substr(bytes.size() - 7), std::string(7, '\0'));
  bytes[1] = static_cast<char>(record_tag::account_state);
  bytes.resize(bytes.size() - 7);
  auto state = decode_account_state(bytes);
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state->acct.holds.value_or_default().size(), 1U);
  stored_card card = testing::rich_account(82).cards[0];
  card.unusable = true;
  std::string card_bytes = encode_card(card);
  card_bytes[1] = static_cast<char>(record_tag::card);
  auto back = decode_card(card_bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->unusable);
}

TEST(codec, the_trailing_parts_flag_is_refused_on_records_without_parts) {
  std::string bytes = encode_debit({42, money::dollars(3), 8});
  bytes[1] = static_cast<char>(static_cast<uint8_t>(bytes[1]) | trailing_parts_flag);
  EXPECT_FALSE(decode_debit(42, bytes).ok());
}

// The customer's order of the cards travels in the account state; the cards column returns
// them by id, and assemble_account puts them back in order.
TEST(codec, the_card_order_round_trips_and_must_name_the_cards_read) {
  account acct = testing::rich_account(83);
  ASSERT_EQ(acct.cards.size(), 2U);
  std::swap(acct.cards[0], acct.cards[1]);
  expect_round_trip(acct);
  auto state = decode_account_state(encode_account_state(acct));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->card_order,
            (std::vector<uint32_t>{acct.cards[0].card_id, acct.cards[1].card_id}));
  std::vector<stored_card> by_id = {acct.cards[1], acct.cards[0]};
  auto back = assemble_account(*state, by_id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->cards[0].card_id, acct.cards[0].card_id);
  stored_card stranger = acct.cards[0];
  stranger.card_id = 4;
  EXPECT_FALSE(assemble_account(*state, {acct.cards[1], stranger}).ok());
  EXPECT_FALSE(assemble_account(*state, {acct.cards[1], acct.cards[1]}).ok());
}

TEST(codec, a_zero_hold_count_with_nothing_after_it_is_corrupt) {
  std::string bytes = encode_account_state(make_account(80));
  bytes.push_back('\0');
  EXPECT_FALSE(decode_account_state(bytes).ok());
}

TEST(codec, extreme_values_round_trip) {
  account acct = testing::rich_account(UINT64_MAX - 1);
  acct.balance = money::from_micros(-limits::balance_limit_micros);
  acct.next_charge_seq = UINT64_MAX;
  acct.journal_seq = UINT64_MAX;
  acct.next_card_id = UINT32_MAX;
  expect_round_trip(acct);
  acct.balance = money::from_micros(limits::balance_limit_micros);
  expect_round_trip(acct);

  journal_entry entry{UINT64_MAX,
                      UINT64_MAX,
                      entry_kind::adjustment,
                      system_account::adjustments,
                      money::from_micros(-limits::amount_max_micros),
                      money::from_micros(-limits::balance_limit_micros),
                      UINT64_MAX};
  expect_round_trip(entry);
  debit_record debit{UINT64_MAX, money::from_micros(limits::amount_max_micros), UINT64_MAX};
  auto back = decode_debit(debit.debit_id, encode_debit(debit));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->amount, debit.amount);
  EXPECT_EQ(back->journal_seq, debit.journal_seq);
}

// Random command sequences through the core; every state, journal entry, debit and
// recharge record along the way must round-trip.
class random_states {
 public:
  explicit random_states(uint64_t seed) : random_(seed), h_(seed * 7919 + 1) {}

  void run(int steps) {
    for (int step = 0; step < steps && !::testing::Test::HasFatalFailure(); ++step) {
      command();
      expect_round_trip(h_.acct());
    }
    for (const auto& entry : h_.journal())
      expect_round_trip(entry);
  }

 private:
  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  void command() {
    switch (pick(0, 9)) {
      case 0:
        (void)h_.card("tok_" + std::to_string(pick(0, 1000)));
        break;
      case 1:
        (void)h_.settings(pick(0, 3) > 0, usd(pick(1, 200)), usd(pick(25, 60)));
        break;
      case 2:
        (void)h_.recharge("k" + std::to_string(pick(0, 20)), usd(pick(25, 80)));
        break;
      case 3:
        if (h_.acct().auto_charge) (void)h_.answer_auto(pick(0, 1) == 1);
        break;
      case 4:
        if (!h_.acct().manual_charges.empty()) {
          (void)h_.answer(h_.acct().manual_charges.front().charge_seq, pick(0, 1) == 1);
        }
        break;
      case 5:
        (void)h_.adjust(usd(pick(-50, 50) == 0 ? 1 : pick(-50, 50)));
        break;
      case 6:
        (void)remove_card(h_.acct(), static_cast<uint32_t>(pick(1, 8)));
        break;
      default:
        debit_and_check();
        break;
    }
  }

  void debit_and_check() {
    const uint64_t id = static_cast<uint64_t>(pick(1, 1'000'000));
    const money amount = money::from_micros(pick(1, 40'000'000));
    auto out = h_.debit_with_id(id, amount);
    if (!out.ok()) return;
    const debit_record record{id, amount, out.entry->seq};
    auto back = decode_debit(id, encode_debit(record));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->amount, record.amount);
  }

  std::mt19937_64 random_;
  account_harness h_;
};

TEST(codec, random_account_histories_round_trip) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    random_states(seed).run(400);
  }
}

TEST(codec, recharge_and_card_round_trip) {
  recharge_record record{
      std::string(limits::idempotency_key_length_max, 'k'), usd(25), 3, 9, {}, {}, {}};
  auto back = decode_recharge(record.key, encode_recharge(record));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->key, record.key);
  EXPECT_EQ(back->amount, record.amount);
  EXPECT_EQ(back->card_id, record.card_id);
  EXPECT_EQ(back->charge_seq, record.charge_seq);

  EXPECT_EQ(back->outcome, recharge_outcome::pending);
  // A pending record is written as before outcomes were kept: old records read the same.
  const std::string pending_bytes = encode_recharge(record);

  record.outcome = recharge_outcome::failed;
  record.failure = error_code::card_declined;
  record.decline_reason = std::string(limits::decline_reason_length_max, 'r');
  auto failed = decode_recharge(record.key, encode_recharge(record));
  ASSERT_TRUE(failed.ok()) << failed.error().message;
  EXPECT_EQ(failed->outcome, recharge_outcome::failed);
  EXPECT_EQ(failed->failure, error_code::card_declined);
  EXPECT_EQ(failed->decline_reason, record.decline_reason);
  EXPECT_GT(encode_recharge(record).size(), pending_bytes.size());
  record.outcome = recharge_outcome::captured;
  record.failure = error_code::ok;
  record.decline_reason.clear();
  auto captured = decode_recharge(record.key, encode_recharge(record));
  ASSERT_TRUE(captured.ok()) << captured.error().message;
  EXPECT_EQ(captured->outcome, recharge_outcome::captured);
  // Outcomes that contradict themselves are corrupt, never guessed at.
  record.outcome = recharge_outcome::failed;  // failed without a failure code
  EXPECT_FALSE(decode_recharge(record.key, encode_recharge(record)).ok());
  record.failure = error_code::card_declined;
  record.outcome = recharge_outcome::captured;  // captured with one
  EXPECT_FALSE(decode_recharge(record.key, encode_recharge(record)).ok());

  stored_card card = ledger::testing::test_card(std::string(card_token_length_max, 't'));
  card.card_id = UINT32_MAX;
  auto card_back = decode_card(encode_card(card));
  ASSERT_TRUE(card_back.ok()) << card_back.error().message;
  EXPECT_EQ(*card_back, card);
  EXPECT_FALSE(card_back->unusable);
  const size_t usable_size = encode_card(card).size();
  card.unusable = true;
  auto unusable_back = decode_card(encode_card(card));
  ASSERT_TRUE(unusable_back.ok()) << unusable_back.error().message;
  EXPECT_TRUE(unusable_back->unusable);
  EXPECT_EQ(encode_card(card).size(), usable_size + 1) << "a usable card's record is unchanged";
  std::string bad_flag = encode_card(card);
  bad_flag.back() = 2;
  EXPECT_FALSE(decode_card(bad_flag).ok());
}

// ---- hostile input -----------------------------------------------------------------------

// One decoder per record type, reduced to "did it decode, and is the result valid".
using decoder = std::function<bool(std::string_view)>;

// Billing credentials with everything set: a password, used temporary credentials, a lock,
// and a full and a password-change-only session.
credentials sample_credentials() {
  credentials creds;
  creds.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
  creds.temporary_hash = "$argon2id$v=19$m=65536,t=2,p=1$dGVtcHNhbHQ$dGVtcGhhc2g";
  creds.temporary_expires_at_ms = 1'700'000'000'000;
  creds.temporary_used = true;
  creds.failed_logins = 3;
  creds.locked_until_ms = 1'700'000'900'000;
  creds.sessions.push_back(session{std::string(64, 'a'), 1'700'000'100'000, false});
  creds.sessions.push_back(session{std::string(64, 'b'), 1'700'000'200'000, true});
  return creds;
}

struct sample {
  std::string name;
  std::string bytes;
  decoder decode;
};

std::vector<sample> samples() {
  const account rich = testing::rich_account(123456789);
  account with_holds = rich;
  with_holds.holds.emplace(std::vector<hold_record>{open_hold(7), open_hold(8)});
  stored_card unusable = rich.cards[0];
  unusable.unusable = true;
  const recharge_record failed{"key",
                               money::dollars(30),
                               1,
                               2,
                               recharge_outcome::failed,
                               error_code::card_declined,
                               "insufficient_funds"};
  journal_entry entry{5,
                      9,
                      entry_kind::debit,
                      system_account::revenue,
                      money::from_micros(-3500),
                      money::from_micros(-1'000),
                      17};
  return {
      {"account", encode_account_state(rich),
       [cards = rich.cards](std::string_view bytes) {
         auto state = decode_account_state(bytes);
         if (!state) return false;
         auto acct = assemble_account(std::move(state).value(), cards);
         if (acct) {
           EXPECT_TRUE(is_consistent(*acct));
         }
         return acct.ok();
       }},
      {"account with holds", encode_account_state(with_holds),
       [](std::string_view bytes) { return decode_account_state(bytes).ok(); }},
      {"failed recharge", encode_recharge(failed),
       [](std::string_view bytes) { return decode_recharge("key", bytes).ok(); }},
      {"unusable card", encode_card(unusable),
       [](std::string_view bytes) { return decode_card(bytes).ok(); }},
      {"notice", encode_notice(42, sample_notice()),
       [](std::string_view bytes) { return decode_notice(1, bytes).ok(); }},
      {"hold_expired notice", encode_notice(42, sample_hold_expired()),
       [](std::string_view bytes) { return decode_notice(1, bytes).ok(); }},
      {"webhook", encode_webhook(sample_webhook()),
       [](std::string_view bytes) { return decode_webhook(4, bytes).ok(); }},
      {"journal", encode_journal_entry(entry),
       [](std::string_view bytes) {
         auto back = decode_journal_entry(5, 9, bytes);
         if (back) {
           EXPECT_TRUE(validate_journal_entry(*back).ok());
         }
         return back.ok();
       }},
      {"debit", encode_debit({42, usd(3), 8}),
       [](std::string_view bytes) { return decode_debit(42, bytes).ok(); }},
      {"recharge", encode_recharge({"key", usd(30), 1, 2, {}, {}, {}}),
       [](std::string_view bytes) { return decode_recharge("key", bytes).ok(); }},
      {"intent", encode_intent(*rich.auto_charge),
       [](std::string_view bytes) { return decode_intent(bytes).ok(); }},
      {"card", encode_card(rich.cards[0]),
       [](std::string_view bytes) { return decode_card(bytes).ok(); }},
      {"credentials", encode_credentials(sample_credentials()),
       [](std::string_view bytes) { return decode_credentials(bytes).ok(); }},
  };
}

TEST(codec, every_truncation_is_an_error) {
  for (const auto& s : samples()) {
    ASSERT_TRUE(s.decode(s.bytes)) << s.name;
    for (size_t length = 0; length < s.bytes.size(); ++length) {
      EXPECT_FALSE(s.decode(std::string_view(s.bytes).substr(0, length)))
          << s.name << " truncated to " << length;
    }
  }
}

TEST(codec, trailing_bytes_version_and_tag_are_checked) {
  for (const auto& s : samples()) {
    EXPECT_FALSE(s.decode(s.bytes + '\0')) << s.name;
    std::string newer = s.bytes;
    newer[0] = static_cast<char>(codec_version + 1);
    EXPECT_FALSE(s.decode(newer)) << s.name;
    std::string other_tag = s.bytes;
    const auto flag = static_cast<uint8_t>(other_tag[1]) & trailing_parts_flag;
    const auto tag = static_cast<uint8_t>(other_tag[1]) & ~trailing_parts_flag;
    other_tag[1] = static_cast<char>((tag == 1 ? 2 : 1) | flag);
    EXPECT_FALSE(s.decode(other_tag)) << s.name;
  }
  auto message = decode_debit(1, std::string("\x07\x03", 2));
  ASSERT_FALSE(message.ok());
  EXPECT_EQ(message.error().code, error_code::storage_failure);
  EXPECT_NE(message.error().message.find("version 7"), std::string::npos);
}

// Every byte replaced by several values: the decoder must reject or produce a valid record
// (some corruptions, e.g. of a balance, are undetectable by design; checksums in RocksDB
// catch those on disk).
TEST(codec, single_byte_corruption_never_crashes) {
  for (const auto& s : samples()) {
    for (size_t at = 0; at < s.bytes.size(); ++at) {
      for (int value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
        std::string bytes = s.bytes;
        bytes[at] = static_cast<char>(value);
        (void)s.decode(bytes);
      }
    }
  }
}

TEST(codec, random_garbage_never_crashes) {
  std::mt19937_64 random(2024);
  const auto all = samples();
  int decoded = 0;
  for (int round = 0; round < 200'000; ++round) {
    const auto& s = all[static_cast<size_t>(round) % all.size()];
    std::string bytes(std::uniform_int_distribution<size_t>(0, 80)(random), '\0');
    for (auto& byte : bytes)
      byte = static_cast<char>(random());
    // Half of the time with a valid header, so that the body parser gets exercised.
    if (round % 2 == 0 && bytes.size() >= 2) bytes.replace(0, 2, s.bytes, 0, 2);
    decoded += s.decode(bytes) ? 1 : 0;
  }
  SUCCEED() << decoded << " garbage inputs happened to decode to valid records";
}

TEST(codec, overlong_varint_is_rejected) {
  std::string bytes{static_cast<char>(codec_version), static_cast<char>(record_tag::debit)};
  bytes.append(11, '\xff');
  bytes.push_back('\x01');
  EXPECT_FALSE(decode_debit(1, bytes).ok());
  std::string tenth{static_cast<char>(codec_version), static_cast<char>(record_tag::debit)};
  tenth.append(9, '\xff');
  tenth.push_back('\x02');  // the tenth byte may only hold bit 63
  tenth.push_back('\x01');
  EXPECT_FALSE(decode_debit(1, tenth).ok());
}

TEST(codec, validation_refuses_what_could_not_be_read_back) {
  EXPECT_FALSE(validate_debit({1, money{}, 1}).ok());
  EXPECT_FALSE(validate_debit({1, usd(1), 0}).ok());
  EXPECT_FALSE(validate_recharge({"", usd(30), 0, 1, {}, {}, {}}).ok());
  journal_entry wrong_sign{1, 1, entry_kind::debit, system_account::revenue, usd(5), usd(5), 1};
  EXPECT_FALSE(validate_journal_entry(wrong_sign).ok());
  journal_entry wrong_contra{
      1, 1, entry_kind::debit, system_account::adjustments, money::from_micros(-5), usd(5), 1};
  EXPECT_FALSE(validate_journal_entry(wrong_contra).ok());
  account acct = testing::rich_account(3);
  acct.default_card_id = 99;  // not one of its cards
  EXPECT_FALSE(validate_account(acct).ok());
  stored_card card = ledger::testing::test_card("");
  card.card_id = 1;
  EXPECT_FALSE(validate_card(card).ok());
}

TEST(codec, assemble_checks_the_card_count) {
  const account rich = testing::rich_account(9);
  auto state = decode_account_state(encode_account_state(rich));
  ASSERT_TRUE(state.ok());
  auto missing = assemble_account(*state, {rich.cards[0]});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("expected 2 cards, found 1"), std::string::npos);
}

// ---- keys --------------------------------------------------------------------------------

TEST(layout, pair_keys_sort_by_account_then_id) {
  std::mt19937_64 random(7);
  const uint64_t edges[] = {0, 1, 255, 256, 65535, 1ULL << 32, UINT64_MAX - 1, UINT64_MAX};
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  for (uint64_t a : edges)
    for (uint64_t b : edges)
      pairs.emplace_back(a, b);
  for (int i = 0; i < 2000; ++i)
    pairs.emplace_back(random() >> (random() % 64), random() >> (random() % 64));
  for (size_t i = 0; i + 1 < pairs.size(); ++i) {
    const auto& x = pairs[i];
    const auto& y = pairs[i + 1];
    EXPECT_EQ(journal_key(x.first, x.second) < journal_key(y.first, y.second), x < y);
    auto parsed = parse_pair_key(journal_key(x.first, x.second));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->account_id, x.first);
    EXPECT_EQ(parsed->id, x.second);
  }
}

TEST(layout, range_end_bounds_every_key_of_the_account) {
  for (uint64_t account_id : {uint64_t{1}, uint64_t{1} << 40, UINT64_MAX}) {
    const std::string end = account_range_end(account_id);
    EXPECT_LT(journal_key(account_id, UINT64_MAX), end);
    EXPECT_LT(card_key(account_id, UINT32_MAX), end);
    EXPECT_GT(end, account_key(account_id));
    if (account_id != UINT64_MAX) {
      EXPECT_LT(end, account_key(account_id + 1));
    }
  }
  auto card = parse_card_key(card_key(5, 6));
  ASSERT_TRUE(card.has_value());
  EXPECT_EQ(card->account_id, 5U);
  EXPECT_EQ(card->id, 6U);
  EXPECT_FALSE(parse_pair_key("short").has_value());
}

TEST(codec, credentials_round_trip) {
  const credentials empty;
  auto back = decode_credentials(encode_credentials(empty));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, empty);
  const credentials full = sample_credentials();
  back = decode_credentials(encode_credentials(full));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, full);
}

TEST(codec, credentials_out_of_bounds_are_refused_both_ways) {
  credentials too_many = sample_credentials();
  while (too_many.sessions.size() <= sessions_per_account_max) {
    too_many.sessions.push_back(session{std::string(64, 'c'), 1, false});
  }
  EXPECT_FALSE(validate_credentials(too_many).ok());
  EXPECT_FALSE(decode_credentials(encode_credentials(too_many)).ok());
  credentials long_hash;
  long_hash.password_hash = std::string(secret_hash_length_max + 1, 'h');
  EXPECT_FALSE(validate_credentials(long_hash).ok());
  EXPECT_FALSE(decode_credentials(encode_credentials(long_hash)).ok());
  change_set changes;
  account acct = make_account(7);
  acct.billing_credentials = long_hash;
  changes.put_credentials(acct);
  EXPECT_FALSE(changes.validity().ok());
}

}  // namespace
}  // namespace ledger::storage
