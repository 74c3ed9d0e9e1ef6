#pragma once
// node_client: blocking calls from an HTTP request thread to the actors, each bounded by a
// timeout. The only code of the HTTP API that includes caf/all.hpp (in its .cpp), so the
// route handlers compile without CAF's heavy headers.
//
// Every call creates its own caf::scoped_actor, so concurrent request threads never share a
// mailbox, and a reply that arrives after its timeout goes to an actor that is gone.

#include <caf/fwd.hpp>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "actors/debit_batch.hpp"
#include "actors/messages.hpp"
#include "ledger/card.hpp"

namespace actors {
class node;
}

namespace server {

// How a blocking call ended when it did not bring an answer.
enum class call_failure : uint8_t {
  none,
  timeout,  // no answer within the timeout; the command may still be applied
  failed,   // the actor is gone or refused the message (a bug or a stopping node)
};

template <class T>
struct call_result {
  std::optional<T> answer;
  call_failure failure = call_failure::none;
};

class node_client {
 public:
  node_client(caf::actor_system& system, actors::node& node, std::chrono::milliseconds timeout)
      : system_(system), node_(node), timeout_(timeout) {}

  // (command_atom, account_request) -> account_reply.
  call_result<actors::account_reply> command(uint64_t account_id, actors::command cmd) const;

  // Sends the debits the way the stream does (one debit_group per shard, each account's
  // debits in order; actors/debit_batch.hpp) and collects the outcomes by index until all
  // are in or the timeout passes. The result has one entry per debit, in order; nullopt
  // where no outcome came in time. Indexes are assigned here.
  std::vector<std::optional<actors::debit_outcome>> debit(
      std::vector<actors::debit_item> debits) const;
  // Hold operations (credit control) the same way, answered by hold_outcomes.
  std::vector<std::optional<actors::hold_outcome>> holds(
      std::vector<actors::hold_item> operations) const;

  // (tokenize_atom, card_input, year_month) -> (error_code, stored_card).
  call_result<std::pair<ledger::error_code, ledger::stored_card>> tokenize(
      const ledger::card_input& card, ledger::year_month today) const;

 private:
  struct group_answers {
    std::vector<std::optional<actors::debit_outcome>> debits;
    std::vector<std::optional<actors::hold_outcome>> holds;
  };
  // Sends one group per shard (those with anything in them) and collects `debits` debit
  // outcomes and `holds` hold outcomes by index, until all are in or the timeout passes.
  group_answers send_groups(std::vector<actors::debit_group> groups, size_t debits,
                            size_t holds) const;

  caf::actor_system& system_;
  actors::node& node_;
  std::chrono::milliseconds timeout_;
};

}  // namespace server
