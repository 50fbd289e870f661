#include "tests/support/troupe_api.hpp"

#include <cctype>
#include <sstream>
#include <stdexcept>

#include "tests/support/http_client.hpp"

namespace troupe::testing {

std::int64_t add_target(std::uint16_t port, const nlohmann::json& spec) {
  auto r = http_post(port, "/api/v1/targets", spec.dump());
  if (r.status != 201)
    throw std::runtime_error("POST /api/v1/targets " + spec.dump() + " answered " + std::to_string(r.status) +
                             " " + r.body + r.error);
  return r.json().at("id").get<std::int64_t>();
}

nlohmann::json checks_of(std::uint16_t port, const std::string& domain) {
  auto r = http_get(port, "/api/v1/checks?domain=" + domain + "&num=10000");
  auto j = r.json();
  return r.status == 200 && j.is_array() ? j : nlohmann::json::array();
}

nlohmann::json metrics_where(std::uint16_t port, const std::string& query) {
  auto r = http_get(port, "/api/v1/metrics?" + query);
  auto j = r.json();
  return r.status == 200 && j.is_array() ? j : nlohmann::json::array();
}

std::string dependency_state(std::uint16_t port, const std::string& dependency) {
  auto j = http_get(port, "/ready", {}, std::chrono::seconds{2}).json();
  if (!j.is_object() || !j.contains("dependencies") || !j["dependencies"].is_object())
    return {};
  auto state = j["dependencies"].value(dependency, nlohmann::json{});
  return state.is_string() ? state.get<std::string>() : std::string{};
}

std::optional<double> exposed_metric(std::uint16_t port, const std::string& series) {
  auto r = http_get(port, "/metrics");
  if (r.status != 200)
    return std::nullopt;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    // A prefix of a longer name is not the series: the next byte must end the name.
    if (line.rfind(series, 0) != 0 || line.size() == series.size() ||
        std::isalnum(static_cast<unsigned char>(line[series.size()])) || line[series.size()] == '_')
      continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos)
      continue;
    return std::stod(line.substr(space + 1));
  }
  return std::nullopt;
}

} // namespace troupe::testing
