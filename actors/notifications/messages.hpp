#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

// Every message of notifications. The notification service runs on every
// node under notifications_name:
//   (notify_atom, notification) -> std::int64_t, its id; a repeat of its
//        `key` adds nothing and returns the first id
namespace troupe::notifications {

using notify_atom = caf::atom_constant<caf::atom("notify")>;

constexpr caf::atom_value notifications_name = caf::atom("notices");

struct notification {
  std::int64_t id = 0;
  std::string key; // the command that made it: saga_id:step
  std::string user_id;
  std::string type; // newClientCreated, newOrderCreated
  std::string data; // a JSON object
  std::int64_t created_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, notification& x) {
  return f(caf::meta::type_name("troupe.notification"), x.id, x.key, x.user_id, x.type, x.data, x.created_at_ms);
}

} // namespace troupe::notifications
