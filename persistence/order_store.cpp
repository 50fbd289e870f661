#include "persistence/order_store.hpp"

#include <pqxx/pqxx>

#include "persistence/prepared.hpp"
#include "runtime/errors.hpp"

namespace troupe::persistence::order_store {
namespace {

const char* columns = "id, client_id, user_id, sum, status, (extract(epoch FROM created_at) * 1000)::bigint";

orders::order to_order(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
          r[3].as<std::int64_t>(), r[4].as<std::string>(), r[5].as<std::int64_t>()};
}

} // namespace

void add(group_commit::batch& b, const orders::order& o, group_commit::deliver<orders::order> then) {
  pipelined(
    b, [then](const pqxx::result& r) { then(to_order(r.at(0))); },
    std::string("WITH added AS (INSERT INTO orders (id, client_id, user_id, sum, status)"
                " VALUES ($1, $2, $3, $4, 'pending') ON CONFLICT (id) DO NOTHING RETURNING ") +
      columns + ") SELECT * FROM added UNION ALL SELECT " + columns +
      " FROM orders WHERE id = $1 AND NOT EXISTS (SELECT FROM added)",
    o.id, o.client_id, o.user_id, o.sum);
}

void set_status(group_commit::batch& b, const std::string& id, const std::string& status,
                group_commit::deliver<orders::order> then) {
  pipelined(
    b,
    [then, id](const pqxx::result& r) {
      then(r.empty() ? caf::expected<orders::order>(make_error(errc::not_found, "no order " + id)) : to_order(r[0]));
    },
    std::string("UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 RETURNING ") + columns, id, status);
}

} // namespace troupe::persistence::order_store
