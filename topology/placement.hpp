#pragma once

#include <cstdint>
#include <string>
#include <vector>

// Where an entity lives: pure functions, the same on every node.
namespace troupe::topology {

// The shard of an entity key, in [0, shards).
int shard_of(std::uint64_t key, int shards);

// The key of an entity named by a string (an account's or a saga's id):
// FNV-1a, the same on every node and build. An id `group.rest` has the key
// of `group`: entities that work together share a shard, so their messages
// stay on one node (an order saga is named after its client's account).
std::uint64_t key_of(const std::string& id);

// The member that should own `shard`: highest rendezvous score over the
// members' names. Names, not addresses or incarnations, so that a restarted
// node gets its own shards back; removing a member moves only its shards.
// Empty when there are no members.
std::string rendezvous_owner(int shard, const std::vector<std::string>& members);

} // namespace troupe::topology
