#pragma once
// database: the ledger's RocksDB instance. Opens (or creates) the directory with our column
// families (layout.hpp), refuses directories that are not ours or come from a newer
// version, and offers the reads the account actors and the operators' tools need.
//
// Writes go through group_commit_writer (writer.hpp), which calls write() from its one
// thread; write() is public for single-threaded tools and tests. Reads are thread-safe and
// may run concurrently with the writer. RocksDB's headers stay out of this header.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/account.hpp"
#include "ledger/journal.hpp"
#include "ledger/usage.hpp"
#include "storage/codec.hpp"
#include "storage/layout.hpp"
#include "storage/status.hpp"

namespace rocksdb {
class Env;
class WriteBatch;
}  // namespace rocksdb

namespace ledger::storage {

class change_set;

// The on-disk format this code writes; a database with a higher version is refused, and one
// with a lower version is marked with this one when opened (docs/storage.md, "Limits"), so
// that a build older than the data it holds refuses it instead of misreading it.
//   1: the first format.
//   2: a plain capture writes its journal entry and the hold's closed record but not the
//      account's state, which may still list the hold as open (ledger::needs_state_record);
//      a build of version 1 would take such a hold as open again.
//   3: a hold_expired notice lists every hold its expiry released (a trailing part of the
//      notice record), one notice per account's expiry instead of one per hold; a build of
//      version 2 would take such a record for corrupt.
inline constexpr uint32_t format_version = 3;
// The marker in the meta column that says "this directory is a Contacto Ledger database".
inline constexpr std::string_view format_marker = "contacto-ledger";
// read_journal returns at most this many entries per call.
inline constexpr size_t journal_page_max = 1000;

// What find_debit_in_memory could tell without the disk.
struct debit_in_memory {
  bool answered = false;  // false: a block it needs is not cached; only a disk read can tell
  bool stored = false;    // with answered: whether the debit is stored (then in `record`)
  debit_record record;
};

enum class durability : uint8_t {
  process = 0,  // WAL written, not fsynced: survives kill -9 of the process
  fsync = 1,    // WAL fsynced per group: also survives power loss
};

struct database_options {
  std::string path;
  bool create_if_missing = true;
  size_t block_cache_bytes = size_t{256} << 20;
  // Memtable size of the busy columns (journal, debits, accounts); the others get a quarter.
  // Small on purpose: after kill -9, RocksDB replays every WAL record not yet flushed into
  // the memtables before the server can answer (~9 us per record here), so the memtable
  // size bounds the restart time (docs/performance.md: 64 MiB gave a 2.9 s median restart
  // at 10,000,000 accounts, 8 MiB about 1 s, with no throughput cost measured).
  size_t write_buffer_bytes = size_t{8} << 20;
  // Tests only: an Env that injects faults. Not owned; must outlive the database.
  rocksdb::Env* env = nullptr;
};

class database {
 public:
  // Opens or creates. storage_failure with a message when the directory is foreign, newer,
  // or RocksDB fails.
  static expected<std::unique_ptr<database>> open(const database_options& options);
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // ---- identity ----
  const std::string& path() const;
  // 32 hex digits drawn when the database was created; tells copies and restores apart.
  const std::string& instance_id() const;
  uint32_t stored_format_version() const;
  // The format version the directory had before this open: below format_version when this
  // open marked it with ours (builds of its old version refuse it from now on), else
  // format_version (a new directory too). For the owner's log.
  uint32_t opened_format_version() const;

  // ---- reads (nullopt: not stored) ----
  // The account with its cards, validated (ledger::is_consistent).
  expected<std::optional<account>> load_account(uint64_t account_id) const;
  // The account's billing credentials (load_account leaves them empty); nullopt when none
  // were ever stored.
  expected<std::optional<credentials>> load_credentials(uint64_t account_id) const;
  expected<std::optional<debit_record>> find_debit(uint64_t account_id, uint64_t debit_id) const;
  // find_debit from the memtables and the block cache only, never the disk
  // (rocksdb::kBlockCacheTier): unanswered when a filter, index or data block it needs is
  // not cached. For callers on threads that must not wait for I/O (the account actors).
  expected<debit_in_memory> find_debit_in_memory(uint64_t account_id, uint64_t debit_id) const;
  // The highest debit id stored for the account, 0 when it has none: a debit id above it
  // cannot be a retry of a stored debit, so an account that knows it skips find_debit for
  // ids that grow over time (one seek instead of a point lookup per debit).
  expected<uint64_t> highest_debit_id(uint64_t account_id) const;
  expected<std::optional<recharge_record>> find_recharge(uint64_t account_id,
                                                         std::string_view key) const;
  // A hold in any state (ledger/hold.hpp): an open one from its account's state record, a
  // closed one from the holds column, both read under one snapshot; nullopt when the id was
  // never used. For tools and audits; an account actor, which has its open holds in memory,
  // asks find_hold_record.
  expected<std::optional<hold_record>> find_hold(uint64_t account_id, uint64_t hold_id) const;
  // The holds column's record alone (one point read): a closed hold's, or an open one's
  // written by an older build (which may lag the account's state). nullopt for a
  // hold that is open and was authorised since, or an id never used.
  expected<std::optional<hold_record>> find_hold_record(uint64_t account_id,
                                                        uint64_t hold_id) const;
  // The highest hold id with a record in the holds column, 0 when it has none. Records are
  // never deleted, so with the account's open holds (ledger::learn_highest_hold_id counts
  // them) it bounds every id ever used.
  expected<uint64_t> highest_hold_id(uint64_t account_id) const;
  // At most `limit` entries of the expiry index with expires_at_ms <= now_ms, earliest
  // first: the open holds that are due (layout.hpp, column hold_expiry). With `after`, only
  // the entries that sort after it: the expiry sweep reads a round page by page from where
  // the last page ended, instead of from the first key, which after a mass expiry would
  // step again over every entry the round has deleted so far (an LSM deletes by writing a
  // tombstone that a scan must skip).
  expected<std::vector<hold_expiry_entry>> due_holds(
      int64_t now_ms, size_t limit, const std::optional<hold_expiry_entry>& after = {}) const;
  // Entries with seq >= from_seq in order, at most min(limit, journal_page_max).
  // `fill_cache` false for long scans (a month's export): the blocks read are not kept in
  // the block cache, so the scan neither grows memory nor evicts the hot accounts' blocks.
  expected<std::vector<journal_entry>> read_journal(uint64_t account_id, uint64_t from_seq,
                                                    size_t limit, bool fill_cache = true) const;

  // ---- time and usage (issue 19) ----
  // The ledger clock's floor in µs since the Unix epoch: at least every journal entry time
  // written (raised in the same write), so that a restarted node never stamps an earlier
  // time (actors/ledger_clock.hpp). 0 for a database without timed entries.
  int64_t clock_floor() const;
  // The account's usage totals of each hour in [from_hour, to_hour) that has entries, in
  // hour order (ledger/usage.hpp; hours since the Unix epoch, UTC). At most to - from. The
  // stored hours and the usage tail recounted from the journal, under one snapshot.
  expected<std::vector<std::pair<int64_t, usage_totals>>> usage_hours(uint64_t account_id,
                                                                      int64_t from_hour,
                                                                      int64_t to_hour) const;
  // The account's usage tail (ledger/usage.hpp, docs/storage.md "the usage tail"): its timed
  // journal entries after the highest last_seq of its stored hours, recounted newest first
  // (fewer than usage_tail_entries_max reads). What an activated account actor continues
  // from. storage_failure when those entries cannot be a tail (several hours, or too many):
  // the invariant is broken.
  expected<usage_tail> read_usage_tail(uint64_t account_id) const;
  // One journal entry; nullopt when the account has no entry `seq`.
  expected<std::optional<journal_entry>> journal_entry_at(uint64_t account_id, uint64_t seq) const;
  // The seq of the account's last journal entry; 0 when it has none.
  expected<uint64_t> last_journal_seq(uint64_t account_id) const;
  // The seq of the last entry with time_us < at_us (entries without a time count as before
  // every time); 0 when there is none. A bisection: about log2(entries) point reads.
  expected<uint64_t> journal_seq_before(uint64_t account_id, int64_t at_us) const;
  // The balance after every entry before at_us (0 before the first entry).
  expected<money> balance_at(uint64_t account_id, int64_t at_us) const;

  // ---- notices (issue 18) ----
  // The outbox position of the last notice written; 0 when there is none.
  uint64_t last_outbox_position() const;
  // At most `limit` notices with positions above `after_position`, in position order.
  expected<std::vector<outbox_notice>> read_outbox(uint64_t after_position, size_t limit) const;
  // At most `limit` of the account's notices with account_seq < before_seq, newest first.
  expected<std::vector<outbox_notice>> account_notices(uint64_t account_id, uint64_t before_seq,
                                                       size_t limit) const;
  // Every registered webhook endpoint, by id.
  expected<std::vector<webhook_endpoint>> webhooks() const;

  // Scans for recovery and operators. A visitor returns false to stop early. Each scan reads
  // one consistent snapshot and does not fill the block cache.
  using intent_visitor = std::function<bool(uint64_t account_id, const charge_intent& intent)>;
  using account_visitor = std::function<bool(const account& acct)>;
  // for_each_account with, for each account, the hold records storage keeps open for it
  // (walked in step with the accounts), and every entry of the expiry index, gathered
  // first: all from one snapshot, so that `ledgerctl verify` on a live server compares the
  // account's open holds with records of the same moment.
  using account_holds_visitor =
      std::function<bool(const account& acct, const std::vector<hold_record>& open_records)>;
  status for_each_account_with_holds(const account_holds_visitor& visit,
                                     std::vector<hold_expiry_entry>& expiry_index) const;
  status for_each_open_intent(const intent_visitor& visit) const;
  status for_each_account(const account_visitor& visit) const;
  // RocksDB's estimate of the number of accounts (exact only after compaction).
  uint64_t account_count() const;

  // ---- writes and maintenance ----
  // Writes the change_sets as one atomic batch; sync = (mode == fsync). The WAL is always on.
  // Not for concurrent use with a group_commit_writer on the same database.
  status write(const change_set* const* sets, size_t count, durability mode);
  // The expiry sweep's watch over the index (actors/hold_expiry.hpp): begins a new one and
  // returns its number. From then on write() keeps the lowest expiry of any index entry it
  // writes, and an erase_due_hold_expiries with this number ends below it, so an entry put
  // after the round's reads began, which they may have missed, is never erased. An older
  // number's erase erases nothing. Any thread; write() folds each group in after it is
  // written, so an entry written before the watch began is seen by every later read.
  uint64_t begin_expiry_watch();
  // A consistent copy in `directory` (which must not exist), hard-linked where possible.
  status checkpoint(const std::string& directory) const;
  // Flushes every memtable to SST files (tools, benchmarks, tests).
  status flush();
  // A RocksDB property of one column ("rocksdb.estimate-num-keys"...), for metrics.
  std::optional<std::string> property(std::string_view column_name, std::string_view name) const;

  struct impl;

 private:
  explicit database(std::unique_ptr<impl> state);
  // Adds the group's usage merges and, when it rises, the clock floor to `batch`; the
  // group's latest entry time, or -1 when the batch refused an operation.
  int64_t add_usage(rocksdb::WriteBatch& batch, const change_set* const* sets, size_t count) const;
  std::unique_ptr<impl> impl_;
};

}  // namespace ledger::storage
