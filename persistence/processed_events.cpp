#include "persistence/processed_events.hpp"

#include <pqxx/pqxx>

namespace troupe::persistence::processed_events {

bool first_time(pqxx::transaction_base& tx, const std::string& subscription, const std::string& event_id) {
  return !tx.exec_params("INSERT INTO processed_events (subscription, event_id) VALUES ($1, $2::uuid)"
                         " ON CONFLICT DO NOTHING RETURNING 1",
                         subscription, event_id)
            .empty();
}

} // namespace troupe::persistence::processed_events
