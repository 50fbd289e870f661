#pragma once

#include <caf/atom.hpp>

// Every message of the Kafka bridge that other domains see.
namespace troupe::bridge {

// A consumed event, from its subscription's consumer to the subscription's
// host actor on the node that owns the key (through the shard region):
//   (consume_atom, subscription, key, event_id, type, occurred_at, data)
//       all std::string, `data` a JSON object's text
//       -> bool: true when applied, false when it had been (nothing changed)
// errc::invalid_argument (or errc::not_found): the event can never be
// handled, and goes to dead_letters; any other error is retried.
using consume_atom = caf::atom_constant<caf::atom("consume")>;

} // namespace troupe::bridge
