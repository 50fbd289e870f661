#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

// Shorthands for the node's API, for the steps a test takes on its way to
// what it checks. What a test asserts about a response it asks for itself.
namespace troupe::testing {

// POST /api/v1/targets; the new target's id. Throws std::runtime_error with
// the response when the answer is not 201.
std::int64_t add_target(std::uint16_t port, const nlohmann::json& spec);

// GET /api/v1/checks?domain=NAME&num=10000: every check of the target,
// oldest first; an empty array when the node does not answer 200.
nlohmann::json checks_of(std::uint16_t port, const std::string& domain);

// GET /api/v1/metrics?QUERY; an empty array when the node does not answer 200.
nlohmann::json metrics_where(std::uint16_t port, const std::string& query);

// GET /ready: the state it gives `dependency` ("postgres", "kafka"), "" when
// the answer holds none.
std::string dependency_state(std::uint16_t port, const std::string& dependency);

// GET /metrics: the value of the first line that starts with `series`: a
// name, or a name and the start of its labels (`name{method="GET"`).
std::optional<double> exposed_metric(std::uint16_t port, const std::string& series);

} // namespace troupe::testing
