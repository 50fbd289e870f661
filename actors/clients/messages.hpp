#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

// Every message of clients: the saga gateway's customer records. The
// client service runs on every node under clients_name:
//   (caf::add_atom, client)         -> client, pending; adding an existing id
//                                      returns it unchanged
//   (approve_atom, id, user_id)     -> client, approved, with its user
//   (reject_atom, id)               -> client, rejected
//   (caf::get_atom, id)             -> client; errc::not_found
namespace troupe::clients {

using approve_atom = caf::atom_constant<caf::atom("approve")>;
using reject_atom = caf::atom_constant<caf::atom("reject")>;

constexpr caf::atom_value clients_name = caf::atom("clients");

struct client {
  std::string id;
  std::string login;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string status; // pending, approved, rejected
  std::string user_id;
  std::int64_t created_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client& x) {
  return f(caf::meta::type_name("troupe.client"), x.id, x.login, x.first_name, x.last_name, x.email, x.status,
           x.user_id, x.created_at_ms);
}

} // namespace troupe::clients
