#include "actors/debit_batch.hpp"

#include <caf/all.hpp>

namespace actors {

void result_batcher::add(const caf::actor& reply_to, uint64_t batch_id,
                         std::vector<debit_outcome>&& results) {
  // Newest first: consecutive completions usually belong to the same batch.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->batch_id == batch_id && it->reply_to == reply_to) {
      it->results.insert(it->results.end(), results.begin(), results.end());
      return;
    }
  }
  entries_.push_back(entry{reply_to, batch_id, std::move(results)});
}

void result_batcher::flush() {
  for (auto& e : entries_) {
    caf::anon_send(e.reply_to, debit_group_results{e.batch_id, std::move(e.results)});
  }
  entries_.clear();
}

}  // namespace actors
