#pragma once

#include "tests/support/test_cluster.hpp"

namespace troupe::testing {

// Every node answers and sees every other up, and each view gives every
// shard to the node that rendezvous placement over all of them picks, which
// claims it as its own. Shards a node took while it saw fewer peers have been
// handed over by then, so none moves again while every node lives.
bool shards_at_their_final_owners(test_cluster& c);

// Waits, as Catch REQUIREs, until the shards are at their final owners and
// every node's identity actor answers: from then on, while every node
// lives, a request meets no shard on the move.
void wait_until_settled(test_cluster& c);

} // namespace troupe::testing
