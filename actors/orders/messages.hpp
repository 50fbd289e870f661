#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

// Every message of orders. The order service runs on every node under
// orders_name:
//   (caf::add_atom, order)   -> order, pending; adding an existing id returns it
//   (confirm_atom, id)       -> order, confirmed (paid)
//   (reject_atom, id)        -> order, rejected
namespace troupe::orders {

using confirm_atom = caf::atom_constant<caf::atom("confirm")>;
using reject_atom = caf::atom_constant<caf::atom("reject")>;

constexpr caf::atom_value orders_name = caf::atom("orders");

struct order {
  std::string id;
  std::string client_id;
  std::string user_id;
  std::int64_t sum = 0; // minor units
  std::string status;   // pending, confirmed, rejected
  std::int64_t created_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order& x) {
  return f(caf::meta::type_name("troupe.order"), x.id, x.client_id, x.user_id, x.sum, x.status, x.created_at_ms);
}

} // namespace troupe::orders
