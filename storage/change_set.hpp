#pragma once
// change_set: the records one account command changes, written atomically (all or none).
//
// An account actor fills one per command (or per batch of commands) and submits it to the
// group_commit_writer. Each put validates its record (codec.hpp's validate_*) and encodes
// it at once, on the caller's thread, into one buffer; the writer thread only copies bytes
// into a RocksDB WriteBatch. A record that would not read back (a bug upstream) marks the
// change_set invalid: it is refused whole, with internal_error, and nothing of it is written.

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/account.hpp"
#include "ledger/journal.hpp"
#include "ledger/usage.hpp"
#include "storage/codec.hpp"
#include "storage/layout.hpp"
#include "storage/status.hpp"

namespace ledger::storage {

class change_set {
 public:
  // The account's state without its cards; call put_cards too when the cards changed.
  void put_account_state(const account& acct);
  // Replaces every stored card of the account with acct.cards.
  void put_cards(const account& acct);
  // A journal entry; a timed one also counts in its (account, UTC hour) usage totals
  // (ledger/usage.hpp), merged into the usage column in the same write. For writers without
  // an account actor (tools, seeding, tests): the stored hours are exact after each write.
  void put_journal(const journal_entry& entry);
  // The account actor's: a timed entry joins the account's usage tail, and only what the
  // tail flushes (every usage_tail_entries_max entries, and when the hour changes) is merged
  // in this write (docs/storage.md, "the usage tail"). Every entry of an account must come
  // through one tail, its actor's, or none.
  void put_journal(const journal_entry& entry, usage_tail& tail);
  void put_debit(uint64_t account_id, const debit_record& record);
  // An open charge intent, the recovery index; delete_intent once the gateway answered.
  void put_intent(uint64_t account_id, const charge_intent& intent);
  void delete_intent(uint64_t account_id, uint64_t charge_seq);
  void put_recharge(uint64_t account_id, const recharge_record& record);
  // A hold that changed: an open hold's place in the expiry index (at its expires_at_ms), a
  // closed hold's record (kept forever, for idempotency) and the removal of its index entry.
  // An open hold itself lives in its account's state record (its open holds), which the
  // caller puts in the same change_set: one record fewer per authorisation and extension
  // (docs/storage.md). `replaced_expires_at_ms` is the expiry the index holds for it now
  // (0: none, a new hold), removed when it changed.
  void put_hold(uint64_t account_id, const hold_record& hold, int64_t replaced_expires_at_ms);
  // A hold's record in the holds column as it is, in any state: put_hold's for a closed
  // hold. Older builds wrote open holds' records too; tests write data of that
  // shape with this.
  void put_hold_record(uint64_t account_id, const hold_record& hold);
  // Removes one expiry index entry.
  void erase_hold_expiry(int64_t expires_at_ms, uint64_t account_id, uint64_t hold_id);
  // A hold released at its expiry (state expired; by the sweep, or by its account before
  // another hold operation): its closed record only. Its index entry stays until a sweep
  // round has settled every account it named and erases all that was due at its time at
  // once (erase_due_hold_expiries; actors/hold_expiry.hpp): one range tombstone instead of
  // a tombstone per hold.
  void put_swept_hold(uint64_t account_id, const hold_record& hold);
  // Erases the expiry index entries with expires_at_ms <= due_at_ms (one range erase), for
  // the expiry sweep once every hold due at due_at_ms that its round read is closed and
  // durable. `watch` is the number database::begin_expiry_watch gave the round before its
  // first read: the write lowers the erase's end below every entry written since, which the
  // round's reads may have missed, and erases nothing when a newer watch has begun. Ops on
  // the index keep their submission order in a group write, so an entry put by a later
  // change_set is kept too.
  void erase_due_hold_expiries(int64_t due_at_ms, uint64_t watch);
  // The account's billing credentials (acct.billing_credentials), in their own column.
  void put_credentials(const account& acct);
  // A notice (issue 18), written in the same batch as the change that caused it: the writer
  // gives it the next outbox position as it writes it (database::write), and indexes it
  // under (account_id, account_seq).
  void put_notice(uint64_t account_id, const notice& told);
  // A webhook endpoint (its registration, or its delivery cursor), and its removal.
  void put_webhook(const webhook_endpoint& endpoint);
  void erase_webhook(uint32_t endpoint_id);

  // The RocksDB operations this change_set holds (put_cards counts one per card plus one
  // range deletion).
  size_t record_count() const { return ops_.size(); }
  size_t byte_size() const { return buffer_.size(); }
  bool empty() const { return ops_.empty(); }
  // What this change_set merges into each (account, hour): its entries' totals, or what
  // their usage tails flushed; in the order first seen, one element per account and hour.
  struct usage_delta {
    uint64_t account_id = 0;
    int64_t hour = 0;
    usage_totals totals;
  };
  const std::vector<usage_delta>& usage() const { return usage_; }
  // The latest journal entry time in this change_set (µs), 0 when it has none: the writer
  // keeps the ledger clock's floor at or above every time written (database::clock_floor).
  int64_t latest_time_us() const { return latest_time_us_; }
  // ok, or internal_error naming the first record that failed validation.
  const status& validity() const { return validity_; }
  void clear();

  // put_notice: the key is the account_notices key, the value the outbox record; the write
  // puts both, under the position it assigns. erase_due_hold_expiries: no key, the value
  // is due_at_ms and the watch number (8 bytes each, big-endian); the write makes the range.
  enum class op_kind : uint8_t { put, erase, erase_range, put_notice, erase_due_hold_expiries };
  // One operation; key and value (or range end) are slices of buffer().
  struct op {
    column family = column::accounts;
    op_kind kind = op_kind::put;
    uint32_t key_offset = 0;
    uint32_t key_size = 0;
    uint32_t value_offset = 0;
    uint32_t value_size = 0;
  };
  const std::vector<op>& ops() const { return ops_; }
  const std::string& buffer() const { return buffer_; }

 private:
  // Starts an op whose key the caller appends to buffer_ next.
  op& begin(column family, op_kind kind);
  void end_key(op& entry);
  void end_value(op& entry);
  bool check(const status& checked);
  void put_journal_record(const journal_entry& journal);
  void append_hold_record(uint64_t account_id, const hold_record& hold);  // validated already
  void add_usage(uint64_t account_id, int64_t hour, const usage_totals& totals);

  std::string buffer_;
  std::vector<op> ops_;
  std::vector<usage_delta> usage_;
  int64_t latest_time_us_ = 0;
  status validity_;
};

}  // namespace ledger::storage
