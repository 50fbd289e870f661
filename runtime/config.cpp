#include "runtime/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;

namespace troupe {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

[[noreturn]] void bad(const std::string& what, const std::string& value) {
  throw config_error("expected " + what + ", got '" + value + "'");
}

long long parse_integer(const std::string& v, long long lo, long long hi) {
  long long x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || end != v.data() + v.size() || x < lo || x > hi)
    bad("an integer from " + std::to_string(lo) + " to " + std::to_string(hi), v);
  return x;
}

// "250ms", "2s", "5m", "1h", "7d": a duration needs its unit, so that
// nobody has to guess whether a bare 30 means seconds or milliseconds.
milliseconds parse_duration(const std::string& v) {
  static const std::pair<const char*, long long> units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  auto digits = std::find_if(v.begin(), v.end(), [](char c) { return !std::isdigit(c); }) - v.begin();
  auto unit = v.substr(digits);
  for (auto& [name, factor] : units)
    if (unit == name && digits > 0)
      return milliseconds{parse_integer(v.substr(0, digits), 0, 1LL << 40) * factor};
  bad("a duration like 500ms, 2s, 5m, 1h or 7d", v);
}

std::size_t parse_size(const std::string& v) {
  static const std::pair<const char*, std::size_t> units[] = {
    {"", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}};
  auto digits = std::find_if(v.begin(), v.end(), [](char c) { return !std::isdigit(c); }) - v.begin();
  auto unit = v.substr(digits);
  for (auto& [name, factor] : units)
    if (unit == name && digits > 0)
      return parse_integer(v.substr(0, digits), 1, 1LL << 40) * factor;
  bad("a size like 1048576, 16KiB or 1MiB", v);
}

std::string print_duration(milliseconds d) {
  auto ms = d.count();
  if (ms != 0 && ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string print_size(std::size_t n) {
  if (n != 0 && n % (1024 * 1024) == 0) return std::to_string(n / (1024 * 1024)) + "MiB";
  if (n != 0 && n % 1024 == 0) return std::to_string(n / 1024) + "KiB";
  return std::to_string(n);
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

// Reads a TOML basic string starting at s[i] == '"'; leaves i after it.
std::string read_quoted(const std::string& s, std::size_t& i) {
  std::string out;
  for (++i; i < s.size(); ++i) {
    if (s[i] == '"') {
      ++i;
      return out;
    }
    if (s[i] == '\\' && i + 1 < s.size())
      ++i;
    out += s[i];
  }
  throw config_error("unterminated string");
}

// A value as written in the file: "quoted", [ "a", "b" ] or bare.
// Lists come back whitespace-separated, which is how list keys read them.
std::string unquote_value(const std::string& raw) {
  if (raw.empty())
    throw config_error("missing value");
  std::size_t i = 0;
  if (raw[0] == '"') {
    auto v = read_quoted(raw, i);
    if (!trim(raw.substr(i)).empty() && trim(raw.substr(i))[0] != '#')
      throw config_error("unexpected text after the string");
    return v;
  }
  if (raw[0] == '[') {
    std::string joined;
    for (i = 1; i < raw.size();) {
      if (std::isspace(static_cast<unsigned char>(raw[i])) || raw[i] == ',') {
        ++i;
      } else if (raw[i] == '"') {
        joined += (joined.empty() ? "" : " ") + read_quoted(raw, i);
      } else if (raw[i] == ']') {
        return joined;
      } else {
        throw config_error("a list holds quoted strings only");
      }
    }
    throw config_error("unterminated list");
  }
  return trim(raw.substr(0, raw.find('#')));
}

std::vector<std::string> split_words(const std::string& v) {
  std::istringstream in(v);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

struct table_builder {
  std::vector<config_key> keys;

  void text(std::string name, std::string desc, std::string& field, bool non_empty = true) {
    keys.push_back({std::move(name), std::move(desc),
                    [&field, non_empty](const std::string& v) {
                      if (non_empty && v.empty())
                        bad("a non-empty string", v);
                      field = v;
                    },
                    [&field] { return quote(field); }});
  }
  template <class Int>
  void integer(std::string name, std::string desc, Int& field, long long lo, long long hi) {
    keys.push_back({std::move(name), std::move(desc),
                    [&field, lo, hi](const std::string& v) { field = static_cast<Int>(parse_integer(v, lo, hi)); },
                    [&field] { return std::to_string(field); }});
  }
  void duration(std::string name, std::string desc, milliseconds& field, milliseconds min) {
    keys.push_back({std::move(name), std::move(desc),
                    [&field, min](const std::string& v) {
                      auto d = parse_duration(v);
                      if (d < min)
                        bad("at least " + print_duration(min), v);
                      field = d;
                    },
                    [&field] { return print_duration(field); }});
  }
  void flag(std::string name, std::string desc, bool& field) {
    keys.push_back({std::move(name), std::move(desc),
                    [&field](const std::string& v) {
                      if (v != "true" && v != "false")
                        bad("true or false", v);
                      field = v == "true";
                    },
                    [&field] { return std::string(field ? "true" : "false"); }});
  }
  void ratio(std::string name, std::string desc, double& field, double lo, double hi) {
    keys.push_back({std::move(name), std::move(desc),
                    [&field, lo, hi](const std::string& v) {
                      char* end = nullptr;
                      auto x = std::strtod(v.c_str(), &end);
                      if (v.empty() || *end != '\0' || !(x >= lo && x <= hi))
                        bad("a number from " + std::to_string(lo) + " to " + std::to_string(hi), v);
                      field = x;
                    },
                    [&field] {
                      std::ostringstream out;
                      out << field;
                      return out.str();
                    }});
  }
  void size(std::string name, std::string desc, std::size_t& field) {
    keys.push_back({std::move(name), std::move(desc),
                    [&field](const std::string& v) { field = parse_size(v); },
                    [&field] { return print_size(field); }});
  }
  void list(std::string name, std::string desc, std::vector<std::string>& field,
            std::function<void(const std::string&)> check_item = nullptr) {
    keys.push_back({std::move(name), std::move(desc),
                    [&field, check_item](const std::string& v) {
                      auto items = split_words(v);
                      if (check_item)
                        for (auto& item : items)
                          check_item(item);
                      field = items;
                    },
                    [&field] {
                      std::string out = "[";
                      for (auto& x : field)
                        out += (out.size() > 1 ? ", " : "") + quote(x);
                      return out + "]";
                    }});
  }
};

} // namespace

std::vector<config_key> config_keys(node_config& c) {
  table_builder t;
  t.text("node.name", "this node's name in logs, metrics and the cluster", c.node.name);
  t.integer("node.scheduler_threads", "CAF scheduler threads", c.node.scheduler_threads, 1, 256);
  t.duration("node.shutdown_timeout", "how long SIGTERM waits for in-flight work", c.node.shutdown_timeout,
             milliseconds{0});
  t.keys.push_back({"node.log_level", "trace, debug, info, warn, error or off",
                    [&c](const std::string& v) {
                      static const char* levels[] = {"trace", "debug", "info", "warn", "error", "off"};
                      if (std::none_of(std::begin(levels), std::end(levels), [&](auto l) { return v == l; }))
                        bad("one of trace, debug, info, warn, error, off", v);
                      c.node.log_level = v;
                    },
                    [&c] { return quote(c.node.log_level); }});
  auto& sup = c.node.supervision;
  t.duration("node.restart_initial_backoff", "first delay before a crashed actor restarts",
             sup.initial_backoff, milliseconds{1});
  t.duration("node.restart_max_backoff", "longest delay between restarts", sup.max_backoff, milliseconds{1});
  t.integer("node.restart_budget", "restarts allowed per window before a supervisor escalates",
            sup.max_restarts, 0, 1'000'000);
  t.duration("node.restart_window", "the window of the restart budget", sup.window, milliseconds{1});

  t.text("cluster.host", "address the node agent is published on, and told to peers", c.cluster.host);
  t.integer("cluster.port", "port of the node agent (0 = no cluster)", c.cluster.port, 0, 65535);
  t.list("cluster.seeds", "host:port of other nodes' cluster ports", c.cluster.seeds, [](const std::string& seed) {
    auto colon = seed.rfind(':');
    if (colon == std::string::npos || colon == 0 || seed.find(',') != std::string::npos)
      bad("host:port, seeds separated by spaces", seed);
    parse_integer(seed.substr(colon + 1), 1, 65535);
  });
  t.duration("cluster.heartbeat_interval", "middleman heartbeats between nodes (same on every node)",
             c.cluster.heartbeat_interval, milliseconds{10});
  t.duration("cluster.connection_timeout", "a peer silent this long is suspected (same on every node)",
             c.cluster.connection_timeout, milliseconds{50});
  t.integer("cluster.shards", "shards the entities are spread over (the same on every node)", c.cluster.shards, 1,
            4096);
  t.duration("cluster.lease_time", "a shard lease not renewed this long may be taken by another node",
             c.cluster.lease_time, milliseconds{100});
  t.duration("cluster.lease_renew_interval", "how often a node renews its leases (well inside lease_time)",
             c.cluster.lease_renew_interval, milliseconds{10});
  t.integer("cluster.region_buffer", "messages held per node while their shard has no owner",
            c.cluster.region_buffer, 0, 10'000'000);
  t.duration("cluster.region_buffer_timeout", "how long a held message waits for an owner",
             c.cluster.region_buffer_timeout, milliseconds{1});

  t.text("http.host", "address the HTTP edge listens on", c.http.host);
  t.integer("http.port", "HTTP port (0 = any free port)", c.http.port, 0, 65535);
  t.integer("http.io_threads", "Asio threads of the HTTP edge", c.http.io_threads, 1, 64);
  t.size("http.header_limit", "largest request header block", c.http.header_limit);
  t.size("http.body_limit", "largest request body", c.http.body_limit);
  t.duration("http.idle_timeout", "a keep-alive connection idle this long is closed", c.http.idle_timeout,
             milliseconds{1});
  t.duration("http.request_timeout", "how long a handler waits for the actor behind it",
             c.http.request_timeout, milliseconds{1});
  t.duration("http.idempotency_ttl", "how long the first answer to an Idempotency-Key is kept and replayed",
             c.http.idempotency_ttl, milliseconds{1000});
  t.duration("http.idempotency_purge_interval", "how often expired idempotency keys are deleted",
             c.http.idempotency_purge_interval, milliseconds{100});
  t.integer("http.idempotency_purge_batch", "expired idempotency keys deleted per statement",
            c.http.idempotency_purge_batch, 1, 10'000'000);
  t.flag("http.dev_routes", "serve the saga gateway's /dev/... inspection routes", c.http.dev_routes);

  t.text("postgres.dsn", "PostgreSQL connection string", c.postgres.dsn);
  t.integer("postgres.pool_size", "connections, one per database worker thread", c.postgres.pool_size, 1, 256);
  t.integer("postgres.queue_limit", "queries waiting for a worker before new ones are refused",
            c.postgres.queue_limit, 1, 10'000'000);
  t.duration("postgres.reconnect_interval", "how often a lost PostgreSQL is redialled",
             c.postgres.reconnect_interval, milliseconds{10});
  t.duration("postgres.idle_transaction_timeout",
             "the server ends a transaction of ours idle this long, freeing its locks (keep under cluster.lease_time)",
             c.postgres.idle_transaction_timeout, milliseconds{1});

  t.integer("postgres.group_commit_limit", "small writes (ledger, sagas) that share one transaction, at most",
            c.postgres.group_commit_limit, 1, 100'000);
  t.integer("postgres.group_commits_in_flight", "group commits running at once, per kind of write",
            c.postgres.group_commits_in_flight, 1, 64);

  t.list("checker.targets", "targets from config: NAME=URL[,kind=http][,interval_ms=N][,timeout_ms=N]",
         c.checker.targets);
  t.duration("checker.default_interval", "scrape interval of a target that names none",
             c.checker.default_interval, milliseconds{100});
  t.duration("checker.default_timeout", "scrape timeout of a target that names none", c.checker.default_timeout,
             milliseconds{10});
  t.integer("checker.io_threads", "Asio threads of the scrape client", c.checker.io_threads, 1, 64);
  t.size("checker.max_body", "largest scraped body; larger ones fail the check", c.checker.max_body);
  t.integer("checker.batch_samples", "samples per write batch", c.checker.batch_samples, 1, 10'000'000);
  t.duration("checker.flush_interval", "longest time a result waits before it is written",
             c.checker.flush_interval, milliseconds{1});
  t.integer("checker.buffer_limit", "samples buffered while PostgreSQL is down; older ones are dropped",
            c.checker.buffer_limit, 1, 1'000'000'000);
  t.duration("checker.retention", "checks and samples older than this are deleted", c.checker.retention,
             milliseconds{1000});
  t.duration("checker.retention_interval", "how often retention runs", c.checker.retention_interval,
             milliseconds{100});
  t.integer("checker.retention_batch", "rows deleted per retention statement", c.checker.retention_batch, 1,
            10'000'000);
  t.duration("checker.reconcile_interval",
             "how often a node compares its checkers with the targets table (catches changes that missed it)",
             c.checker.reconcile_interval, milliseconds{10});

  t.text("kafka.brokers", "Kafka bootstrap servers, host:port,... (empty: events wait in the outbox)",
         c.kafka.brokers, false);
  t.text("kafka.topic_prefix", "first part of every topic name: PREFIX.checks, PREFIX.events.FAMILY",
         c.kafka.topic_prefix);
  t.integer("kafka.relay_batch", "outbox rows the relay reads per query", c.kafka.relay_batch, 1, 1'000'000);
  t.integer("kafka.relay_in_flight", "events handed to the producer and not yet acknowledged, at most",
            c.kafka.relay_in_flight, 1, 10'000'000);
  t.duration("kafka.relay_poll_interval", "how often the relay looks at the outbox when no NOTIFY woke it",
             c.kafka.relay_poll_interval, milliseconds{10});
  t.duration("kafka.linger", "how long the producer waits to fill a batch", c.kafka.linger, milliseconds{0});
  t.duration("kafka.probe_interval", "how often a node asks the brokers for metadata to tell whether Kafka is up",
             c.kafka.probe_interval, milliseconds{10});
  t.integer("kafka.consumer_in_flight", "consumed messages a subscription handles at once on a node",
            c.kafka.consumer_in_flight, 1, 1'000'000);
  t.duration("kafka.handler_timeout", "how long a consumed message waits for its handler before it is tried again",
             c.kafka.handler_timeout, milliseconds{1});
  t.duration("kafka.session_timeout", "a consumer silent this long leaves its group and its partitions move",
             c.kafka.session_timeout, milliseconds{100});

  t.text("identity.jwt_secret", "HS256 key of bearer tokens (empty: a random one kept in the database)",
         c.identity.jwt_secret, false);
  t.duration("identity.session_ttl", "a session (cookie) ends this long after login", c.identity.session_ttl,
             milliseconds{1000});
  t.duration("identity.token_ttl", "a bearer token expires this long after login", c.identity.token_ttl,
             milliseconds{1000});
  t.integer("identity.hash_threads", "password hashes computed at once (each takes about 64 MiB)",
            c.identity.hash_threads, 1, 64);
  t.list("identity.admins", "logins that get role admin when they register", c.identity.admins);

  t.duration("billing.passivate_after", "an account actor idle this long stops (its state stays in PostgreSQL)",
             c.billing.passivate_after, milliseconds{10});

  t.duration("saga.retry_initial", "first delay before a saga step that failed for want of infrastructure is retried",
             c.saga.retry_initial, milliseconds{1});
  t.ratio("saga.retry_multiplier", "each retry waits this many times longer than the one before",
          c.saga.retry_multiplier, 1.0, 100.0);
  t.duration("saga.retry_max", "longest delay between retries of a step", c.saga.retry_max, milliseconds{1});
  t.duration("saga.step_timeout", "how long a saga step waits for its reply before it is retried",
             c.saga.step_timeout, milliseconds{1});
  t.duration("saga.sweep_interval", "how often a node looks for unfinished sagas of its shards to resume",
             c.saga.sweep_interval, milliseconds{10});
  return std::move(t.keys);
}

std::string env_name(const std::string& key) {
  std::string out = "TROUPE_";
  for (char c : key)
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

node_config load_config(const std::optional<std::string>& file,
                        const std::map<std::string, std::string>& environment,
                        const std::vector<std::pair<std::string, std::string>>& flags) {
  node_config cfg;
  auto keys = config_keys(cfg);
  auto find = [&](const std::string& name) -> config_key* {
    auto i = std::find_if(keys.begin(), keys.end(), [&](auto& k) { return k.name == name; });
    return i == keys.end() ? nullptr : &*i;
  };
  auto apply = [&](const std::string& where, const std::string& name, const std::string& value) {
    auto key = find(name);
    if (!key)
      throw config_error(where + "unknown key '" + name + "'");
    try {
      key->set(value);
    } catch (const config_error& e) {
      throw config_error(where + name + ": " + e.what());
    }
  };
  if (file) {
    std::ifstream in(*file);
    if (!in)
      throw config_error("cannot read config file '" + *file + "'");
    std::string line, section;
    for (int n = 1; std::getline(in, line); ++n) {
      auto where = *file + ":" + std::to_string(n) + ": ";
      auto t = trim(line);
      if (t.empty() || t[0] == '#')
        continue;
      if (t[0] == '[') {
        if (t.back() != ']')
          throw config_error(where + "malformed section header");
        section = trim(t.substr(1, t.size() - 2));
        continue;
      }
      auto eq = t.find('=');
      if (eq == std::string::npos)
        throw config_error(where + "expected key = value");
      auto name = trim(t.substr(0, eq));
      std::string value;
      try {
        value = unquote_value(trim(t.substr(eq + 1)));
      } catch (const config_error& e) {
        throw config_error(where + e.what());
      }
      apply(where, section.empty() ? name : section + "." + name, value);
    }
  }
  for (auto& key : keys)
    if (auto i = environment.find(env_name(key.name)); i != environment.end())
      apply(i->first + ": ", key.name, i->second);
  for (auto& [name, value] : flags)
    apply("--", name, value);
  if (cfg.cluster.lease_renew_interval * 2 > cfg.cluster.lease_time)
    throw config_error("cluster.lease_renew_interval (" + print_duration(cfg.cluster.lease_renew_interval) +
                       ") must be at most half of cluster.lease_time (" + print_duration(cfg.cluster.lease_time) +
                       ")");
  return cfg;
}

std::string dump_config(node_config& cfg) {
  std::string out, section;
  for (auto& key : config_keys(cfg)) {
    auto dot = key.name.find('.');
    if (auto s = key.name.substr(0, dot); s != section) {
      out += (section.empty() ? "[" : "\n[") + s + "]\n";
      section = s;
    }
    out += "# " + key.description + "\n" + key.name.substr(dot + 1) + " = " + key.get() + "\n";
  }
  return out;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (auto eq = kv.find('='); eq != std::string::npos && kv.rfind("TROUPE_", 0) == 0)
      env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

} // namespace troupe
