// Prometheus targets: what a scrape stores, and how /api/v1/metrics finds it.
#include <catch2/catch.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Every kind of line an exporter writes: labels, a histogram, the three
// special values, escapes in a label value and an explicit timestamp.
std::string exporter_body(std::int64_t backup_ts_ms) {
  return R"(# HELP api_requests_total Requests served, by method and code.
# TYPE api_requests_total counter
api_requests_total{method="get",code="200"} 1027
api_requests_total{method="post",code="500"} 3
# TYPE api_latency_seconds histogram
api_latency_seconds_bucket{le="0.1"} 4
api_latency_seconds_bucket{le="1"} 9
api_latency_seconds_bucket{le="+Inf"} 10
api_latency_seconds_sum 2.5
api_latency_seconds_count 10
# TYPE cache_hit_ratio gauge
cache_hit_ratio NaN
queue_capacity +Inf
floor_temperature -Inf
file_size_bytes{path="C:\\data\\new",quote="say \"hi\"",note="line one\nline two"} 42
backup_last_success_timestamp{job="nightly"} 1 )" +
         std::to_string(backup_ts_ms) + "\n";
}
constexpr int exporter_samples = 12;

// The first row whose labels are exactly `labels`, or null.
json with_labels(const json& rows, const json& labels) {
  for (auto& r : rows)
    if (r.at("labels") == labels)
      return r;
  return nullptr;
}

} // namespace

TEST_CASE("a prometheus target gets passing checks and its samples are queryable with labels and values",
          "[integration]") {
  auto hour_ago = now_ms() - 3'600'000;
  target_server exporter;
  exporter.reply("/metrics", 200, exporter_body(hour_ago));
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());

  auto registered_at = now_ms();
  auto id = add_target(node.port(), {{"name", "exporter"},
                                     {"kind", "prometheus"},
                                     {"url", exporter.url("/metrics")},
                                     {"interval_ms", 200},
                                     {"timeout_ms", 150}});
  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(node.port(), "exporter");
      return checks.size() >= 3;
    },
    15s));

  std::int64_t previous = 0;
  for (auto& c : checks) {
    INFO(c.dump());
    CHECK(c["domain"] == "exporter");
    CHECK(c["status"] == "pass");
    CHECK(c["target_id"] == id);
    CHECK(c["http_status"] == 200);
    CHECK(c["error"].is_null());
    CHECK(c["samples"] == exporter_samples);
    CHECK(c["malformed_lines"] == 0);
    CHECK(c["latency_ms"].get<double>() >= 0);
    auto ts = from_rfc3339(c["timestamp"]);
    CHECK(ts >= registered_at);
    CHECK(ts >= previous); // oldest first
    previous = ts;
  }
  auto port = node.port();

  // Labels come back as an object; a counter's two series are apart.
  auto requests = metrics_where(port, "name=api_requests_total");
  auto get_200 = with_labels(requests, {{"method", "get"}, {"code", "200"}});
  REQUIRE_FALSE(get_200.is_null());
  CHECK(get_200["value"] == 1027.0);
  CHECK(get_200["target_id"] == id);
  CHECK(get_200["name"] == "api_requests_total");
  CHECK(with_labels(requests, {{"method", "post"}, {"code", "500"}})["value"] == 3.0);

  // A histogram: its buckets (le="+Inf" among them), sum and count.
  auto buckets = metrics_where(port, "name=api_latency_seconds_bucket");
  CHECK(with_labels(buckets, {{"le", "0.1"}})["value"] == 4.0);
  CHECK(with_labels(buckets, {{"le", "1"}})["value"] == 9.0);
  CHECK(with_labels(buckets, {{"le", "+Inf"}})["value"] == 10.0);
  auto sums = metrics_where(port, "name=api_latency_seconds_sum");
  REQUIRE_FALSE(sums.empty());
  CHECK(sums.back()["value"] == 2.5);
  REQUIRE_FALSE(metrics_where(port, "name=api_latency_seconds_count").empty());

  // NaN and the infinities are stored; JSON has no spelling for them, and
  // the API writes null for all three.
  for (auto name : {"cache_hit_ratio", "queue_capacity", "floor_temperature"}) {
    INFO(name);
    auto rows = metrics_where(port, std::string("name=") + name);
    REQUIRE_FALSE(rows.empty());
    CHECK(rows.back()["value"].is_null());
    CHECK(rows.back()["labels"] == json::object());
  }

  // Escaped label values come back unescaped.
  auto sizes = metrics_where(port, "name=file_size_bytes");
  REQUIRE_FALSE(sizes.empty());
  CHECK(sizes.back()["labels"] ==
        json{{"path", "C:\\data\\new"}, {"quote", "say \"hi\""}, {"note", "line one\nline two"}});
  CHECK(sizes.back()["value"] == 42.0);

  // A sample's own timestamp is kept.
  auto backups = metrics_where(port, "name=backup_last_success_timestamp");
  REQUIRE_FALSE(backups.empty());
  for (auto& b : backups) {
    CHECK(b["timestamp"] == to_rfc3339(hour_ago));
    CHECK(b["labels"] == json{{"job", "nightly"}});
  }

  {
    // Only the hour-old sample is older than the registration.
    auto before = metrics_where(port, "date_to=" + to_rfc3339(registered_at - 60'000));
    REQUIRE_FALSE(before.empty());
    for (auto& r : before)
      CHECK(r["name"] == "backup_last_success_timestamp");
    auto around = metrics_where(port, "date_from=" + to_rfc3339(hour_ago - 1000) +
                                        "&date_to=" + to_rfc3339(hour_ago + 1000));
    REQUIRE_FALSE(around.empty());
    for (auto& r : around)
      CHECK(r["name"] == "backup_last_success_timestamp");
    CHECK(metrics_where(port, "name=backup_last_success_timestamp&date_from=" + to_rfc3339(registered_at)).empty());
    auto recent = metrics_where(port, "name=api_requests_total&date_from=" + to_rfc3339(registered_at));
    REQUIRE_FALSE(recent.empty());
    for (auto& r : recent)
      CHECK(from_rfc3339(r["timestamp"]) >= registered_at);
  }

  {
    // Up to the newest visible check nothing changes any more: the writer
    // stores one target's checks in order, with their samples.
    auto until = checks.back()["timestamp"].get<std::string>();
    auto all = metrics_where(port, "name=api_requests_total&limit=10000&date_to=" + until);
    CHECK(all.size() == 2 * checks.size());
    for (std::size_t i = 1; i < all.size(); ++i)
      CHECK(from_rfc3339(all[i - 1]["timestamp"]) <= from_rfc3339(all[i]["timestamp"]));
    auto last3 = metrics_where(port, "name=api_requests_total&limit=3&date_to=" + until);
    REQUIRE(last3.size() == 3);
    REQUIRE(all.size() >= 3);
    for (std::size_t i = 0; i < 3; ++i)
      CHECK(last3[i]["id"] == all[all.size() - 3 + i]["id"]);
    auto last1 = metrics_where(port, "name=api_requests_total&limit=1&date_to=" + until);
    REQUIRE(last1.size() == 1);
    CHECK(last1[0]["id"] == all.back()["id"]);
  }

  {
    auto of_target = metrics_where(port, "target=" + std::to_string(id) + "&limit=20");
    CHECK(of_target.size() == 20);
    for (auto& r : of_target)
      CHECK(r["target_id"] == id);
    CHECK(metrics_where(port, "target=" + std::to_string(id + 1000)).empty());
  }
}

TEST_CASE("a target answering binary garbage gets failed checks with error unparsable", "[integration]") {
  target_server exporter;
  // The first bytes of a PNG and of a JPEG: no line of them is a sample.
  static const char image[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0\x1f\x15\xc4\x89\n"
                              "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\x01\0H\0H\0\0\xff\xdb\0C\0\n";
  exporter.reply("/metrics", 200, std::string(image, sizeof image - 1), "application/octet-stream");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto id = add_target(node.port(), {{"name", "garbage"}, {"url", exporter.url("/metrics")}, {"interval_ms", 200}});

  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(node.port(), "garbage");
      return checks.size() >= 2;
    },
    15s));
  for (auto& c : checks) {
    INFO(c.dump());
    CHECK(c["status"] == "fail");
    CHECK(c["error"] == "unparsable");
    CHECK(c["http_status"] == 200);
    CHECK(c["samples"] == 0);
    CHECK(c["malformed_lines"].get<int>() > 0);
  }
  CHECK(metrics_where(node.port(), "target=" + std::to_string(id)).empty());
}

TEST_CASE("a target with some malformed lines among good ones passes, counts them and keeps its good samples",
          "[integration]") {
  target_server exporter;
  exporter.reply("/metrics", 200,
                 "# TYPE good_total counter\n"
                 "good_total 1\n"
                 "this line is not a sample\n"
                 "good_gauge{zone=\"a\"} 2.5\n"
                 "broken_gauge{zone=\"unterminated} 3\n"
                 "good_gauge{zone=\"b\"} 7\n");
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto id = add_target(node.port(), {{"name", "partly"}, {"url", exporter.url("/metrics")}, {"interval_ms", 200}});

  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(node.port(), "partly");
      return checks.size() >= 2;
    },
    15s));
  for (auto& c : checks) {
    INFO(c.dump());
    CHECK(c["status"] == "pass");
    CHECK(c["error"].is_null());
    CHECK(c["samples"] == 3);
    CHECK(c["malformed_lines"] == 2);
  }
  auto gauges = metrics_where(node.port(), "name=good_gauge&target=" + std::to_string(id));
  CHECK(with_labels(gauges, {{"zone", "a"}})["value"] == 2.5);
  CHECK(with_labels(gauges, {{"zone", "b"}})["value"] == 7.0);
  CHECK_FALSE(metrics_where(node.port(), "name=good_total").empty());
  CHECK(metrics_where(node.port(), "name=broken_gauge").empty());
  CHECK(metrics_where(node.port(), "name=this").empty());
  CHECK(exposed_metric(node.port(), "troupe_checker_malformed_lines_total").value_or(0) >= 2);
}

TEST_CASE("a target whose body exceeds checker.max_body fails with too_large", "[integration]") {
  std::string big;
  for (int i = 0; big.size() < 4096; ++i)
    big += "padding_" + std::to_string(i) + " 1\n";
  target_server exporter;
  exporter.reply("/metrics", 200, big);
  pg_instance pg;
  node_process node(pg.dsn(), {"--checker.max_body=1KiB"});
  REQUIRE(node.wait_ready_http());
  add_target(node.port(), {{"name", "oversized"}, {"url", exporter.url("/metrics")}, {"interval_ms", 200}});

  json checks;
  REQUIRE(wait_until(
    [&] {
      checks = checks_of(node.port(), "oversized");
      return checks.size() >= 2;
    },
    15s));
  for (auto& c : checks) {
    INFO(c.dump());
    CHECK(c["status"] == "fail");
    CHECK(c["error"] == "too_large");
    CHECK(c["samples"] == 0);
  }
}
