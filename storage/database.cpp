#include "storage/database.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <limits>
#include <mutex>
#include <random>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "storage/change_set.hpp"
#include "storage/codec.hpp"
#include "storage/layout.hpp"

namespace ledger::storage {

struct database::impl {
  std::string path;
  std::string instance_id;
  uint32_t version = 0;
  uint32_t opened_version = 0;  // before this open marked it (opened_format_version)
  std::shared_ptr<rocksdb::Cache> cache;
  std::unique_ptr<rocksdb::DB> db;
  std::array<rocksdb::ColumnFamilyHandle*, column_count> handles{};
  std::vector<rocksdb::ColumnFamilyHandle*> owned_handles;  // ours and "default"
  // The outbox position of the last notice written (layout.hpp, column outbox): read at
  // open, advanced by write() (one writer at a time).
  std::atomic<uint64_t> last_outbox_position{0};
  // The ledger clock's floor (µs): at least every journal entry time written. Read at open,
  // raised by write() in the same batch as the entries (issue 19).
  std::atomic<int64_t> clock_floor{0};
  // The expiry sweep's watch (begin_expiry_watch): its number and the lowest expiry of the
  // index entries written since it began.
  std::mutex watch_mutex;
  uint64_t watch_number = 0;                                   // guarded by watch_mutex
  int64_t watch_lowest = std::numeric_limits<int64_t>::max();  // guarded by watch_mutex

  rocksdb::ColumnFamilyHandle* handle(column family) const {
    return handles[static_cast<size_t>(family)];
  }

  ~impl() {
    if (!db) return;
    for (auto* handle : owned_handles)
      db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    db->Close().PermitUncheckedError();
  }
};

namespace {

constexpr std::string_view meta_format_key = "format";
constexpr std::string_view meta_version_key = "format_version";
constexpr std::string_view meta_instance_key = "instance_id";
constexpr std::string_view meta_clock_floor_key = "clock_floor";

rocksdb::Slice to_slice(std::string_view text) {
  return rocksdb::Slice(text.data(), text.size());
}

status rocks_failure(std::string_view what, const rocksdb::Status& failed) {
  std::string text(what);
  text.append(": ").append(failed.ToString());
  return status::failure(std::move(text));
}

// ---- options -----------------------------------------------------------------------------

rocksdb::CompressionType fastest_compression() {
  const auto supported = rocksdb::GetSupportedCompressions();
  for (auto wanted : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), wanted) != supported.end()) return wanted;
  }
  return rocksdb::kNoCompression;
}

// Two cores: two background jobs (one flush, one compaction), no subcompactions.
rocksdb::DBOptions make_db_options(const database_options& options) {
  rocksdb::DBOptions db;
  db.create_if_missing = true;
  db.create_missing_column_families = false;  // open() decides what to create
  // See docs/storage.md: never silently drop an acknowledged write, but open after a torn,
  // unacknowledged tail left by kill -9 or power loss.
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db.track_and_verify_wals_in_manifest = true;  // a missing WAL file fails the open
  db.paranoid_checks = true;
  db.max_background_jobs = 2;
  db.max_subcompactions = 1;
  db.bytes_per_sync = 1 << 20;
  // Rarely written columns (cards, meta) would otherwise pin old WAL files for ever.
  db.max_total_wal_size = uint64_t{256} << 20;
  db.db_write_buffer_size = options.write_buffer_bytes * 4;
  db.keep_log_file_num = 5;
  // Recovery leaves the replayed records in the memtables instead of writing them out
  // first: the open returns a flush sooner. With small memtables they are flushed soon
  // after in the background, so the WAL does not pile up across restarts (it did with
  // 64 MiB memtables: 24 -> 56 -> 81 MiB over three kills; docs/performance.md).
  db.avoid_flush_during_recovery = true;
  db.avoid_unnecessary_blocking_io = true;
  // Every table stays open (RocksDB's default, stated because find_debit_in_memory relies
  // on it): a cache-only read (kBlockCacheTier) then never opens a file on a scheduler
  // thread, and RocksDB 7.8's cache-only read of a table not in the table cache answers OK
  // with an empty value instead of Incomplete (facebook/rocksdb#12443).
  db.max_open_files = -1;
  if (options.env != nullptr) db.env = options.env;
  return db;
}

// The usage column's merge (layout.hpp, column usage): each journal entry's totals are added
// to its (account, hour) record by ledger::merge_usage, associative as RocksDB requires. A
// record that does not decode fails the merge: RocksDB then reports corruption on read and
// on compaction instead of inventing totals.
class usage_merge_operator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& operand,
             std::string* merged, rocksdb::Logger*) const override {
    auto more = decode_usage(operand.ToStringView());
    if (!more) return false;
    if (existing == nullptr) {
      merged->assign(operand.data(), operand.size());
      return true;
    }
    auto totals = decode_usage(existing->ToStringView());
    if (!totals) return false;
    merge_usage(*totals, *more);
    merged->clear();
    append_usage(*merged, *totals);
    return true;
  }
  const char* Name() const override { return "contacto.usage.v1"; }
};

// The columns a debit writes.
constexpr bool is_busy(column family) {
  return family == column::journal || family == column::debits || family == column::accounts;
}

// The columns whose puts go into a write batch in key order, after the batch's other ops
// (database::write): only columns that take nothing but puts, so that no put moves past an
// erase of its key. Holds are never erased. Not hold_expiry: the sweep's range erase
// (erase_due_hold_expiries) must keep its place among the index's puts.
constexpr bool puts_sorted(column family) {
  return is_busy(family) || family == column::holds;
}
static_assert(!puts_sorted(column::hold_expiry),
              "the sweep's range erase must keep its place among the index's puts");

// The columns that take a record for every debit or hold operation (a hold's record, its
// expiry index entry, a notice's two records): full-size memtables. With a quarter of the
// size, a mass hold expiry flushed the holds column 63 times in 13 s (docs/performance.md).
bool takes_a_record_per_operation(column family) {
  return is_busy(family) || family == column::holds || family == column::hold_expiry ||
         family == column::outbox || family == column::account_notices;
}

// The columns whose keys lead with the account and arrive spread over all accounts.
bool keyed_across_accounts(column family) {
  return family == column::journal || family == column::debits || family == column::holds ||
         family == column::account_notices;
}

rocksdb::ColumnFamilyOptions make_column_options(column family, const database_options& options,
                                                 const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;  // bounded memory however large the data grows
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  table.optimize_filters_for_memory = true;
  // The journal is only ever scanned, never probed: a filter would be dead weight.
  if (family != column::journal) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filter in partitions of about metadata_block_size, found through a small
  // top-level index that stays pinned (issue 20). Whole, a compacted debits file of 4.6 M
  // entries had a 6 MB filter block: larger than a block cache shard (256 MiB in 64 shards
  // of 4 MiB), so it was never kept, and every idempotency lookup below an account's
  // highest id read and checksummed all 6 MB again (a pread of 6,291,402 bytes in a
  // reader's stack while throughput fell from 100,000 to 3,000 debits/s after 50 s of
  // ledger-bench; docs/performance.md). Files written before keep their whole blocks until
  // compaction rewrites them; both layouts are read.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = table.filter_policy != nullptr;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;

  rocksdb::ColumnFamilyOptions cf;
  if (family == column::cards) {
    // Cards are read by account prefix; the prefix filter lets a seek skip files.
    cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(account_key_size));
    table.whole_key_filtering = false;
  }
  if (family == column::debits || family == column::accounts) {
    // "Is this debit id new?" is usually a miss: answer it from a memtable bloom as well.
    cf.memtable_prefix_bloom_size_ratio = 0.02;
    cf.memtable_whole_key_filtering = true;
  }
  if (family == column::usage) cf.merge_operator = std::make_shared<usage_merge_operator>();
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = fastest_compression();
  if (keyed_across_accounts(family)) {
    // Universal (size-tiered) compaction for the columns that take a record per debit or
    // hold operation keyed by account. Their keys arrive spread uniformly over all
    // accounts, so under leveled compaction every L0 file overlaps all of the next level
    // and each compaction rewrote the whole column: as it grew, compactions took seconds
    // of a core and writes stalled behind them (debits, 35 s at 100,000 accounts: 94,700
    // debits/s with 2.2 s stalls, against 165,500 and a 321 ms p99 with universal; holds,
    // a mass expiry: 20 L0 files, every write of the database slowed, debits' p99 298 ms
    // during it, 117-149 ms with universal; docs/performance.md). A column written before
    // under leveled compaction opens as it is: each of its levels is one sorted run.
    cf.compaction_style = rocksdb::kCompactionStyleUniversal;
  }
  cf.level_compaction_dynamic_level_bytes = true;
  cf.write_buffer_size = takes_a_record_per_operation(family) ? options.write_buffer_bytes
                                                              : options.write_buffer_bytes / 4;
  cf.max_write_buffer_number = 3;
  return cf;
}

// ---- opening -----------------------------------------------------------------------------

enum class directory_kind { empty, rocksdb, foreign };

expected<directory_kind> inspect_directory(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const auto state = fs::status(path, error);
  if (!fs::exists(state)) return directory_kind::empty;
  if (!fs::is_directory(state)) return status::failure(path + " exists and is not a directory");
  if (fs::is_empty(path, error)) return directory_kind::empty;
  if (error) return status::failure("cannot read " + path + ": " + error.message());
  return fs::exists(fs::path(path) / "CURRENT", error) ? directory_kind::rocksdb
                                                       : directory_kind::foreign;
}

status refuse_foreign(const std::string& path, std::string_view why) {
  std::string text = "refusing to open " + path + ": not a Contacto Ledger database (";
  text.append(why).append("); point the server at an empty or missing directory");
  return status::failure(std::move(text));
}

std::optional<column> column_by_name(std::string_view name) {
  for (column family : all_columns) {
    if (column_name(family) == name) return family;
  }
  return std::nullopt;
}

std::string random_instance_id() {
  std::random_device device;
  static constexpr char digits[] = "0123456789abcdef";
  std::string id;
  for (int word = 0; word < 4; ++word) {
    uint32_t bits = device();
    for (int nibble = 0; nibble < 8; ++nibble, bits >>= 4)
      id.push_back(digits[bits & 0xfU]);
  }
  return id;
}

// The column families already on disk: "default" for a new database, otherwise RocksDB's
// list, which must contain our meta column and nothing we do not know.
expected<std::vector<std::string>> existing_columns(const rocksdb::DBOptions& db_options,
                                                    const std::string& path, directory_kind kind) {
  std::vector<std::string> names{rocksdb::kDefaultColumnFamilyName};
  if (kind == directory_kind::empty) return names;
  auto listed = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
  if (!listed.ok())
    return refuse_foreign(path, "cannot list column families: " + listed.ToString());
  if (std::find(names.begin(), names.end(), column_name(column::meta)) == names.end()) {
    return refuse_foreign(path, "a RocksDB database without our meta column");
  }
  for (const auto& name : names) {
    if (name != rocksdb::kDefaultColumnFamilyName && !column_by_name(name)) {
      return status::failure("refusing to open " + path + ": unknown column family '" + name +
                             "' (written by a newer version?)");
    }
  }
  return names;
}

status open_columns(database::impl& state, const database_options& options,
                    const std::vector<std::string>& names) {
  const auto db_options = make_db_options(options);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) {
    auto family = column_by_name(name);
    descriptors.emplace_back(name, family ? make_column_options(*family, options, state.cache)
                                          : rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto opened = rocksdb::DB::Open(db_options, state.path, descriptors, &handles, &raw);
  if (!opened.ok()) return rocks_failure("cannot open " + state.path, opened);
  state.db.reset(raw);
  state.owned_handles = handles;
  for (size_t i = 0; i < names.size(); ++i) {
    if (auto family = column_by_name(names[i]))
      state.handles[static_cast<size_t>(*family)] = handles[i];
  }
  return status::success();
}

// Creates the columns a new (or half-created) database lacks, meta first.
status create_missing_columns(database::impl& state, const database_options& options) {
  static_assert(column_count == 14, "a new column is created here too, after meta");
  for (column family :
       {column::meta, column::accounts, column::journal, column::debits, column::intents,
        column::recharges, column::cards, column::credentials, column::holds, column::hold_expiry,
        column::outbox, column::account_notices, column::webhooks, column::usage}) {
    if (state.handle(family) != nullptr) continue;
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    auto created = state.db->CreateColumnFamily(make_column_options(family, options, state.cache),
                                                std::string(column_name(family)), &handle);
    if (!created.ok()) return rocks_failure("cannot create column family", created);
    state.owned_handles.push_back(handle);
    state.handles[static_cast<size_t>(family)] = handle;
  }
  return status::success();
}

bool all_columns_empty(database::impl& state) {
  for (column family : all_columns) {
    if (state.handle(family) == nullptr) continue;  // not created yet
    std::unique_ptr<rocksdb::Iterator> it(
        state.db->NewIterator(rocksdb::ReadOptions(), state.handle(family)));
    it->SeekToFirst();
    if (it->Valid()) return false;
  }
  return true;
}

status write_meta(database::impl& state) {
  state.instance_id = random_instance_id();
  state.version = format_version;
  state.opened_version = format_version;
  std::string version;
  append_be32(version, format_version);
  rocksdb::WriteBatch batch;
  auto* meta = state.handle(column::meta);
  auto put = batch.Put(meta, to_slice(meta_format_key), to_slice(format_marker));
  if (put.ok()) put = batch.Put(meta, to_slice(meta_version_key), version);
  if (put.ok()) put = batch.Put(meta, to_slice(meta_instance_key), state.instance_id);
  if (!put.ok()) return rocks_failure("cannot build meta batch", put);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  auto written = state.db->Write(sync, &batch);
  return written.ok() ? status::success() : rocks_failure("cannot write meta", written);
}

// Marks an older database with this build's format version, durably, before anything of
// the new format is written into it.
status write_format_version(database::impl& state) {
  std::string version;
  append_be32(version, format_version);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  auto written =
      state.db->Put(sync, state.handle(column::meta), to_slice(meta_version_key), version);
  if (!written.ok()) return rocks_failure("cannot write the format version", written);
  state.version = format_version;
  return status::success();
}

// Reads the marker; a database created by a crashed first start (columns, no marker, no
// data) is finished here, anything else without the marker is refused.
status read_or_initialize_meta(database::impl& state) {
  auto* meta = state.handle(column::meta);
  std::string marker;
  auto got = state.db->Get(rocksdb::ReadOptions(), meta, to_slice(meta_format_key), &marker);
  if (got.IsNotFound()) {
    if (!all_columns_empty(state)) return refuse_foreign(state.path, "no format marker");
    return write_meta(state);
  }
  if (!got.ok()) return rocks_failure("cannot read meta", got);
  if (marker != format_marker) return refuse_foreign(state.path, "foreign format marker");
  std::string version;
  got = state.db->Get(rocksdb::ReadOptions(), meta, to_slice(meta_version_key), &version);
  if (!got.ok() || version.size() != 4)
    return status::failure("missing or bad format version in " + state.path);
  state.version = read_be32(version.data());
  state.opened_version = state.version;
  if (state.version > format_version) {
    return status::failure("refusing to open " + state.path + ": format version " +
                           std::to_string(state.version) + " is newer than this build's " +
                           std::to_string(format_version));
  }
  if (state.version < format_version) {
    // Every older format reads as this one; what this build writes, an older one may not.
    if (auto marked = write_format_version(state); !marked.ok()) return marked;
  }
  got =
      state.db->Get(rocksdb::ReadOptions(), meta, to_slice(meta_instance_key), &state.instance_id);
  if (!got.ok()) return rocks_failure("cannot read instance id", got);
  return status::success();
}

// The directory entry of `path` reaches the disk.
void sync_parent_directory(const std::filesystem::path& path) {
  const int fd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Creates a complete database (every column and the marker) in a staging directory beside
// `path` and renames it into place, so that `path` never holds a half-created database: a
// crash during creation leaves only the staging directory, which the next attempt removes.
status create_database(const database_options& options) {
  namespace fs = std::filesystem;
  fs::path target = fs::absolute(options.path).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  const fs::path staging = target.string() + ".creating";
  std::error_code error;
  fs::remove_all(staging, error);
  {
    database::impl state;
    state.path = staging.string();
    state.cache = rocksdb::NewLRUCache(size_t{1} << 20);
    if (auto opened = open_columns(state, options, {rocksdb::kDefaultColumnFamilyName});
        !opened.ok()) {
      return opened;
    }
    if (auto created = create_missing_columns(state, options); !created.ok()) return created;
    if (auto written = write_meta(state); !written.ok()) return written;
  }  // closed here
  // rename(2) replaces an empty directory at the target atomically.
  fs::rename(staging, target, error);
  if (error)
    return status::failure("cannot move the new database into " + options.path + ": " +
                           error.message());
  sync_parent_directory(target);
  return status::success();
}

}  // namespace

// The ledger clock's floor, as the last write left it (0 in a database written before).
status read_clock_floor(database::impl& state) {
  std::string floor;
  auto got = state.db->Get(rocksdb::ReadOptions(), state.handle(column::meta),
                           to_slice(meta_clock_floor_key), &floor);
  if (got.IsNotFound()) return status::success();
  if (!got.ok()) return rocks_failure("cannot read the clock floor", got);
  const int64_t value = static_cast<int64_t>(floor.size() == 8 ? read_be64(floor.data()) : 0);
  if (floor.size() != 8 || value < 0) return status::failure("corrupt clock floor");
  state.clock_floor = value;
  return status::success();
}

expected<std::unique_ptr<database>> database::open(const database_options& options) {
  auto kind = inspect_directory(options.path);
  if (!kind) return kind.error();
  if (*kind == directory_kind::foreign) {
    return refuse_foreign(options.path, "the directory is not empty and holds no RocksDB database");
  }
  if (*kind == directory_kind::empty && !options.create_if_missing) {
    return status::failure("no database at " + options.path);
  }
  if (*kind == directory_kind::empty) {
    if (auto created = create_database(options); !created.ok()) return created;
  }
  const auto db_options = make_db_options(options);
  auto names = existing_columns(db_options, options.path, directory_kind::rocksdb);
  if (!names) return names.error();

  auto state = std::make_unique<impl>();
  state->path = options.path;
  state->cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  if (auto opened = open_columns(*state, options, *names); !opened.ok()) return opened;
  // A RocksDB directory that is not ours is refused before anything is created in it.
  if (auto checked = read_or_initialize_meta(*state); !checked.ok()) return checked;
  if (auto created = create_missing_columns(*state, options); !created.ok()) return created;
  {
    // Notices continue after the last one written.
    std::unique_ptr<rocksdb::Iterator> last(
        state->db->NewIterator(rocksdb::ReadOptions(), state->handle(column::outbox)));
    last->SeekToLast();
    if (!last->status().ok()) return rocks_failure("cannot read the outbox", last->status());
    if (last->Valid()) {
      if (last->key().size() != outbox_key_size) return status::failure("corrupt outbox key");
      state->last_outbox_position = read_be64(last->key().data());
    }
  }
  if (auto floor = read_clock_floor(*state); !floor.ok()) return floor;
  return std::unique_ptr<database>(new database(std::move(state)));
}

database::database(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
database::~database() = default;

const std::string& database::path() const {
  return impl_->path;
}
const std::string& database::instance_id() const {
  return impl_->instance_id;
}
uint32_t database::stored_format_version() const {
  return impl_->version;
}
uint32_t database::opened_format_version() const {
  return impl_->opened_version;
}

// ---- reads -------------------------------------------------------------------------------

namespace {

// An iterator over the keys in [lower, upper) of one column, with `read`'s snapshot (if
// any): an account's records from `lower` on. Owns its bounds, which RocksDB reads by
// pointer for the iterator's life, so it is neither copied nor moved.
class bounded_iterator {
 public:
  bounded_iterator(const database::impl& state, const rocksdb::ReadOptions& read, column family,
                   std::string lower, std::string upper)
      : lower_(std::move(lower)),
        upper_(std::move(upper)),
        lower_slice_(lower_),
        upper_slice_(upper_) {
    rocksdb::ReadOptions bounded = read;
    bounded.iterate_lower_bound = &lower_slice_;
    bounded.iterate_upper_bound = &upper_slice_;
    it_.reset(state.db->NewIterator(bounded, state.handle(family)));
  }
  bounded_iterator(const bounded_iterator&) = delete;
  bounded_iterator& operator=(const bounded_iterator&) = delete;

  rocksdb::Iterator* operator->() const { return it_.get(); }

 private:
  const std::string lower_;
  const std::string upper_;
  const rocksdb::Slice lower_slice_;
  const rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// The cards of one account, read with `read` (which carries the snapshot, if any).
expected<std::vector<stored_card>> read_cards(const database::impl& state, uint64_t account_id,
                                              rocksdb::ReadOptions read) {
  const std::string end = account_range_end(account_id);
  const rocksdb::Slice upper(end);
  read.iterate_upper_bound = &upper;
  read.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(state.db->NewIterator(read, state.handle(column::cards)));
  std::vector<stored_card> cards;
  for (it->Seek(account_key(account_id)); it->Valid(); it->Next()) {
    auto key = parse_card_key(it->key().ToStringView());
    if (!key || key->account_id != account_id) return status::failure("corrupt card key");
    auto card = decode_card(it->value().ToStringView());
    if (!card) return card.error();
    if (card->card_id != key->id) return status::failure("card record under another card's key");
    if (cards.size() == limits::cards_per_account_max) return status::failure("too many cards");
    cards.push_back(std::move(card).value());
  }
  if (!it->status().ok()) return rocks_failure("cannot read cards", it->status());
  return cards;
}

expected<std::optional<hold_record>> read_hold_record(const database::impl& state,
                                                      const rocksdb::ReadOptions& read,
                                                      uint64_t account_id, uint64_t hold_id) {
  rocksdb::PinnableSlice value;
  auto got =
      state.db->Get(read, state.handle(column::holds), hold_key(account_id, hold_id), &value);
  if (got.IsNotFound()) return std::optional<hold_record>{};
  if (!got.ok()) return rocks_failure("cannot read hold", got);
  auto record = decode_hold(hold_id, value.ToStringView());
  if (!record) return record.error();
  return std::optional<hold_record>(std::move(record).value());
}

// A capture that changes nothing else does not rewrite its account's state record
// (ledger::needs_state_record): the hold's closed record, written with its journal entry,
// says the hold is no longer open. So, when the journal has entries after the state, an
// open hold of the record with a closed record is closed. One MultiGet for all of them, in
// key order (an account's hold keys are adjacent).
status apply_closed_holds(const database::impl& state, const rocksdb::ReadOptions& read,
                          account& acct) {
  if (!acct.holds) return status::success();
  std::vector<uint64_t> ids;
  ids.reserve(acct.holds->size());
  for (const auto& hold : *acct.holds)
    ids.push_back(hold.hold_id());
  std::sort(ids.begin(), ids.end());  // big-endian keys: in key order
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const uint64_t hold_id : ids)
    keys.push_back(hold_key(acct.id, hold_id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> got(ids.size());
  state.db->MultiGet(read, state.handle(column::holds), ids.size(), slices.data(), values.data(),
                     got.data(), /*sorted_input=*/true);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (got[i].IsNotFound()) continue;
    if (!got[i].ok()) return rocks_failure("cannot read hold", got[i]);
    auto record = decode_hold(ids[i], values[i].ToStringView());
    if (!record) return record.error();
    if (record->state != hold_state::open) close_recorded_hold(acct, ids[i]);
  }
  return status::success();
}

// A debit or capture that changes nothing but the balance (and closes its hold) does not
// rewrite its account's state record (docs/storage.md, "the journal tail"): the record is
// as of its journal_seq, and every journal entry after that is such a debit or capture. So
// the account's balance and journal_seq are those of its last journal entry, when that
// entry is newer than the record, and the holds captured since are closed by their records
// (apply_closed_holds). An account whose state is as new as its journal, as after a mass
// authorisation whose holds expire later, needs neither.
status apply_journal_tail(const database::impl& state, const rocksdb::ReadOptions& read,
                          account& acct) {
  bounded_iterator it(state, read, column::journal, account_key(acct.id),
                      account_range_end(acct.id));
  it->SeekToLast();
  if (!it->Valid()) {
    if (!it->status().ok()) return rocks_failure("cannot read journal", it->status());
    if (acct.journal_seq != 0) return status::failure("account state names a missing journal");
    return status::success();
  }
  auto key = parse_pair_key(it->key().ToStringView());
  if (!key || key->account_id != acct.id) return status::failure("corrupt journal key");
  if (key->id < acct.journal_seq) return status::failure("journal shorter than account state");
  if (key->id == acct.journal_seq) return status::success();
  auto entry = decode_journal_entry(key->account_id, key->id, it->value().ToStringView());
  if (!entry) return entry.error();
  if (entry->kind != entry_kind::debit && entry->kind != entry_kind::capture)
    return status::failure("a journal entry other than a debit or capture after the account state");
  if (auto closed = apply_closed_holds(state, read, acct); !closed.ok()) return closed;
  if (entry->kind == entry_kind::capture && find_open_hold(acct, entry->reference) != nullptr)
    return status::failure("a capture after the account state of a hold it still has open");
  acct.balance = entry->balance_after;
  acct.journal_seq = entry->seq;
  return status::success();
}

expected<std::optional<account>> load_account_at(const database::impl& state, uint64_t account_id,
                                                 const rocksdb::ReadOptions& read) {
  rocksdb::PinnableSlice value;
  auto got = state.db->Get(read, state.handle(column::accounts), account_key(account_id), &value);
  if (got.IsNotFound()) return std::optional<account>{};
  if (!got.ok()) return rocks_failure("cannot read account", got);
  auto decoded = decode_account_state(value.ToStringView());
  if (!decoded) return decoded.error();
  if (decoded->acct.id != account_id) return status::failure("account record under another id");
  std::vector<stored_card> cards;
  if (decoded->card_count > 0) {
    auto read_back = read_cards(state, account_id, read);
    if (!read_back) return read_back.error();
    cards = std::move(read_back).value();
  }
  auto assembled = assemble_account(std::move(decoded).value(), std::move(cards));
  if (!assembled) return assembled.error();
  if (auto tail = apply_journal_tail(state, read, *assembled); !tail.ok()) return tail;
  return std::optional<account>(std::move(assembled).value());
}

}  // namespace

expected<std::optional<account>> database::load_account(uint64_t account_id) const {
  // The state, its cards and its journal tail must come from one point in time.
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  return load_account_at(*impl_, account_id, read);
}

expected<std::optional<credentials>> database::load_credentials(uint64_t account_id) const {
  rocksdb::PinnableSlice value;
  auto got = impl_->db->Get(rocksdb::ReadOptions(), impl_->handle(column::credentials),
                            account_key(account_id), &value);
  if (got.IsNotFound()) return std::optional<credentials>{};
  if (!got.ok()) return rocks_failure("cannot read credentials", got);
  auto decoded = decode_credentials(value.ToStringView());
  if (!decoded) return decoded.error();
  return std::optional<credentials>(std::move(decoded).value());
}

namespace {
// One debit record's point read with `read`: not stored, the record validated, or the
// failure (an Incomplete of a cache-only read among them: find_debit_in_memory checks first).
expected<std::optional<debit_record>> read_debit(const database::impl& state,
                                                 const rocksdb::ReadOptions& read,
                                                 uint64_t account_id, uint64_t debit_id,
                                                 bool& incomplete) {
  rocksdb::PinnableSlice value;
  auto got =
      state.db->Get(read, state.handle(column::debits), debit_key(account_id, debit_id), &value);
  incomplete = got.IsIncomplete();
  if (got.IsNotFound() || incomplete) return std::optional<debit_record>{};
  if (!got.ok()) return rocks_failure("cannot read debit", got);
  auto record = decode_debit(debit_id, value.ToStringView());
  if (!record) return record.error();
  return std::optional<debit_record>(std::move(record).value());
}
}  // namespace

expected<debit_in_memory> database::find_debit_in_memory(uint64_t account_id,
                                                         uint64_t debit_id) const {
  rocksdb::ReadOptions read;
  read.read_tier = rocksdb::kBlockCacheTier;
  bool incomplete = false;
  auto found = read_debit(*impl_, read, account_id, debit_id, incomplete);
  if (!found) return found.error();
  debit_in_memory answer;
  answer.answered = !incomplete;
  if (*found) {
    answer.stored = true;
    answer.record = **found;
  }
  return answer;
}

expected<std::optional<debit_record>> database::find_debit(uint64_t account_id,
                                                           uint64_t debit_id) const {
  bool incomplete = false;  // never, without a read tier
  return read_debit(*impl_, rocksdb::ReadOptions(), account_id, debit_id, incomplete);
}

namespace {
// The highest id stored under the account in `family` (keyed account, id), 0 when none.
expected<uint64_t> highest_id(const database::impl& state, column family, uint64_t account_id,
                              const char* what) {
  bounded_iterator it(state, rocksdb::ReadOptions(), family, account_key(account_id),
                      account_range_end(account_id));
  it->SeekToLast();
  if (!it->Valid()) {
    if (!it->status().ok()) return rocks_failure(std::string("cannot read ") + what, it->status());
    return uint64_t{0};
  }
  auto key = parse_pair_key(it->key().ToStringView());
  if (!key || key->account_id != account_id) {
    return status::failure(std::string("corrupt key in ") + what);
  }
  return key->id;
}
}  // namespace

expected<uint64_t> database::highest_debit_id(uint64_t account_id) const {
  return highest_id(*impl_, column::debits, account_id, "debits");
}

expected<uint64_t> database::highest_hold_id(uint64_t account_id) const {
  return highest_id(*impl_, column::holds, account_id, "holds");
}

expected<std::optional<recharge_record>> database::find_recharge(uint64_t account_id,
                                                                 std::string_view key) const {
  // A key that could never be stored is simply not there.
  if (key.empty() || key.size() > limits::idempotency_key_length_max) {
    return std::optional<recharge_record>{};
  }
  rocksdb::PinnableSlice value;
  auto got = impl_->db->Get(rocksdb::ReadOptions(), impl_->handle(column::recharges),
                            recharge_key(account_id, key), &value);
  if (got.IsNotFound()) return std::optional<recharge_record>{};
  if (!got.ok()) return rocks_failure("cannot read recharge", got);
  auto record = decode_recharge(key, value.ToStringView());
  if (!record) return record.error();
  return std::optional<recharge_record>(std::move(record).value());
}

expected<std::optional<hold_record>> database::find_hold_record(uint64_t account_id,
                                                                uint64_t hold_id) const {
  return read_hold_record(*impl_, rocksdb::ReadOptions(), account_id, hold_id);
}

expected<std::optional<hold_record>> database::find_hold(uint64_t account_id,
                                                         uint64_t hold_id) const {
  // The account (its open holds) and the holds column from one point in time: a capture
  // writes the hold's closed record, and the account's state may still list the hold until
  // its next write (apply_closed_holds).
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  auto loaded = load_account_at(*impl_, account_id, read);
  if (!loaded) return loaded.error();
  if (*loaded) {
    if (const hold_record* open = find_open_hold(**loaded, hold_id))
      return std::optional<hold_record>(*open);
  }
  return read_hold_record(*impl_, read, account_id, hold_id);
}

namespace {

// The expiry index in order, at most `limit` entries, with `read`'s bounds and snapshot,
// from the first key or from the first key after `after`. Every entry names a non-zero
// account and hold (what put_hold writes).
status read_expiry_index(const database::impl& state, const rocksdb::ReadOptions& read,
                         size_t limit, const std::optional<hold_expiry_entry>& after,
                         std::vector<hold_expiry_entry>& entries) {
  std::unique_ptr<rocksdb::Iterator> it(
      state.db->NewIterator(read, state.handle(column::hold_expiry)));
  if (after) {
    const std::string from =
        hold_expiry_key(after->expires_at_ms, after->account_id, after->hold_id);
    it->Seek(from);
    if (it->Valid() && it->key() == rocksdb::Slice(from)) it->Next();
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid() && entries.size() < limit; it->Next()) {
    auto entry = parse_hold_expiry_key(it->key().ToStringView());
    if (!entry || entry->account_id == 0 || entry->hold_id == 0)
      return status::failure("corrupt hold expiry key");
    entries.push_back(*entry);
  }
  if (!it->status().ok()) return rocks_failure("cannot read the hold expiry index", it->status());
  return status::success();
}

}  // namespace

expected<std::vector<hold_expiry_entry>> database::due_holds(
    int64_t now_ms, size_t limit, const std::optional<hold_expiry_entry>& after) const {
  std::vector<hold_expiry_entry> due;
  if (now_ms < 0) return due;
  // Every key of an expiry at or before now_ms sorts below the first key of now_ms + 1.
  const std::string end = hold_expiry_key(now_ms + 1, 0, 0);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper;
  if (auto scanned = read_expiry_index(*impl_, read, limit, after, due); !scanned.ok())
    return scanned;
  return due;
}

expected<std::vector<journal_entry>> database::read_journal(uint64_t account_id, uint64_t from_seq,
                                                            size_t limit, bool fill_cache) const {
  const size_t count_max = std::min(limit, journal_page_max);
  const std::string end = account_range_end(account_id);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper;
  read.fill_cache = fill_cache;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(read, impl_->handle(column::journal)));
  std::vector<journal_entry> entries;
  for (it->Seek(journal_key(account_id, from_seq)); it->Valid() && entries.size() < count_max;
       it->Next()) {
    auto key = parse_pair_key(it->key().ToStringView());
    if (!key || key->account_id != account_id) return status::failure("corrupt journal key");
    auto entry = decode_journal_entry(key->account_id, key->id, it->value().ToStringView());
    if (!entry) return entry.error();
    entries.push_back(*entry);
  }
  if (!it->status().ok()) return rocks_failure("cannot read journal", it->status());
  return entries;
}

status database::for_each_open_intent(const intent_visitor& visit) const {
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(read, impl_->handle(column::intents)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = parse_pair_key(it->key().ToStringView());
    if (!key) return status::failure("corrupt intent key");
    auto intent = decode_intent(it->value().ToStringView());
    if (!intent) return intent.error();
    if (intent->charge_seq != key->id) return status::failure("intent under another charge's key");
    if (!visit(key->account_id, *intent)) return status::success();
  }
  if (!it->status().ok()) return rocks_failure("cannot scan intents", it->status());
  return status::success();
}

namespace {

// Collects the cards of `account_id` from an iterator that walks the cards column in step
// with the accounts column (both are sorted by account id).
expected<std::vector<stored_card>> cards_in_step(rocksdb::Iterator& it, uint64_t account_id) {
  std::vector<stored_card> cards;
  for (; it.Valid(); it.Next()) {
    auto key = parse_card_key(it.key().ToStringView());
    if (!key) return status::failure("corrupt card key");
    if (key->account_id < account_id) continue;  // cards of an account that is gone
    if (key->account_id > account_id) break;
    auto card = decode_card(it.value().ToStringView());
    if (!card) return card.error();
    if (cards.size() == limits::cards_per_account_max) return status::failure("too many cards");
    cards.push_back(std::move(card).value());
  }
  if (!it.status().ok()) return rocks_failure("cannot scan cards", it.status());
  return cards;
}

}  // namespace

namespace {

// The open hold records of `account_id` from an iterator that walks the holds column in step
// with the accounts column.
expected<std::vector<hold_record>> open_holds_in_step(rocksdb::Iterator& it, uint64_t account_id) {
  std::vector<hold_record> open;
  for (; it.Valid(); it.Next()) {
    auto key = parse_pair_key(it.key().ToStringView());
    if (!key) return status::failure("corrupt hold key");
    if (key->account_id < account_id) continue;  // holds of an account that is gone
    if (key->account_id > account_id) break;
    auto record = decode_hold(key->id, it.value().ToStringView());
    if (!record) return record.error();
    if (record->state == hold_state::open) open.push_back(std::move(record).value());
  }
  if (!it.status().ok()) return rocks_failure("cannot scan holds", it.status());
  return open;
}

// Every account of the snapshot in `read`, assembled; with `holds` set, each account's open
// hold records too (visit_holds), else visit.
status scan_accounts(const database::impl& state, const rocksdb::ReadOptions& read,
                     const database::account_visitor* visit,
                     const database::account_holds_visitor* visit_holds) {
  std::unique_ptr<rocksdb::Iterator> accounts(
      state.db->NewIterator(read, state.handle(column::accounts)));
  std::unique_ptr<rocksdb::Iterator> cards(
      state.db->NewIterator(read, state.handle(column::cards)));
  std::unique_ptr<rocksdb::Iterator> holds;
  if (visit_holds != nullptr) {
    holds.reset(state.db->NewIterator(read, state.handle(column::holds)));
    holds->SeekToFirst();
  }
  cards->SeekToFirst();
  for (accounts->SeekToFirst(); accounts->Valid(); accounts->Next()) {
    auto decoded = decode_account_state(accounts->value().ToStringView());
    if (!decoded) return decoded.error();
    const uint64_t id = decoded->acct.id;
    if (accounts->key().ToStringView() != account_key(id))
      return status::failure("account record under another id");
    auto owned = cards_in_step(*cards, id);
    if (!owned) return owned.error();
    auto assembled = assemble_account(std::move(decoded).value(), std::move(owned).value());
    if (!assembled) return assembled.error();
    if (auto tail = apply_journal_tail(state, read, *assembled); !tail.ok()) return tail;
    if (visit_holds == nullptr) {
      if (!(*visit)(*assembled)) return status::success();
      continue;
    }
    auto open = open_holds_in_step(*holds, id);
    if (!open) return open.error();
    if (!(*visit_holds)(*assembled, *open)) return status::success();
  }
  if (!accounts->status().ok()) return rocks_failure("cannot scan accounts", accounts->status());
  return status::success();
}

rocksdb::ReadOptions scan_options(const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.fill_cache = false;
  read.total_order_seek = true;  // walk the cards column across prefixes
  return read;
}

}  // namespace

status database::for_each_account(const account_visitor& visit) const {
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  return scan_accounts(*impl_, scan_options(snapshot.snapshot()), &visit, nullptr);
}

status database::for_each_account_with_holds(const account_holds_visitor& visit,
                                             std::vector<hold_expiry_entry>& expiry_index) const {
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  const rocksdb::ReadOptions read = scan_options(snapshot.snapshot());
  expiry_index.clear();
  auto indexed = read_expiry_index(*impl_, read, SIZE_MAX, std::nullopt, expiry_index);
  if (!indexed.ok()) return indexed;
  return scan_accounts(*impl_, read, nullptr, &visit);
}

uint64_t database::account_count() const {
  uint64_t count = 0;
  if (!impl_->db->GetIntProperty(impl_->handle(column::accounts), "rocksdb.estimate-num-keys",
                                 &count)) {
    return 0;
  }
  return count;
}

// ---- notices and webhooks (issue 18) -----------------------------------------------------

uint64_t database::last_outbox_position() const {
  return impl_->last_outbox_position.load(std::memory_order_acquire);
}

expected<std::vector<outbox_notice>> database::read_outbox(uint64_t after_position,
                                                           size_t limit) const {
  std::vector<outbox_notice> notices;
  rocksdb::ReadOptions read;
  read.fill_cache = false;  // delivery reads each notice once
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(read, impl_->handle(column::outbox)));
  for (it->Seek(to_slice(outbox_key(after_position + 1))); it->Valid() && notices.size() < limit;
       it->Next()) {
    if (it->key().size() != outbox_key_size) return status::failure("corrupt outbox key");
    auto decoded = decode_notice(read_be64(it->key().data()), it->value().ToStringView());
    if (!decoded) return decoded.error();
    notices.push_back(std::move(decoded).value());
  }
  if (!it->status().ok()) return rocks_failure("cannot read the outbox", it->status());
  return notices;
}

expected<std::vector<outbox_notice>> database::account_notices(uint64_t account_id,
                                                               uint64_t before_seq,
                                                               size_t limit) const {
  std::vector<outbox_notice> notices;
  if (before_seq == 0) return notices;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->handle(column::account_notices)));
  const std::string first = account_key(account_id);
  for (it->SeekForPrev(to_slice(account_notice_key(account_id, before_seq - 1)));
       it->Valid() && notices.size() < limit && it->key().starts_with(to_slice(first));
       it->Prev()) {
    if (it->value().size() != outbox_key_size) return status::failure("corrupt notice index");
    std::string value;
    auto got =
        impl_->db->Get(rocksdb::ReadOptions(), impl_->handle(column::outbox), it->value(), &value);
    if (!got.ok()) return rocks_failure("a notice the index names is missing", got);
    auto decoded = decode_notice(read_be64(it->value().data()), value);
    if (!decoded) return decoded.error();
    notices.push_back(std::move(decoded).value());
  }
  if (!it->status().ok()) return rocks_failure("cannot read notices", it->status());
  return notices;
}

expected<std::vector<webhook_endpoint>> database::webhooks() const {
  std::vector<webhook_endpoint> endpoints;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->handle(column::webhooks)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != webhook_key_size) return status::failure("corrupt webhook key");
    auto decoded = decode_webhook(read_be32(it->key().data()), it->value().ToStringView());
    if (!decoded) return decoded.error();
    endpoints.push_back(std::move(decoded).value());
  }
  if (!it->status().ok()) return rocks_failure("cannot read webhooks", it->status());
  return endpoints;
}

// ---- writes and maintenance --------------------------------------------------------------

namespace {
rocksdb::Status add_op(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* handle,
                       const std::string& buffer, const change_set::op& entry) {
  const rocksdb::Slice key(buffer.data() + entry.key_offset, entry.key_size);
  const rocksdb::Slice value(buffer.data() + entry.value_offset, entry.value_size);
  switch (entry.kind) {
    case change_set::op_kind::put:
      return batch.Put(handle, key, value);
    case change_set::op_kind::erase:
      return batch.Delete(handle, key);
    case change_set::op_kind::erase_range:
      return batch.DeleteRange(handle, key, value);
    case change_set::op_kind::put_notice:
      break;  // database::write gives it its position
    case change_set::op_kind::erase_due_hold_expiries:
      break;  // database::write makes the range
  }
  return rocksdb::Status::InvalidArgument("unknown change_set operation");
}

// Adds the range erase of an erase_due_hold_expiries op (its 16-byte value), ended below the
// watch's lowest entry and the group's own (lowest_in_group), or nothing for an older watch.
rocksdb::Status add_due_hold_erase(database::impl& state, rocksdb::WriteBatch& batch,
                                   std::string_view value, int64_t lowest_in_group) {
  if (value.size() != 16) return rocksdb::Status::InvalidArgument("erase_due_hold_expiries");
  const auto due_at_ms = static_cast<int64_t>(read_be64(value.data()));
  const uint64_t watch = read_be64(value.data() + 8);
  int64_t end_ms = 0;  // erase the entries with expires_at_ms < end_ms
  {
    std::lock_guard<std::mutex> lock(state.watch_mutex);
    if (watch != state.watch_number) return rocksdb::Status::OK();  // a newer watch began
    end_ms = std::min({due_at_ms + 1, state.watch_lowest, lowest_in_group});
  }
  if (end_ms <= 0) return rocksdb::Status::OK();
  return batch.DeleteRange(state.handle(column::hold_expiry), to_slice(hold_expiry_key(0, 0, 0)),
                           to_slice(hold_expiry_key(end_ms, 0, 0)));
}

struct op_position {
  size_t set = 0;
  size_t op = 0;
  bool operator==(const op_position& other) const { return set == other.set && op == other.op; }
};
struct op_position_hash {
  size_t operator()(const op_position& p) const { return p.set * 1'000'003u ^ p.op; }
};

// Account-state puts that a later put of the same account in the same batch overwrites.
// The batch is atomic, so writing only the last state of each account is the same
// outcome with fewer memtable inserts (a hot account debited 100 times in one group
// writes its state once).
std::unordered_set<op_position, op_position_hash> superseded_account_states(
    const change_set* const* sets, size_t count) {
  std::unordered_map<std::string_view, op_position> last;
  std::unordered_set<op_position, op_position_hash> superseded;
  for (size_t i = 0; i < count; ++i) {
    const auto& ops = sets[i]->ops();
    for (size_t k = 0; k < ops.size(); ++k) {
      const auto& entry = ops[k];
      if (entry.family != column::accounts || entry.kind != change_set::op_kind::put) continue;
      const std::string_view key(sets[i]->buffer().data() + entry.key_offset, entry.key_size);
      auto [it, inserted] = last.emplace(key, op_position{i, k});
      if (!inserted) {
        superseded.insert(it->second);
        it->second = op_position{i, k};
      }
    }
  }
  return superseded;
}
}  // namespace

status database::write(const change_set* const* sets, size_t count, durability mode) {
  size_t bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!sets[i]->validity().ok()) return sets[i]->validity();
    bytes += sets[i]->byte_size() + sets[i]->record_count() * 8;
  }
  const auto superseded = superseded_account_states(sets, count);
  // Puts into the puts_sorted columns go in key order: consecutive memtable inserts then share
  // most of their skiplist search path (RocksDB keeps the last insert position), which
  // matters when debits are spread over many accounts. Only puts of those columns are
  // reordered, stably, so ops on the same key keep their order; everything else (card range
  // deletions, intents) keeps the submission order. The batch is atomic either way.
  struct sorted_put {
    column family;
    std::string_view key;
    std::string_view value;
  };
  std::vector<sorted_put> puts;
  // The lowest expiry of the index entries this group puts, so far in submission order
  // (the index's ops keep that order: puts_sorted leaves them out).
  int64_t lowest_indexed = std::numeric_limits<int64_t>::max();
  uint64_t next_position = impl_->last_outbox_position.load(std::memory_order_relaxed);
  rocksdb::WriteBatch batch(bytes + 64);
  for (size_t i = 0; i < count; ++i) {
    const auto& ops = sets[i]->ops();
    const std::string& buffer = sets[i]->buffer();
    for (size_t k = 0; k < ops.size(); ++k) {
      if (superseded.count(op_position{i, k}) > 0) continue;
      const auto& entry = ops[k];
      if (puts_sorted(entry.family) && entry.kind == change_set::op_kind::put) {
        puts.push_back({entry.family,
                        {buffer.data() + entry.key_offset, entry.key_size},
                        {buffer.data() + entry.value_offset, entry.value_size}});
        continue;
      }
      if (entry.kind == change_set::op_kind::put_notice) {
        // The next outbox position, in submission order: an account's notices get
        // positions in their account_seq order.
        const std::string position = outbox_key(++next_position);
        auto added = batch.Put(impl_->handle(column::outbox), to_slice(position),
                               {buffer.data() + entry.value_offset, entry.value_size});
        if (added.ok()) {
          added = batch.Put(impl_->handle(column::account_notices),
                            {buffer.data() + entry.key_offset, entry.key_size}, to_slice(position));
        }
        if (!added.ok()) return rocks_failure("cannot build write batch", added);
        continue;
      }
      if (entry.kind == change_set::op_kind::erase_due_hold_expiries) {
        const std::string_view value(buffer.data() + entry.value_offset, entry.value_size);
        auto added = add_due_hold_erase(*impl_, batch, value, lowest_indexed);
        if (!added.ok()) return rocks_failure("cannot build write batch", added);
        continue;
      }
      if (entry.family == column::hold_expiry && entry.kind == change_set::op_kind::put) {
        const auto indexed =
            parse_hold_expiry_key({buffer.data() + entry.key_offset, entry.key_size});
        if (indexed) lowest_indexed = std::min(lowest_indexed, indexed->expires_at_ms);
      }
      auto added = add_op(batch, impl_->handle(entry.family), buffer, entry);
      if (!added.ok()) return rocks_failure("cannot build write batch", added);
    }
  }
  std::stable_sort(puts.begin(), puts.end(), [](const sorted_put& a, const sorted_put& b) {
    return a.family != b.family ? a.family < b.family : a.key < b.key;
  });
  for (const auto& put : puts) {
    auto added = batch.Put(impl_->handle(put.family), to_slice(put.key), to_slice(put.value));
    if (!added.ok()) return rocks_failure("cannot build write batch", added);
  }
  const int64_t floor = add_usage(batch, sets, count);
  if (floor < 0) return status::failure("cannot build write batch: usage");
  rocksdb::WriteOptions write_options;
  write_options.sync = mode == durability::fsync;
  write_options.disableWAL = false;  // never: the WAL is what makes an acknowledgement true
  auto written = impl_->db->Write(write_options, &batch);
  if (!written.ok()) return rocks_failure("write failed", written);
  if (lowest_indexed != std::numeric_limits<int64_t>::max()) {
    // After the write: an entry folded in before a watch began was visible before it.
    std::lock_guard<std::mutex> lock(impl_->watch_mutex);
    impl_->watch_lowest = std::min(impl_->watch_lowest, lowest_indexed);
  }
  impl_->last_outbox_position.store(next_position, std::memory_order_release);
  if (floor > impl_->clock_floor.load(std::memory_order_relaxed)) {
    impl_->clock_floor.store(floor, std::memory_order_release);
  }
  return status::success();
}

uint64_t database::begin_expiry_watch() {
  std::lock_guard<std::mutex> lock(impl_->watch_mutex);
  impl_->watch_lowest = std::numeric_limits<int64_t>::max();
  return ++impl_->watch_number;
}

int64_t database::add_usage(rocksdb::WriteBatch& batch, const change_set* const* sets,
                            size_t count) const {
  // One merge per (account, hour) of the whole group, in key order: a hot account's hundred
  // debits of one hour are one memtable insert (and the sorted order helps the memtable, as
  // for the busy columns' puts).
  std::vector<change_set::usage_delta> deltas;
  int64_t latest = 0;
  for (size_t i = 0; i < count; ++i) {
    const auto& usage = sets[i]->usage();
    deltas.insert(deltas.end(), usage.begin(), usage.end());
    latest = std::max(latest, sets[i]->latest_time_us());
  }
  std::sort(deltas.begin(), deltas.end(), [](const auto& a, const auto& b) {
    return a.account_id != b.account_id ? a.account_id < b.account_id : a.hour < b.hour;
  });
  std::string key;
  std::string value;
  for (size_t i = 0; i < deltas.size();) {
    usage_totals totals = deltas[i].totals;
    size_t next = i + 1;
    for (; next < deltas.size() && deltas[next].account_id == deltas[i].account_id &&
           deltas[next].hour == deltas[i].hour;
         ++next) {
      merge_usage(totals, deltas[next].totals);
    }
    key.clear();
    append_pair_key(key, deltas[i].account_id, static_cast<uint64_t>(deltas[i].hour));
    value.clear();
    append_usage(value, totals);
    if (!batch.Merge(impl_->handle(column::usage), to_slice(key), to_slice(value)).ok()) return -1;
    i = next;
  }
  if (latest <= impl_->clock_floor.load(std::memory_order_relaxed)) return latest;
  std::string floor;
  append_be64(floor, static_cast<uint64_t>(latest));
  if (!batch.Put(impl_->handle(column::meta), to_slice(meta_clock_floor_key), to_slice(floor))
           .ok()) {
    return -1;
  }
  return latest;
}

int64_t database::clock_floor() const {
  return impl_->clock_floor.load(std::memory_order_acquire);
}

namespace {

// The highest last_seq of the account's stored hours: its latest hour's (the tail flushes
// hours in order).
expected<uint64_t> stored_usage_as_of(const database::impl& state, uint64_t account_id,
                                      const rocksdb::ReadOptions& read) {
  bounded_iterator it(state, read, column::usage, usage_key(account_id, 0),
                      account_range_end(account_id));
  it->SeekToLast();
  if (!it->Valid()) {
    if (!it->status().ok()) return rocks_failure("cannot read usage", it->status());
    return uint64_t{0};
  }
  auto totals = decode_usage(it->value().ToStringView());
  if (!totals) return totals.error();
  return totals->last_seq;
}

expected<usage_tail> usage_tail_at(const database::impl& state, uint64_t account_id,
                                   const rocksdb::ReadOptions& read) {
  auto as_of = stored_usage_as_of(state, account_id, read);
  if (!as_of) return as_of.error();
  bounded_iterator it(state, read, column::journal, journal_key(account_id, *as_of + 1),
                      account_range_end(account_id));
  usage_tail tail;
  // Newest first: the untimed entries of a directory older than entry times come before
  // every timed one and are counted nowhere, so the first one ends the tail.
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    auto key = parse_pair_key(it->key().ToStringView());
    if (!key || key->account_id != account_id) return status::failure("corrupt journal key");
    auto entry = decode_journal_entry(key->account_id, key->id, it->value().ToStringView());
    if (!entry) return entry.error();
    if (!has_time(*entry)) break;
    if (!recount_usage_tail(tail, *entry)) {
      return status::failure("account " + std::to_string(account_id) +
                             ": the journal entries after its stored usage (as of entry " +
                             std::to_string(*as_of) +
                             ") are not a usage tail (more than one hour, or at least " +
                             std::to_string(usage_tail_entries_max) + " entries)");
    }
  }
  if (!it->status().ok()) return rocks_failure("cannot read journal", it->status());
  return tail;
}

}  // namespace

expected<std::vector<std::pair<int64_t, usage_totals>>> database::usage_hours(
    uint64_t account_id, int64_t from_hour, int64_t to_hour) const {
  std::vector<std::pair<int64_t, usage_totals>> hours;
  if (from_hour < 0 || to_hour <= from_hour) return hours;
  // The stored hours and the tail from one point in time: a write between them could
  // flush entries the tail then counted again.
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  const std::string end = usage_key(account_id, to_hour);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  rocksdb::ReadOptions bounded = read;
  bounded.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(bounded, impl_->handle(column::usage)));
  for (it->Seek(usage_key(account_id, from_hour)); it->Valid(); it->Next()) {
    auto key = parse_pair_key(it->key().ToStringView());
    if (!key || key->account_id != account_id) return status::failure("corrupt usage key");
    auto totals = decode_usage(it->value().ToStringView());
    if (!totals) return totals.error();
    hours.emplace_back(static_cast<int64_t>(key->id), *totals);
  }
  if (!it->status().ok()) return rocks_failure("cannot read usage", it->status());
  auto tail = usage_tail_at(*impl_, account_id, read);
  if (!tail) return tail.error();
  if (tail->empty() || tail->hour < from_hour || tail->hour >= to_hour) return hours;
  auto at = std::lower_bound(hours.begin(), hours.end(), tail->hour,
                             [](const auto& stored, int64_t hour) { return stored.first < hour; });
  if (at == hours.end() || at->first != tail->hour) at = hours.insert(at, {tail->hour, {}});
  merge_usage(at->second, tail->totals());
  return hours;
}

expected<usage_tail> database::read_usage_tail(uint64_t account_id) const {
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  return usage_tail_at(*impl_, account_id, read);
}

expected<std::optional<journal_entry>> database::journal_entry_at(uint64_t account_id,
                                                                  uint64_t seq) const {
  std::string value;
  auto got = impl_->db->Get(rocksdb::ReadOptions(), impl_->handle(column::journal),
                            to_slice(journal_key(account_id, seq)), &value);
  if (got.IsNotFound()) return std::optional<journal_entry>();
  if (!got.ok()) return rocks_failure("cannot read journal", got);
  auto entry = decode_journal_entry(account_id, seq, value);
  if (!entry) return entry.error();
  return std::optional<journal_entry>(*entry);
}

expected<uint64_t> database::last_journal_seq(uint64_t account_id) const {
  const std::string end = account_range_end(account_id);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(read, impl_->handle(column::journal)));
  it->SeekForPrev(journal_key(account_id, UINT64_MAX));
  if (!it->status().ok()) return rocks_failure("cannot read journal", it->status());
  if (!it->Valid()) return uint64_t{0};
  auto key = parse_pair_key(it->key().ToStringView());
  if (!key) return status::failure("corrupt journal key");
  return key->account_id == account_id ? key->id : 0;
}

expected<uint64_t> database::journal_seq_before(uint64_t account_id, int64_t at_us) const {
  auto last = last_journal_seq(account_id);
  if (!last) return last;
  // Entry times never decrease with seq (untimed ones come first): find the last entry
  // with time_us < at_us by bisection, about 20 point reads for a million entries.
  uint64_t low = 0;  // entries 1..low are before at_us
  uint64_t high = *last;
  while (low < high) {
    const uint64_t middle = low + (high - low + 1) / 2;
    auto entry = journal_entry_at(account_id, middle);
    if (!entry) return entry.error();
    if (!*entry) return status::failure("journal has a gap at seq " + std::to_string(middle));
    if (has_time(**entry) && (*entry)->time_us >= at_us) {
      high = middle - 1;
    } else {
      low = middle;
    }
  }
  return low;
}

expected<money> database::balance_at(uint64_t account_id, int64_t at_us) const {
  auto seq = journal_seq_before(account_id, at_us);
  if (!seq) return seq.error();
  if (*seq == 0) return money{};
  auto entry = journal_entry_at(account_id, *seq);
  if (!entry) return entry.error();
  if (!*entry) return status::failure("journal entry vanished");
  return (*entry)->balance_after;
}

status database::checkpoint(const std::string& directory) const {
  rocksdb::Checkpoint* raw = nullptr;
  auto created = rocksdb::Checkpoint::Create(impl_->db.get(), &raw);
  if (!created.ok()) return rocks_failure("cannot start checkpoint", created);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  auto made = checkpoint->CreateCheckpoint(directory);
  return made.ok() ? status::success()
                   : rocks_failure("checkpoint to " + directory + " failed", made);
}

status database::flush() {
  std::vector<rocksdb::ColumnFamilyHandle*> handles(impl_->handles.begin(), impl_->handles.end());
  auto flushed = impl_->db->Flush(rocksdb::FlushOptions(), handles);
  return flushed.ok() ? status::success() : rocks_failure("flush failed", flushed);
}

std::optional<std::string> database::property(std::string_view column_name_text,
                                              std::string_view name) const {
  auto family = column_by_name(column_name_text);
  if (!family) return std::nullopt;
  std::string value;
  if (!impl_->db->GetProperty(impl_->handle(*family), to_slice(name), &value)) return std::nullopt;
  return value;
}

}  // namespace ledger::storage
