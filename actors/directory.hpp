#pragma once
// The directory: which account actors are resident, split into shards by account id.
// A shard activates an account on first use (its storage reader loads it while the shard
// goes on routing; the account's messages wait in the shard meanwhile), forwards every
// routed message to it in arrival order, and passivates it when it reports idle with
// nothing left in flight, or when the shard holds more than its resident maximum.
//
// Passivation never loses or reorders a message: an account reports (idle, id, n) with n
// the number of routed messages it has received; the shard passivates it only if it has
// forwarded exactly n, so a message on its way keeps the actor alive.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "actors/account_actor.hpp"
#include "actors/interfaces.hpp"

namespace actors {

struct directory_options {
  size_t shard_count = shard_count_default;
  size_t resident_accounts_max = resident_accounts_max_default;  // over all shards
};

// Front ends hold a directory and send to route(id); it is a cheap value to copy.
class directory {
 public:
  directory() = default;
  directory(caf::actor_system& system, std::shared_ptr<const account_context> context,
            const directory_options& options);

  // The shard to send an account's messages to (its interface: interfaces.hpp).
  const shard_actor& route(uint64_t account_id) const { return shards_[shard_of(account_id)]; }
  // The index in shards() of the shard that owns `account_id`.
  size_t shard_of(uint64_t account_id) const { return account_id % shards_.size(); }
  const std::vector<shard_actor>& shards() const { return shards_; }

 private:
  std::vector<shard_actor> shards_;
};

}  // namespace actors
