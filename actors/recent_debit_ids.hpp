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
// kept. It starts from the highest id alone (what one seek in storage tells), and grows
// with each new debit above the floor; the lowest kept id drops out when a higher one
// comes in past `capacity`, which only raises the floor.

#include <array>
#include <cstddef>
#include <cstdint>

#include "ledger/assert.hpp"

namespace actors {

class recent_debit_ids {
 public:
  // Ids kept; the whole structure is one 64-byte allocation per account that knows its ids.
  static constexpr size_t capacity = 8;

  // `highest`: the highest debit id the account holds, 0 when it holds none. Debit ids are
  // positive (ledger::apply_debit refuses 0), so 0 marks an empty slot.
  explicit recent_debit_ids(uint64_t highest) { ids_[0] = highest; }

  // The highest debit id held; 0: none.
  uint64_t highest() const { return ids_[0]; }

  // The lowest id kept: every held id at or above it is kept. 0 when none is held.
  uint64_t floor() const { return ids_[count() == 0 ? 0 : count() - 1]; }

  // True when the account certainly does not hold `debit_id`: nothing is held, or it is
  // above the floor and not kept. False: only storage (or the in-flight window) can tell.
  bool certainly_new(uint64_t debit_id) const {
    const size_t n = count();
    if (n == 0 || debit_id > ids_[0]) return true;
    if (debit_id <= ids_[n - 1]) return false;
    for (size_t i = 0; i + 1 < n; ++i) {
      if (ids_[i] == debit_id) return false;
    }
    return true;
  }

  // A debit the account did not hold was applied: it is in flight now. An id below the
  // floor is not kept (keeping it would lower the floor past ids that are not kept).
  void add(uint64_t debit_id) {
    LEDGER_ASSERT(debit_id != 0);
    const size_t n = count();
    if (n > 0 && debit_id <= ids_[n - 1]) return;
    // Insert in descending order; past capacity the lowest drops out.
    size_t at = n < capacity ? n : capacity - 1;
    for (; at > 0 && ids_[at - 1] < debit_id; --at)
      ids_[at] = ids_[at - 1];
    LEDGER_ASSERT(at == 0 || ids_[at - 1] != debit_id);
    ids_[at] = debit_id;
  }

 private:
  size_t count() const {
    size_t n = 0;
    while (n < capacity && ids_[n] != 0)
      ++n;
    return n;
  }

  std::array<uint64_t, capacity> ids_{};  // descending; 0 after the last id kept
};
static_assert(sizeof(recent_debit_ids) == 64, "one cache line, one jemalloc size class");

}  // namespace actors
