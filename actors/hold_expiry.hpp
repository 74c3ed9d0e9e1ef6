#pragma once
// The hold expiry sweep (SPEC 11): releases holds that were neither captured nor released
// by their expiry, durably, also those of passivated accounts and across restarts.
//
// Expiry is an absolute time stored with each open hold and in storage's expiry index
// (column hold_expiry, sorted by time). Every sweep interval, and at once after a start,
// the sweep asks a storage reader for the index entries due now (at most
// hold_sweep_page_max, earliest first), and sends each account named a
// commands::expire_holds with them, through the directory like any other command. The
// account releases what is due in one write that also removes the index entries; when the
// page was full the next sweep starts as soon as every account answered. Debits never wait
// for it: the sweep reads on a reader and the accounts handle its commands between others.

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>

#include "actors/directory.hpp"
#include "actors/messages.hpp"

namespace actors {

class storage_readers;

// Reacts to its own timer only.
using hold_expiry_actor = caf::typed_actor<caf::reacts_to<sweep_atom>>;

// Starts sweeping at once. `readers` must outlive the actor (the node's do).
hold_expiry_actor spawn_hold_expiry(caf::actor_system& system, directory accounts,
                                    const storage_readers* readers,
                                    std::chrono::milliseconds interval);

}  // namespace actors
