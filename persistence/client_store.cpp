#include "persistence/client_store.hpp"

#include <pqxx/pqxx>

#include "persistence/prepared.hpp"
#include "runtime/errors.hpp"

namespace troupe::persistence::client_store {
namespace {

const char* columns = "id, login, first_name, last_name, email, status, coalesce(user_id, ''),"
                      " (extract(epoch FROM created_at) * 1000)::bigint";

clients::client to_client(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
          r[4].as<std::string>(), r[5].as<std::string>(), r[6].as<std::string>(), r[7].as<std::int64_t>()};
}

caf::error not_found(const std::string& id) {
  return make_error(errc::not_found, "no client " + id);
}

} // namespace

void add(group_commit::batch& b, const clients::client& c, group_commit::deliver<clients::client> then) {
  pipelined(
    b, [](const pqxx::result&) {},
    "INSERT INTO clients (id, login, first_name, last_name, email, status)"
    " VALUES ($1, $2, $3, $4, $5, 'pending') ON CONFLICT (id) DO NOTHING",
    c.id, c.login, c.first_name, c.last_name, c.email);
  pipelined(
    b, [then](const pqxx::result& r) { then(to_client(r.at(0))); },
    std::string("SELECT ") + columns + " FROM clients WHERE id = $1", c.id);
}

void set_status(group_commit::batch& b, const std::string& id, const std::string& status, const std::string& user_id,
                group_commit::deliver<clients::client> then) {
  pipelined(
    b,
    [then, id](const pqxx::result& r) {
      then(r.empty() ? caf::expected<clients::client>(not_found(id)) : to_client(r[0]));
    },
    std::string("UPDATE clients SET status = $2, user_id = coalesce(nullif($3, ''), user_id),"
                " updated_at = now() WHERE id = $1 RETURNING ") +
      columns,
    id, status, user_id);
}

caf::expected<clients::client> get(pqxx::connection_base& c, const std::string& id) {
  pqxx::nontransaction tx(c); // one statement: a transaction would add three round trips
  auto r = exec_prepared(tx, std::string("SELECT ") + columns + " FROM clients WHERE id = $1", id);
  if (r.empty())
    return not_found(id);
  return to_client(r[0]);
}

} // namespace troupe::persistence::client_store
