#pragma once
// recent_debit_ids: the highest debit ids an account holds, stored or in flight, so that a
// debit id below the highest needs no storage lookup when it is above the lowest one kept
// (issue 20, item 4). No CAF.
//
// Usage platforms mint time-ordered debit ids on several nodes (or connections), so an
// account's debits arrive a little out of order: one from a lagging node has an id below
// the account's highest, and only storage could say whether it is a retry. Keeping the
// `capacity` highest ids answers that for every id above the lowest kept one.
//
// Invariant: every debit id the account holds (stored or in flight) that is >= floor() is
// kept. It starts from the highest id alone (what one seek in storage tells; the floor is
// 0 when the account held none, so every id it then takes is kept), and grows with each
// new debit above the floor; the lowest kept id drops out when a higher one comes in past
// `capacity`, which only raises the floor.

#include <array>
#include <cstddef>
#include <cstdint>

#include "ledger/assert.hpp"

namespace actors {

class recent_debit_ids {
 public:
  // Ids kept; with the floor, the whole structure is one 64-byte allocation per account that
  // knows its ids.
  static constexpr size_t capacity = 7;

  // `highest`: the highest debit id the account holds, 0 when it holds none. Debit ids are
  // positive (ledger::apply_debit refuses 0), so 0 marks an empty slot.
  explicit recent_debit_ids(uint64_t highest) : floor_(highest) { ids_[0] = highest; }

  // The highest debit id held; 0: none.
  uint64_t highest() const { return ids_[0]; }

  // Every held id at or above it is kept: the lowest id kept, or 0 while every id the
  // account holds is kept (it held none when its ids were learned, and none dropped out).
  uint64_t floor() const { return floor_; }

  // True when the account certainly does not hold `debit_id`: above the highest, or above
  // the floor and not kept. False: only storage (or the in-flight window) can tell.
  bool certainly_new(uint64_t debit_id) const {
    if (debit_id > ids_[0]) return true;
    if (debit_id <= floor_) return false;
    return !kept(debit_id);
  }

  // A debit the account did not hold was applied: it is in flight now. An id at or below
  // the floor is not kept (keeping it would lower the floor past ids that are not kept).
  void add(uint64_t debit_id) {
    LEDGER_ASSERT(debit_id != 0 && !kept(debit_id));
    if (debit_id <= floor_) return;
    const size_t n = count();
    if (n == capacity && debit_id < ids_[capacity - 1]) {
      // All kept until now (floor 0), no room, and below every kept id: it is the one left
      // out, so the floor rises to the lowest kept.
      floor_ = ids_[capacity - 1];
      return;
    }
    // Insert in descending order; past capacity the lowest drops out and the floor rises
    // to the lowest still kept.
    size_t at = n < capacity ? n : capacity - 1;
    for (; at > 0 && ids_[at - 1] < debit_id; --at)
      ids_[at] = ids_[at - 1];
    ids_[at] = debit_id;
    if (n == capacity) floor_ = ids_[capacity - 1];
  }

 private:
  size_t count() const {
    size_t n = 0;
    while (n < capacity && ids_[n] != 0)
      ++n;
    return n;
  }

  bool kept(uint64_t debit_id) const {
    for (const uint64_t id : ids_) {
      if (id == debit_id) return true;
    }
    return false;
  }

  std::array<uint64_t, capacity> ids_{};  // descending; 0 after the last id kept
  uint64_t floor_ = 0;
};
static_assert(sizeof(recent_debit_ids) == 64, "one cache line, one jemalloc size class");

}  // namespace actors
