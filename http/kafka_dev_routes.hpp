#pragma once

namespace troupe::bridge {
class dev_cluster;
}

namespace troupe::http {

class router;

// The fault-injection interface of `troupe kafka-dev` (README, "kafka-dev").
void add_kafka_dev_routes(router& r, bridge::dev_cluster& cluster);

} // namespace troupe::http
