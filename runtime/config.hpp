#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace troupe {

using std::chrono::milliseconds;

struct restart_policy {
  milliseconds initial_backoff{100};
  milliseconds max_backoff{10'000};
  double multiplier = 2.0;
  int max_restarts = 10; // within `window`; one more escalates
  milliseconds window{60'000};
};

struct node_config {
  struct {
    std::string name = "node1";
    int scheduler_threads = 2;
    milliseconds shutdown_timeout{10'000};
    std::string log_level = "info";
    restart_policy supervision;
  } node;
  struct {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0; // 0: a node alone, no cluster
    std::vector<std::string> seeds; // host:port of other nodes' cluster ports
    milliseconds heartbeat_interval{200};
    milliseconds connection_timeout{1'000};
    int shards = 256;
    milliseconds lease_time{1'500};
    milliseconds lease_renew_interval{250};
    std::size_t region_buffer = 10'000;
    milliseconds region_buffer_timeout{5'000};
  } cluster;
  struct {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    int io_threads = 1;
    std::size_t header_limit = 16 * 1024;
    std::size_t body_limit = 1024 * 1024;
    milliseconds idle_timeout{30'000};
    milliseconds request_timeout{5'000};
    milliseconds idempotency_ttl{24 * 3600 * 1000LL};
    milliseconds idempotency_purge_interval{60'000};
    int idempotency_purge_batch = 1'000;
    bool dev_routes = false; // the saga gateway's /dev/... inspection routes
  } http;
  struct {
    std::string dsn = "postgresql://postgres@127.0.0.1:5432/troupe";
    int pool_size = 4;
    std::size_t queue_limit = 10'000;
    milliseconds reconnect_interval{500};
    milliseconds idle_transaction_timeout{1'000};
    std::size_t group_commit_limit = 1'000; // writes that share one transaction, at most
    // One: a batch collects what arrives while the last one commits, and
    // bigger batches cost PostgreSQL less per write (measured: 1 against 2,
    // order sagas +20%, deposits +30%).
    int group_commits_in_flight = 1;
  } postgres;
  struct {
    std::vector<std::string> targets; // NAME=URL[,kind=http][,interval_ms=N][,timeout_ms=N]
    milliseconds default_interval{15'000};
    milliseconds default_timeout{5'000};
    int io_threads = 2;
    std::size_t max_body = 64 * 1024 * 1024;
    std::size_t batch_samples = 50'000;
    milliseconds flush_interval{200};
    std::size_t buffer_limit = 2'000'000; // samples held while PostgreSQL is down
    milliseconds retention{7 * 24 * 3600 * 1000LL};
    milliseconds retention_interval{60'000};
    int retention_batch = 10'000;
    milliseconds reconcile_interval{2'000};
  } checker;
  struct {
    std::string brokers; // bootstrap servers, host:port,...; empty: events wait in the outbox
    std::string topic_prefix = "troupe";
    int relay_batch = 5'000;
    std::size_t relay_in_flight = 200'000; // events handed to the producer and not yet acknowledged
    milliseconds relay_poll_interval{1'000};
    milliseconds linger{5};
    milliseconds probe_interval{1'000};
    std::size_t consumer_in_flight = 1'000; // messages a subscription handles at once, per node
    milliseconds handler_timeout{10'000};
    milliseconds session_timeout{6'000};
  } kafka;
  struct {
    std::string jwt_secret; // empty: one random secret kept in the database, shared by every node
    milliseconds session_ttl{7 * 24 * 3600 * 1000LL};
    milliseconds token_ttl{3600 * 1000LL};
    int hash_threads = 1; // password hashes at once (each takes ~64 MiB)
    std::vector<std::string> admins; // logins that get role admin when they register
  } identity;
  struct {
    milliseconds passivate_after{60'000};
  } billing;
  struct {
    milliseconds retry_initial{1'000};
    double retry_multiplier = 2.0;
    milliseconds retry_max{60'000};
    milliseconds step_timeout{5'000};
    milliseconds sweep_interval{5'000};
  } saga;
};

struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One configurable key: its dotted name, a one-line description, and how to
// read and print it. The table drives the file, the environment, the flags,
// --help and --dump-config alike.
struct config_key {
  std::string name;
  std::string description;
  std::function<void(const std::string&)> set; // throws config_error
  std::function<std::string()> get;
};

std::vector<config_key> config_keys(node_config& cfg);

// TROUPE_HTTP_PORT for http.port.
std::string env_name(const std::string& key);

// Layers, each overriding the one before: defaults, the file (a TOML subset:
// [section] and key = value), TROUPE_* variables, then flags (key -> value).
node_config load_config(const std::optional<std::string>& file,
                        const std::map<std::string, std::string>& environment,
                        const std::vector<std::pair<std::string, std::string>>& flags);

// The same subset of TOML that load_config reads.
std::string dump_config(node_config& cfg);

std::map<std::string, std::string> process_environment();

} // namespace troupe
