#include "persistence/notification_store.hpp"

#include <pqxx/pqxx>

#include "persistence/prepared.hpp"

namespace troupe::persistence::notification_store {

void add(group_commit::batch& b, const notifications::notification& n, group_commit::deliver<std::int64_t> then) {
  pipelined(b, [then](const pqxx::result& r) { then(r.at(0)[0].as<std::int64_t>()); },
            "WITH added AS (INSERT INTO notifications (key, user_id, type, data)"
            " VALUES ($1, nullif($2, ''), $3, $4::jsonb) ON CONFLICT (key) DO NOTHING RETURNING id)"
            " SELECT id FROM added UNION ALL"
            " SELECT id FROM notifications WHERE key = $1 AND NOT EXISTS (SELECT FROM added)",
            n.key, n.user_id, n.type, n.data);
}

std::optional<notifications::notification> last(pqxx::connection_base& c) {
  pqxx::read_transaction tx(c);
  auto r = tx.exec("SELECT id, key, coalesce(user_id, ''), type, data::text,"
                   " (extract(epoch FROM created_at) * 1000)::bigint FROM notifications ORDER BY id DESC LIMIT 1");
  if (r.empty())
    return std::nullopt;
  return notifications::notification{r[0][0].as<std::int64_t>(), r[0][1].as<std::string>(),
                                     r[0][2].as<std::string>(),  r[0][3].as<std::string>(),
                                     r[0][4].as<std::string>(),  r[0][5].as<std::int64_t>()};
}

} // namespace troupe::persistence::notification_store
