#include "actors/debit_batch.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <iterator>
#include <utility>

#include "ledger/assert.hpp"

namespace actors {

void result_batcher::check_thread() {
  if (owner_ == std::thread::id{}) owner_ = std::this_thread::get_id();
  LEDGER_ASSERT(owner_ == std::this_thread::get_id());
}

uint64_t hold_id_of(const hold_command& cmd) {
  if (const auto* c = std::get_if<commands::authorize_hold>(&cmd)) return c->request.hold_id;
  if (const auto* c = std::get_if<commands::capture_hold>(&cmd)) return c->hold_id;
  if (const auto* c = std::get_if<commands::extend_hold>(&cmd)) return c->extension.hold_id;
  if (const auto* c = std::get_if<commands::release_hold>(&cmd)) return c->hold_id;
  return 0;
}

void result_batcher::add(const caf::actor& reply_to, uint64_t batch_id,
                         std::vector<debit_outcome>&& results, std::vector<hold_outcome>&& holds) {
  check_thread();
  // Newest first: consecutive completions usually belong to the same batch.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->batch_id == batch_id && it->reply_to == reply_to) {
      it->results.insert(it->results.end(), results.begin(), results.end());
      it->holds.insert(it->holds.end(), std::make_move_iterator(holds.begin()),
                       std::make_move_iterator(holds.end()));
      return;
    }
  }
  entries_.push_back(entry{reply_to, batch_id, std::move(results), std::move(holds)});
}

void result_batcher::flush() {
  check_thread();
  // One bundle per front end (there are a handful: the stream server, HTTP requests).
  std::vector<std::pair<caf::actor, debit_results_bundle>> bundles;
  for (auto& e : entries_) {
    auto it = std::find_if(bundles.begin(), bundles.end(),
                           [&](const auto& b) { return b.first == e.reply_to; });
    if (it == bundles.end()) {
      bundles.emplace_back(e.reply_to, debit_results_bundle{});
      it = std::prev(bundles.end());
    }
    it->second.groups.push_back(
        debit_group_results{e.batch_id, std::move(e.results), std::move(e.holds)});
  }
  entries_.clear();
  for (auto& [reply_to, bundle] : bundles)
    caf::anon_send(reply_to, std::move(bundle));
}

}  // namespace actors
