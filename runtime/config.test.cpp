#include "runtime/config.hpp"

#include <cstdio>
#include <fstream>

#include <unistd.h>

#include <catch2/catch.hpp>

using namespace troupe;

namespace {

struct temp_file {
  explicit temp_file(const std::string& text) {
    char name[] = "/tmp/troupe-config-XXXXXX";
    close(mkstemp(name));
    path = name;
    std::ofstream(path) << text;
  }
  ~temp_file() { std::remove(path.c_str()); }
  std::string path;
};

std::string error_of(const std::optional<std::string>& file, std::map<std::string, std::string> env,
                     std::vector<std::pair<std::string, std::string>> flags) {
  try {
    load_config(file, env, flags);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("defaults hold when nothing is configured") {
  auto cfg = load_config(std::nullopt, {}, {});
  CHECK(cfg.http.port == 8080);
  CHECK(cfg.http.body_limit == 1024 * 1024);
  CHECK(cfg.checker.retention == std::chrono::hours(24 * 7));
}

TEST_CASE("by default keys are kept a day, dev routes are off, bearer tokens last an hour, and saga retries "
          "start at 1 s, doubling up to a minute") {
  auto cfg = load_config(std::nullopt, {}, {});
  CHECK(cfg.http.idempotency_ttl == std::chrono::hours(24));
  CHECK_FALSE(cfg.http.dev_routes);
  CHECK(cfg.saga.retry_initial == std::chrono::seconds(1));
  CHECK(cfg.saga.retry_multiplier == 2.0);
  CHECK(cfg.saga.retry_max == std::chrono::minutes(1));
  CHECK(cfg.identity.token_ttl == std::chrono::hours(1));
}

TEST_CASE("the file, then the environment, then flags override each other in that order") {
  temp_file f("# a comment\n[http]\nport = 9000\nio_threads = 3\n[postgres]\ndsn = \"host=a\"\n"
              "[checker]\ntargets = [\"a=http://x/metrics\", \"b=http://y/,kind=http\"]\nretention = 2d\n");
  auto cfg = load_config(f.path, {{"TROUPE_HTTP_PORT", "9001"}, {"TROUPE_HTTP_IO_THREADS", "4"}},
                         {{"http.port", "9002"}});
  CHECK(cfg.http.port == 9002);
  CHECK(cfg.http.io_threads == 4);
  CHECK(cfg.postgres.dsn == "host=a");
  CHECK(cfg.checker.targets == std::vector<std::string>{"a=http://x/metrics", "b=http://y/,kind=http"});
  CHECK(cfg.checker.retention == std::chrono::hours(48));
}

TEST_CASE("an unknown key in the file stops start-up with its name and line") {
  temp_file f("[http]\nprot = 1\n");
  auto err = error_of(f.path, {}, {});
  CHECK_THAT(err, Catch::Contains("unknown key 'http.prot'"));
  CHECK_THAT(err, Catch::Contains(":2:"));
}

TEST_CASE("bad values are refused with the key named") {
  CHECK_THAT(error_of(std::nullopt, {}, {{"http.port", "70000"}}), Catch::Contains("http.port"));
  CHECK_THAT(error_of(std::nullopt, {}, {{"http.port", "80x"}}), Catch::Contains("integer"));
  CHECK_THAT(error_of(std::nullopt, {{"TROUPE_CHECKER_RETENTION", "7"}}, {}),
             Catch::Contains("checker.retention") && Catch::Contains("duration"));
  CHECK_THAT(error_of(std::nullopt, {}, {{"http.body_limit", "1MB"}}), Catch::Contains("size"));
  CHECK_THAT(error_of(std::nullopt, {}, {{"node.log_level", "loud"}}), Catch::Contains("node.log_level"));
  CHECK_THAT(error_of(std::nullopt, {}, {{"checker.default_interval", "5ms"}}), Catch::Contains("at least 100ms"));
}

TEST_CASE("unrelated TROUPE_ variables in the environment are left alone") {
  CHECK(error_of(std::nullopt, {{"TROUPE_PG_DIR", "/tmp/x"}}, {}).empty());
}

TEST_CASE("a malformed file line is reported with its line number") {
  temp_file f("[http]\nport 9000\n");
  CHECK_THAT(error_of(f.path, {}, {}), Catch::Contains(":2: expected key = value"));
  temp_file g("[postgres]\ndsn = \"unterminated\n");
  CHECK_THAT(error_of(g.path, {}, {}), Catch::Contains("unterminated string"));
}

TEST_CASE("the dumped config reads back to the same config") {
  auto cfg = load_config(std::nullopt, {}, {{"http.port", "1234"}, {"checker.targets", "a=http://x/ b=http://y/"}});
  temp_file f(dump_config(cfg));
  auto again = load_config(f.path, {}, {});
  CHECK(again.http.port == 1234);
  CHECK(again.checker.targets == cfg.checker.targets);
  CHECK(dump_config(again) == dump_config(cfg));
}

TEST_CASE("environment names follow the key") {
  CHECK(env_name("postgres.dsn") == "TROUPE_POSTGRES_DSN");
  CHECK(env_name("http.io_threads") == "TROUPE_HTTP_IO_THREADS");
}

TEST_CASE("a lease renewed less often than every half lease time is refused, naming both keys") {
  auto err = error_of(std::nullopt, {}, {{"cluster.lease_time", "1s"}, {"cluster.lease_renew_interval", "501ms"}});
  CHECK_THAT(err, Catch::Contains("cluster.lease_renew_interval") && Catch::Contains("cluster.lease_time"));
  // Half is still enough, wherever the two values come from.
  CHECK(error_of(std::nullopt, {}, {{"cluster.lease_time", "1s"}, {"cluster.lease_renew_interval", "500ms"}})
          .empty());
  temp_file f("[cluster]\nlease_renew_interval = 2s\n");
  CHECK_THAT(error_of(f.path, {{"TROUPE_CLUSTER_LEASE_TIME", "3s"}}, {}),
             Catch::Contains("cluster.lease_renew_interval") && Catch::Contains("cluster.lease_time"));
  // A lease time lowered alone is checked against the default interval.
  CHECK_THAT(error_of(std::nullopt, {}, {{"cluster.lease_time", "400ms"}}),
             Catch::Contains("cluster.lease_renew_interval") && Catch::Contains("cluster.lease_time"));
}

TEST_CASE("seeds are separated by spaces, and a seed with a comma in it is refused") {
  auto err = error_of(std::nullopt, {}, {{"cluster.seeds", "127.0.0.1:1,127.0.0.1:2"}});
  CHECK_THAT(err, Catch::Contains("cluster.seeds") && Catch::Contains("127.0.0.1:1,127.0.0.1:2"));
  auto cfg = load_config(std::nullopt, {}, {{"cluster.seeds", "127.0.0.1:1 127.0.0.1:2"}});
  CHECK(cfg.cluster.seeds == std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"});
}

TEST_CASE("Kafka is off by default and named by TROUPE_KAFKA_BROKERS") {
  CHECK(load_config(std::nullopt, {}, {}).kafka.brokers.empty());
  auto cfg = load_config(std::nullopt, {{"TROUPE_KAFKA_BROKERS", "127.0.0.1:9092,127.0.0.1:9093"}}, {});
  CHECK(cfg.kafka.brokers == "127.0.0.1:9092,127.0.0.1:9093");
  CHECK(cfg.kafka.topic_prefix == "troupe");
  CHECK_THROWS_WITH(load_config(std::nullopt, {}, {{"kafka.relay_batch", "0"}}),
                    Catch::Contains("kafka.relay_batch"));
}

TEST_CASE("nobody is an admin by default, and identity.admins lists logins from the file or the environment") {
  CHECK(load_config(std::nullopt, {}, {}).identity.admins.empty());
  temp_file f("[identity]\nadmins = [\"root\", \"ops\"]\n");
  CHECK(load_config(f.path, {}, {}).identity.admins == std::vector<std::string>{"root", "ops"});
  auto cfg = load_config(std::nullopt, {{"TROUPE_IDENTITY_ADMINS", "alice bob"}}, {});
  CHECK(cfg.identity.admins == std::vector<std::string>{"alice", "bob"});
}
