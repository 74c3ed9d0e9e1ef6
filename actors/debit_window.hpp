#pragma once
// debit_window: an account's debits that are applied but not yet durable, so that a retry
// of one of them sees it although storage does not yet. No CAF.
//
// One flat vector in submission order (so in the writer's ticket order), forgotten from the
// front as the writer's durable ticket passes them. It replaced an unordered_map plus a
// list of per-write id vectors: under uniform load almost every debit lands on an account
// whose last write finished long ago, and each of those separate allocations was a cache
// miss when the account looked at its window again (docs/performance.md). Small windows
// are searched linearly; a hot account with many debits in flight gets a hash index.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "ledger/account.hpp"
#include "ledger/assert.hpp"

namespace actors {

class debit_window {
 public:
  // Added while its write is being put together; the ticket comes with submitted().
  void add(const ledger::debit_record& record) {
    entries_.push_back(entry{record, 0});
    if (index_) (*index_)[record.debit_id] = first_ + entries_.size() - 1;
  }

  // The writer accepted the change_set holding every debit added since the last call, and
  // gave it `ticket`. A write with no debits in it (only refusals) still calls this: what
  // it answers waits for the earlier writes, and so does anything_undurable().
  void submitted(uint64_t ticket) {
    // The writer hands out tickets in increasing order, and an account submits in order.
    LEDGER_ASSERT(ticket > last_ticket_);
    for (auto it = entries_.rbegin(); it != entries_.rend() && it->ticket == 0; ++it)
      it->ticket = ticket;
    last_ticket_ = ticket;
  }

  const ledger::debit_record* find(uint64_t debit_id) const {
    if (entries_.size() > linear_search_max && !index_) build_index();
    if (index_) {
      auto it = index_->find(debit_id);
      return it == index_->end() ? nullptr : &entries_[it->second - first_].record;
    }
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (it->record.debit_id == debit_id) return &it->record;
    }
    return nullptr;
  }

  // Drops what the writer has made durable (tickets <= durable): storage answers for it.
  void forget(uint64_t durable) {
    if (entries_.empty() && last_ticket_ == 0) return;
    const bool all_submitted = entries_.empty() || entries_.back().ticket != 0;
    if (last_ticket_ != 0 && last_ticket_ <= durable && all_submitted) {
      entries_.clear();
      entries_.shrink_to_fit();
      index_.reset();
      first_ = 0;
      last_ticket_ = 0;
      return;
    }
    size_t n = 0;
    while (n < entries_.size() && entries_[n].ticket != 0 && entries_[n].ticket <= durable)
      ++n;
    if (n == 0) return;
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n));
    first_ += n;
    index_.reset();  // rebuilt on the next search if still large
  }

  // The highest debit id in the window, 0 when empty.
  uint64_t highest_debit_id() const {
    uint64_t highest = 0;
    for (const auto& e : entries_)
      highest = std::max(highest, e.record.debit_id);
    return highest;
  }

  // Something submitted is not yet durable, as of the last forget().
  bool anything_undurable() const { return last_ticket_ != 0; }
  bool empty() const { return entries_.empty() && last_ticket_ == 0; }
  size_t size() const { return entries_.size(); }

 private:
  static constexpr size_t linear_search_max = 32;

  struct entry {
    ledger::debit_record record;
    uint64_t ticket = 0;  // 0 until submitted()
  };

  void build_index() const {
    index_ = std::make_unique<std::unordered_map<uint64_t, size_t>>();
    index_->reserve(entries_.size());
    for (size_t i = 0; i < entries_.size(); ++i)
      (*index_)[entries_[i].record.debit_id] = first_ + i;
  }

  std::vector<entry> entries_;
  // Positions in index_ count from the first entry ever added since the window was last
  // empty, so that forgetting from the front does not renumber the others.
  size_t first_ = 0;
  uint64_t last_ticket_ = 0;
  mutable std::unique_ptr<std::unordered_map<uint64_t, size_t>> index_;
};

}  // namespace actors
