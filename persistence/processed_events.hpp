#pragma once

#include <string>

namespace pqxx {
class transaction_base;
}

namespace troupe::persistence::processed_events {

// Records that `subscription` handled `event_id`, in the transaction of the
// handler's effect: false when it had already, and the handler must change
// nothing. The caller checks that `event_id` is a UUID.
bool first_time(pqxx::transaction_base& tx, const std::string& subscription, const std::string& event_id);

} // namespace troupe::persistence::processed_events
