// troupe: one binary, subcommands `node`, `migrate` and `kafka-dev`. Startup reads as a
// list (config -> persistence -> actors -> edge), shutdown as the same list
// backwards.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/billing/account_actor.hpp"
#include "actors/billing/ledger_writer.hpp"
#include "actors/bridge/dev_cluster.hpp"
#include "actors/clients/client_service.hpp"
#include "actors/notifications/notification_service.hpp"
#include "actors/orders/order_service.hpp"
#include "actors/saga/definitions.hpp"
#include "actors/bridge/outbox_relay.hpp"
#include "actors/bridge/subscription_consumer.hpp"
#include "actors/checker/annotator.hpp"
#include "actors/checker/result_writer.hpp"
#include "actors/checker/retention_actor.hpp"
#include "actors/checker/scrape_client.hpp"
#include "actors/checker/target_manager.hpp"
#include "actors/checker/target_spec.hpp"
#include "actors/identity/identity_actor.hpp"
#include "actors/identity/password.hpp"
#include "http/idempotency_purge.hpp"
#include "http/kafka_dev_routes.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/atoms.hpp"
#include "runtime/config.hpp"
#include "runtime/errors.hpp"
#include "runtime/logging.hpp"
#include "runtime/metrics.hpp"
#include "runtime/services.hpp"
#include "runtime/supervisor.hpp"
#include "topology/node_agent.hpp"
#include "topology/shard_keeper.hpp"
#include "topology/shard_region.hpp"

namespace {

using namespace troupe;

// Signals are taken by sigwait in main, never by a handler on a random
// thread: block them before any thread starts, so every thread inherits it.
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int run_node(node_config cfg) {
  auto signals = shutdown_signals();
  logging::init(cfg.node.name, cfg.node.log_level);
  metrics m;

  persistence::pg_pool pool(cfg.postgres.dsn, cfg.postgres.pool_size, cfg.postgres.queue_limit,
                            cfg.postgres.reconnect_interval, cfg.postgres.idle_transaction_timeout,
                            [](pqxx::connection_base& c) { persistence::migrate(c); }, m);

  caf::actor_system_config caf_cfg;
  caf_cfg.load<caf::io::middleman>();
  caf_cfg.set("scheduler.max-threads", static_cast<std::size_t>(cfg.node.scheduler_threads));
  // Work sharing sleeps on a condition variable when idle; work stealing
  // polls, which costs the HTTP and database threads CPU on small machines.
  caf_cfg.set("scheduler.policy", caf::atom("sharing"));
  caf_cfg.add_error_category(error_category, [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
    return "troupe::" + to_string(static_cast<errc>(code)) + caf::to_string(ctx);
  });
  if (cfg.cluster.port != 0) {
    caf_cfg.set("middleman.heartbeat-interval", caf::timespan{cfg.cluster.heartbeat_interval});
    caf_cfg.set("middleman.connection-timeout", caf::timespan{cfg.cluster.connection_timeout});
  }
  topology::register_message_types(caf_cfg);
  caf::actor_system system(caf_cfg);

  // This process in the cluster and in the lease table: a restarted node
  // keeps its name but never its incarnation.
  std::random_device rd;
  auto incarnation = ((std::uint64_t{rd()} << 32) | rd()) & 0x7fff'ffff'ffff'ffffULL;
  checker::scrape_client client(cfg.checker.io_threads, cfg.checker.max_body);
  // At ~70 ms a hash, a request queued behind 32 per thread would wait
  // over 2 s: refusing it (503) beats answering after its client gave up.
  identity::password_hasher hasher(cfg.identity.hash_threads, 32 * std::size_t(cfg.identity.hash_threads));
  checker::services services{&cfg, &pool, &client, &m, static_cast<std::int64_t>(incarnation)};
  auto root = spawn_supervisor(system, "node", cfg.node.supervision, &m);
  auto supervise = [&](std::string name, std::function<caf::actor(caf::actor_system&)> spawn) {
    caf::anon_send(root, start_atom::value, child_spec{std::move(name), std::move(spawn)});
  };
  auto checker_actor = [&](auto spawn) {
    return [services, spawn](caf::actor_system& sys) { return caf::actor_cast<caf::actor>(spawn(sys, services)); };
  };
  supervise("shard_region", [&cfg, &m](caf::actor_system& sys) { return topology::spawn_shard_region(sys, cfg, &m); });
  supervise("result_writer", checker_actor(checker::spawn_result_writer));
  supervise("target_manager", checker_actor(checker::spawn_target_manager));
  supervise("retention", checker_actor(checker::spawn_retention));
  supervise("annotator", checker_actor(checker::spawn_annotator));
  supervise("identity", [&](caf::actor_system& sys) { return identity::spawn_identity(sys, {&cfg, &pool, &hasher}); });
  auto writes = std::make_shared<persistence::group_commit>(
    pool, static_cast<std::int64_t>(incarnation), cfg.postgres.group_commits_in_flight, cfg.postgres.group_commit_limit);
  troupe::services domain{&cfg, &pool, &m, static_cast<std::int64_t>(incarnation), writes.get()};
  auto sagas = saga::all_definitions(cfg);
  supervise("ledger_writer", [domain](caf::actor_system& sys) { return billing::spawn_ledger_writer(sys, domain); });
  supervise("accounts", [domain](caf::actor_system& sys) { return billing::spawn_account_host(sys, domain); });
  supervise("clients", [domain](caf::actor_system& sys) { return clients::spawn_client_service(sys, domain); });
  supervise("orders", [domain](caf::actor_system& sys) { return orders::spawn_order_service(sys, domain); });
  supervise("notifications",
            [domain](caf::actor_system& sys) { return notifications::spawn_notification_service(sys, domain); });
  supervise("sagas", [domain, &sagas](caf::actor_system& sys) { return saga::spawn_saga_host(sys, domain, &sagas); });
  supervise("idempotency_purge",
            [&](caf::actor_system& sys) { return http::spawn_idempotency_purge(sys, pool, m, cfg); });
  if (cfg.kafka.brokers.empty()) {
    spdlog::warn("kafka.brokers is empty: events wait in the outbox until Kafka is configured");
  } else {
    supervise("outbox_relay", [&cfg, &pool, &m, incarnation](caf::actor_system& sys) {
      return bridge::spawn_outbox_relay(sys, {&cfg, &pool, &m, static_cast<std::int64_t>(incarnation)});
    });
    supervise("annotations_consumer", [&cfg, &pool, &m](caf::actor_system& sys) {
      return bridge::spawn_subscription_consumer(sys, {&cfg, &pool, &m},
                                                 {"annotations", "annotations", checker::annotator_name});
    });
  }

  if (cfg.cluster.port != 0) {
    topology::member me{cfg.node.name, cfg.cluster.host, cfg.cluster.port, incarnation, nullptr};
    auto first = topology::spawn_node_agent(system, cfg, me, false);
    auto published = system.middleman().publish(first, cfg.cluster.port, cfg.cluster.host.c_str(), true);
    if (!published) {
      spdlog::critical("cannot publish the node agent on {}: {}", me.address(), caf::to_string(published.error()));
      caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
      return 1;
    }
    // Supervised from here on: a restarted agent publishes itself.
    supervise("node_agent", [&cfg, me, first](caf::actor_system& sys) mutable {
      return first ? std::exchange(first, caf::actor{}) : topology::spawn_node_agent(sys, cfg, me, true);
    });
  }
  // After the agent, which it asks for the members first.
  supervise("shard_keeper", [&](caf::actor_system& sys) {
    return topology::spawn_shard_keeper(sys, {&cfg, &pool, &m, static_cast<std::int64_t>(incarnation),
                                              cfg.cluster.port != 0, {checker::target_manager_name, billing::accounts_name, saga::sagas_name}});
  });

  http::router routes(m);
  http::add_routes(routes, {&system, &pool, &m, &cfg, static_cast<std::int64_t>(incarnation), writes.get()});
  http::server edge(cfg.http, cfg.node.name, routes, m);
  try {
    edge.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", cfg.http.host, cfg.http.port, e.what());
    caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    return 1;
  }
  spdlog::info("node {} listening on http://{}:{}", cfg.node.name, cfg.http.host, edge.port());

  // A node whose root supervisor escalates is broken: it exits non-zero so
  // that whatever runs it restarts it.
  auto escalated = std::make_shared<std::atomic<bool>>(false);
  system.spawn([root, escalated](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(root);
    self->set_down_handler([=](caf::down_msg& d) {
      if (d.reason != caf::exit_reason::user_shutdown) {
        spdlog::critical("root supervisor stopped: {}", caf::to_string(d.reason));
        *escalated = true;
        kill(getpid(), SIGTERM);
      }
      self->quit();
    });
    return {[](caf::ok_atom) {}}; // lives only for the down message
  });

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  auto timeout = cfg.node.shutdown_timeout;
  edge.stop(timeout);
  caf::scoped_actor self{system};
  self->send(root, stop_atom::value, std::string{"target_manager"});
  self->send(root, stop_atom::value, std::string{"retention"});
  if (auto writer = system.registry().get(checker::result_writer_name))
    self->request(caf::actor_cast<caf::actor>(writer), timeout, caf::flush_atom::value)
      .receive([] { spdlog::info("results flushed"); },
               [](caf::error& e) { spdlog::warn("results not flushed: {}", caf::to_string(e)); });
  // Leases go last, once nothing writes under them: the survivors take
  // them at once instead of waiting for them to expire.
  if (auto keeper = system.registry().get(topology::shard_keeper_name))
    self->request(caf::actor_cast<caf::actor>(keeper), timeout, stop_atom::value)
      .receive([] { spdlog::info("shard leases released"); },
               [](caf::error& e) { spdlog::warn("shard leases not released: {}", caf::to_string(e)); });
  self->send_exit(root, caf::exit_reason::user_shutdown);
  self->wait_for(root);
  spdlog::info("stopped");
  // Every actor has ended, results are flushed and leases released. CAF
  // 0.17's actor_system destructor can still wait forever for the threads
  // of detached actors that have ended (actor-framework#1196, fixed in
  // 0.18), as the Kafka relay and consumers are: leave without it.
  spdlog::shutdown();
  std::_Exit(*escalated ? 1 : 0);
}

struct kafka_dev_options {
  int brokers = 1;
  std::uint16_t control_port = 0;
  std::string bootstrap_file, control_file, log_level = "info";
};

// Written whole or not at all: a launcher polling for the file never reads half of it.
void write_file(const std::string& path, const std::string& text) {
  if (path.empty())
    return;
  auto tmp = path + ".tmp";
  std::ofstream(tmp) << text << "\n";
  std::filesystem::rename(tmp, path);
}

int run_kafka_dev(const kafka_dev_options& o) {
  auto signals = shutdown_signals();
  logging::init("kafka-dev", o.log_level);
  metrics m;
  std::optional<bridge::dev_cluster> cluster;
  try {
    cluster.emplace(o.brokers);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  http::router routes(m);
  http::add_kafka_dev_routes(routes, *cluster);
  decltype(node_config::http) control_cfg;
  control_cfg.port = o.control_port; // host stays 127.0.0.1: faults are for this machine only
  http::server control(control_cfg, "kafka-dev", routes, m);
  try {
    control.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", control_cfg.host, o.control_port, e.what());
    return 1;
  }
  auto control_url = "http://" + control_cfg.host + ":" + std::to_string(control.port());
  write_file(o.control_file, control_url);
  write_file(o.bootstrap_file, cluster->bootstrap());
  std::cout << "bootstrap: " << cluster->bootstrap() << "\ncontrol: " << control_url << std::endl;
  spdlog::info("kafka-dev: {} broker(s) at {}, control at {}; data lives in memory only", o.brokers,
               cluster->bootstrap(), control_url);
  int sig = 0;
  sigwait(&signals, &sig);
  control.stop(milliseconds{1000});
  spdlog::info("kafka-dev: stopped");
  return 0;
}

int run_migrate(const node_config& cfg) {
  logging::init(cfg.node.name, cfg.node.log_level);
  try {
    pqxx::connection conn(cfg.postgres.dsn);
    auto n = persistence::migrate(conn);
    spdlog::info("{} migrations applied, {} known", n, persistence::all_migrations().size());
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("migration failed: {}", e.what());
    return 1;
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"Troupe: an actor-model distributed runtime.\n"
               "Every config key can be set in the file (--config), as TROUPE_<SECTION>_<KEY>, or as a flag."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "troupe 0.1.0");

  node_config defaults;
  auto keys = config_keys(defaults);
  std::optional<std::string> config_file;
  bool dump = false;
  std::map<std::string, std::string> flag_values;
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--config", config_file, "config file (TOML subset: [section] and key = value)");
    for (auto& key : keys)
      cmd->add_option("--" + key.name, flag_values[key.name],
                      key.description + " [" + env_name(key.name) + ", default " + key.get() + "]");
  };
  auto node = app.add_subcommand("node", "run a cluster node");
  add_common(node);
  node->add_flag("--dump-config", dump, "print the effective config and exit");
  auto migrate = app.add_subcommand("migrate", "apply the database migrations and exit");
  add_common(migrate);
  kafka_dev_options dev;
  auto kafka_dev = app.add_subcommand(
    "kafka-dev", "run an in-memory Kafka (librdkafka's mock cluster, real wire protocol) on 127.0.0.1");
  kafka_dev->add_option("--brokers", dev.brokers, "number of brokers")->capture_default_str()->check(CLI::Range(1, 9));
  kafka_dev->add_option("--bootstrap-file", dev.bootstrap_file, "write the bootstrap string (host:port,...) here");
  kafka_dev->add_option("--control-port", dev.control_port, "port of the fault-injection HTTP interface (0: any)")
    ->capture_default_str();
  kafka_dev->add_option("--control-file", dev.control_file, "write the control interface's URL here");
  kafka_dev->add_option("--log-level", dev.log_level, "trace, debug, info, warn, error or off")
    ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (kafka_dev->parsed())
    return run_kafka_dev(dev);
  node_config cfg;
  try {
    std::vector<std::pair<std::string, std::string>> flags;
    auto* cmd = node->parsed() ? node : migrate;
    for (auto& key : keys)
      if (cmd->count("--" + key.name) > 0)
        flags.emplace_back(key.name, flag_values[key.name]);
    cfg = load_config(config_file, process_environment(), flags);
    for (auto& entry : cfg.checker.targets)
      if (auto spec = checker::parse_target_entry(entry, cfg); !spec)
        throw config_error(error_message(spec.error()));
  } catch (const config_error& e) {
    std::cerr << "troupe: config: " << e.what() << "\n";
    return 2;
  }
  if (dump) {
    std::cout << dump_config(cfg);
    return 0;
  }
  return node->parsed() ? run_node(std::move(cfg)) : run_migrate(cfg);
}
