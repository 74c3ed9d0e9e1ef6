#pragma once
// Usage at a glance (issue 19): what an account's journal entries add up to per UTC hour.
//
// Storage keeps one usage_totals per (account, hour) that has entries, updated by RocksDB
// merges in the same writes as the entries (through each account's usage tail, below), so
// "what did I spend yesterday?" and a month's statement read at most 24 x 31 small records
// and fewer than 64 journal entries, never the whole journal.
// Days are sums of their hours. Pure: the functions here are also the reference that tests
// and `ledgerctl verify` recompute from the journal.
//
// Entries written before entries carried a time (time_us == 0) belong to no hour: they are
// counted nowhere and come before every timed entry (docs/decisions.md, "time on entries").

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "ledger/journal.hpp"
#include "ledger/limits.hpp"
#include "ledger/money.hpp"

namespace ledger {

inline constexpr int64_t micros_per_hour = 3'600'000'000LL;
inline constexpr int64_t hours_per_day = 24;
inline constexpr int64_t micros_per_day = micros_per_hour * hours_per_day;

// What the journal entries of one account in one period add up to. Amounts in micro-dollars,
// in 128 bits: an hour of an account can hold any number of entries of up to
// limits::amount_max_micros each.
struct usage_totals {
  // Usage: debits and captured holds ("calls and messages"). Spent is positive.
  uint64_t debit_count = 0;
  wide_sum debit_micros = 0;
  // Automatic and manual recharges, credited.
  uint64_t recharge_count = 0;
  wide_sum recharge_micros = 0;
  // Support's adjustments, signed.
  uint64_t adjustment_count = 0;
  wide_sum adjustment_micros = 0;
  // The last entry counted (its journal seq) and the balance after it: the period's closing
  // balance. 0: nothing counted.
  uint64_t last_seq = 0;
  money closing_balance;

  bool empty() const { return last_seq == 0; }
  // The change of the balance over the period: recharges + adjustments - usage.
  wide_sum net_micros() const { return recharge_micros + adjustment_micros - debit_micros; }

  friend bool operator==(const usage_totals& a, const usage_totals& b) {
    return a.debit_count == b.debit_count && a.debit_micros == b.debit_micros &&
           a.recharge_count == b.recharge_count && a.recharge_micros == b.recharge_micros &&
           a.adjustment_count == b.adjustment_count && a.adjustment_micros == b.adjustment_micros &&
           a.last_seq == b.last_seq && a.closing_balance == b.closing_balance;
  }
  friend bool operator!=(const usage_totals& a, const usage_totals& b) { return !(a == b); }
};

// The hour (since the Unix epoch, UTC) of a time in microseconds; the day likewise.
// Times are non-negative (journal times are; 0 has no hour: see has_time).
inline int64_t hour_of(int64_t time_us) {
  return time_us / micros_per_hour;
}
inline int64_t day_of(int64_t time_us) {
  return time_us / micros_per_day;
}
inline bool has_time(const journal_entry& entry) {
  return entry.time_us > 0;
}

// Adds one entry (of any kind) to `totals`.
void count_entry(usage_totals& totals, const journal_entry& entry);
// The totals of one entry alone: what storage merges into the entry's hour.
usage_totals totals_of(const journal_entry& entry);
// Adds `more` to `into`: counts and sums add; the closing balance is the one of the higher
// last_seq. Associative and commutative, as a RocksDB merge operator must be.
void merge_usage(usage_totals& into, const usage_totals& more);

// ---- the usage tail (docs/storage.md, "the usage tail") ----
// An account actor does not merge every entry into its hour at once: that was one more
// random-key memtable insert per debit, the writer's largest cost (docs/performance.md,
// "Usage"). It keeps the totals of its latest entries here and merges them into their hour's
// stored record, in the same write as an entry, when the tail reaches
// usage_tail_entries_max entries or the next entry falls in another hour. So the stored
// hours are "as of" the highest last_seq they hold, and the timed journal entries after it
// (fewer than usage_tail_entries_max, all in one hour) are the tail, which a reader adds
// from the journal and an activated account recounts (database::usage_tail).
inline constexpr uint32_t usage_tail_entries_max = 64;

// At most usage_tail_entries_max entries of one hour: 64-bit sums and 16-bit counts suffice,
// so a resident account pays 64 bytes for its tail (docs/performance.md, memory per account).
struct usage_tail {
  int64_t hour = 0;
  int64_t debit_micros = 0;  // spent, positive
  int64_t recharge_micros = 0;
  int64_t adjustment_micros = 0;
  uint64_t last_seq = 0;
  money closing_balance;
  uint16_t debit_count = 0;
  uint16_t recharge_count = 0;
  uint16_t adjustment_count = 0;

  uint32_t entries() const {
    return uint32_t{debit_count} + uint32_t{recharge_count} + uint32_t{adjustment_count};
  }
  bool empty() const { return entries() == 0; }
  usage_totals totals() const;
};
static_assert(usage_tail_entries_max >= 2,
              "an hour change flushes the old tail and starts one of one entry");
static_assert(usage_tail_entries_max <= std::numeric_limits<uint16_t>::max());
static_assert(int64_t{usage_tail_entries_max} * limits::amount_max_micros <
                  std::numeric_limits<int64_t>::max(),
              "a tail's sums fit in 64 bits");
static_assert(sizeof(usage_tail) <= 64, "a resident account's tail: one 64-byte allocation");

// What a tail hands to storage: totals to merge into an hour's record.
struct usage_flush {
  int64_t hour = 0;
  usage_totals totals;
};

// Adds one timed entry (has_time) to `tail`, whose entries all precede it. Returns what to
// merge in the entry's write: the old tail when the entry starts another hour (the entry then
// starts the new tail), or the whole tail, the entry included, when it reaches
// usage_tail_entries_max entries; nullopt otherwise.
std::optional<usage_flush> advance_usage_tail(usage_tail& tail, const journal_entry& entry);
// Adds one timed entry to a tail being recounted from the journal, in any order (storage
// reads it newest first), without flushing: false when the entry is of another hour or the
// tail is full, which the invariant above rules out (a reader reports it as corruption).
bool recount_usage_tail(usage_tail& tail, const journal_entry& entry);

// The reference: the totals of the timed entries with from_us <= time_us < to_us.
usage_totals usage_between(const std::vector<journal_entry>& entries, int64_t from_us,
                           int64_t to_us);

// A statement of one period (issue 19): the balance before it, what happened in it, the
// balance after. It reconciles when opening + net == closing.
struct statement {
  int64_t from_us = 0;
  int64_t to_us = 0;
  money opening_balance;
  usage_totals totals;
  money closing_balance;

  bool reconciles() const {
    return wide_sum{opening_balance.micros()} + totals.net_micros() ==
           wide_sum{closing_balance.micros()};
  }
};

// The balance after every entry with time_us < at_us (untimed entries count as before every
// time), given an account's whole journal in seq order: the reference for balance-as-of.
money balance_at(const std::vector<journal_entry>& entries, int64_t at_us);

}  // namespace ledger
