#include "actors/checker/target_spec.hpp"

#include <charconv>

#include "runtime/errors.hpp"

namespace troupe::checker {

caf::expected<http_url> parse_http_url(const std::string& url) {
  static const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    return make_error(errc::invalid_argument, "url: must start with http:// (https is not supported)");
  auto rest = url.substr(scheme.size());
  auto slash = rest.find_first_of("/?");
  auto authority = rest.substr(0, slash);
  http_url out;
  if (slash != std::string::npos)
    out.target = rest[slash] == '/' ? rest.substr(slash) : "/" + rest.substr(slash);
  if (authority.find('@') != std::string::npos)
    return make_error(errc::invalid_argument, "url: credentials in the URL are not supported");
  // The port follows the last ':' outside an IPv6 literal's brackets.
  auto colon = authority.rfind(':');
  auto bracket = authority.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    out.port = authority.substr(colon + 1);
    authority.resize(colon);
    int port = 0;
    auto [end, ec] = std::from_chars(out.port.data(), out.port.data() + out.port.size(), port);
    if (ec != std::errc{} || end != out.port.data() + out.port.size() || port < 1 || port > 65535)
      return make_error(errc::invalid_argument, "url: bad port '" + out.port + "'");
  }
  if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']')
    authority = authority.substr(1, authority.size() - 2);
  if (authority.empty())
    return make_error(errc::invalid_argument, "url: missing host");
  out.host = authority;
  return out;
}

caf::error validate(const target_spec& spec) {
  auto bad = [](const std::string& what) { return make_error(errc::invalid_argument, what); };
  if (spec.name.empty() || spec.name.size() > 200)
    return bad("name: must be 1 to 200 characters");
  if (spec.kind != "prometheus" && spec.kind != "http")
    return bad("kind: must be \"prometheus\" or \"http\"");
  if (spec.url.size() > 2048)
    return bad("url: longer than 2048 characters");
  if (auto url = parse_http_url(spec.url); !url)
    return url.error();
  if (spec.interval_ms < 100 || spec.interval_ms > 86'400'000)
    return bad("interval_ms: must be from 100 to 86400000");
  if (spec.timeout_ms < 10 || spec.timeout_ms > 600'000)
    return bad("timeout_ms: must be from 10 to 600000");
  if (spec.timeout_ms > spec.interval_ms)
    return bad("timeout_ms: must not exceed interval_ms");
  return {};
}

caf::expected<target_spec> parse_target_entry(const std::string& entry, const node_config& cfg) {
  auto where = "checker.targets '" + entry + "': ";
  auto eq = entry.find('=');
  if (eq == std::string::npos)
    return make_error(errc::invalid_argument, where + "expected NAME=URL[,kind=...][,interval_ms=N][,timeout_ms=N]");
  target_spec spec;
  spec.name = entry.substr(0, eq);
  spec.interval_ms = static_cast<std::int32_t>(cfg.checker.default_interval.count());
  spec.timeout_ms = static_cast<std::int32_t>(
    std::min(cfg.checker.default_timeout.count(), cfg.checker.default_interval.count()));
  auto rest = entry.substr(eq + 1);
  auto comma = rest.find(',');
  spec.url = rest.substr(0, comma);
  while (comma != std::string::npos) {
    rest = rest.substr(comma + 1);
    comma = rest.find(',');
    auto option = rest.substr(0, comma);
    auto oeq = option.find('=');
    auto key = option.substr(0, oeq);
    auto value = oeq == std::string::npos ? std::string{} : option.substr(oeq + 1);
    auto number = [&](std::int32_t& field) {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), field);
      return ec == std::errc{} && end == value.data() + value.size();
    };
    if (key == "kind")
      spec.kind = value;
    else if ((key == "interval_ms" && number(spec.interval_ms)) || (key == "timeout_ms" && number(spec.timeout_ms)))
      continue;
    else
      return make_error(errc::invalid_argument, where + "bad option '" + option + "'");
  }
  if (auto err = validate(spec))
    return make_error(errc::invalid_argument, where + error_message(err));
  return spec;
}

} // namespace troupe::checker
