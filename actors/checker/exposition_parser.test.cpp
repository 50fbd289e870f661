#include "actors/checker/exposition_parser.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

using troupe::checker::exposition;
using troupe::checker::label_set;
using troupe::checker::parse_exposition;

namespace {

bool is_metric_name(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Parses a body expected to hold exactly one malformed line and nothing else,
// and returns its error message.
std::string single_error(const std::string& body) {
  const exposition parsed = parse_exposition(body);
  CHECK(parsed.samples.empty());
  CHECK(parsed.malformed_lines == 1);
  return parsed.first_error;
}

} // namespace

TEST_CASE("a bare sample has a name, a value and no labels or timestamp") {
  const exposition parsed = parse_exposition("up 1\n");
  REQUIRE(parsed.samples.size() == 1);
  CHECK(parsed.samples[0].name == "up");
  CHECK(parsed.samples[0].labels.empty());
  CHECK(parsed.samples[0].value == 1.0);
  CHECK_FALSE(parsed.samples[0].timestamp_ms.has_value());
  CHECK(parsed.malformed_lines == 0);
  CHECK(parsed.first_error.empty());
}

TEST_CASE("labels are kept in order of appearance") {
  const exposition parsed = parse_exposition(R"(http_requests_total{method="post",code="200"} 1027)");
  REQUIRE(parsed.samples.size() == 1);
  CHECK(parsed.samples[0].labels == label_set{{"method", "post"}, {"code", "200"}});
  CHECK(parsed.samples[0].value == 1027.0);
}

TEST_CASE("a trailing comma and an empty label set are accepted") {
  const exposition parsed = parse_exposition("a{x=\"1\",} 1\nb{} 2\n");
  REQUIRE(parsed.samples.size() == 2);
  CHECK(parsed.samples[0].labels == label_set{{"x", "1"}});
  CHECK(parsed.samples[1].labels.empty());
  CHECK(parsed.samples[1].value == 2.0);
  CHECK(parsed.malformed_lines == 0);
}

TEST_CASE("a label value keeps its escaped quote, backslash and newline") {
  const exposition parsed = parse_exposition(R"(msg{text="say \"hi\"\\there\nnext"} 1)");
  REQUIRE(parsed.samples.size() == 1);
  REQUIRE(parsed.samples[0].labels.size() == 1);
  CHECK(parsed.samples[0].labels[0].second == "say \"hi\"\\there\nnext");
  CHECK(parsed.malformed_lines == 0);
}

TEST_CASE("a label value may hold braces, commas, equals signs and UTF-8") {
  const exposition parsed = parse_exposition("m{path=\"/a{b},c=d\",city=\"Z\xC3\xBCrich\"} 3\n");
  REQUIRE(parsed.samples.size() == 1);
  CHECK(parsed.samples[0].labels == label_set{{"path", "/a{b},c=d"}, {"city", "Z\xC3\xBCrich"}});
}

TEST_CASE("whitespace around every token is tolerated") {
  const exposition parsed = parse_exposition(" \t metric_a \t { a = \"1\" , b=\"2\" , } \t 4.5 \t 1700 \t \n");
  REQUIRE(parsed.samples.size() == 1);
  CHECK(parsed.samples[0].name == "metric_a");
  CHECK(parsed.samples[0].labels == label_set{{"a", "1"}, {"b", "2"}});
  CHECK(parsed.samples[0].value == 4.5);
  CHECK(parsed.samples[0].timestamp_ms == std::int64_t{1700});
  CHECK(parsed.malformed_lines == 0);
}

TEST_CASE("a value may follow the closing brace without a space") {
  const exposition parsed = parse_exposition("m{a=\"b\"}7\n");
  REQUIRE(parsed.samples.size() == 1);
  CHECK(parsed.samples[0].value == 7.0);
}

TEST_CASE("metric names may contain colons, underscores and digits") {
  const exposition parsed = parse_exposition("job:rate_5m:sum 1\n_private2 2\n:leading 3\n");
  REQUIRE(parsed.samples.size() == 3);
  CHECK(parsed.samples[0].name == "job:rate_5m:sum");
  CHECK(parsed.samples[1].name == "_private2");
  CHECK(parsed.samples[2].name == ":leading");
}

TEST_CASE("integers, floats and exponents parse to their exact doubles") {
  const exposition parsed = parse_exposition(
      "a 42\nb -17\nc 3.25\nd 1e3\ne 2.5E-2\nf +8\ng .5\nh -0\ni 9007199254740993\nj 1.7976931348623157e308\n");
  REQUIRE(parsed.samples.size() == 10);
  CHECK(parsed.samples[0].value == 42.0);
  CHECK(parsed.samples[1].value == -17.0);
  CHECK(parsed.samples[2].value == 3.25);
  CHECK(parsed.samples[3].value == 1000.0);
  CHECK(parsed.samples[4].value == 0.025);
  CHECK(parsed.samples[5].value == 8.0);
  CHECK(parsed.samples[6].value == 0.5);
  CHECK(parsed.samples[7].value == 0.0);
  CHECK(std::signbit(parsed.samples[7].value));
  CHECK(parsed.samples[8].value == 9007199254740992.0);  // nearest double
  CHECK(parsed.samples[9].value == std::numeric_limits<double>::max());
  CHECK(parsed.malformed_lines == 0);
}

TEST_CASE("NaN, +Inf, -Inf and Inf are special values") {
  const exposition parsed = parse_exposition("a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf -infinity\n");
  REQUIRE(parsed.samples.size() == 6);
  CHECK(std::isnan(parsed.samples[0].value));
  CHECK(parsed.samples[1].value == std::numeric_limits<double>::infinity());
  CHECK(parsed.samples[2].value == -std::numeric_limits<double>::infinity());
  CHECK(parsed.samples[3].value == std::numeric_limits<double>::infinity());
  CHECK(std::isnan(parsed.samples[4].value));
  CHECK(parsed.samples[5].value == -std::numeric_limits<double>::infinity());
  CHECK(parsed.malformed_lines == 0);
}

TEST_CASE("a timestamp is an optional integer of milliseconds and may be negative") {
  const exposition parsed =
      parse_exposition("a 1 1395066363000\nb 2 -1395066363000\nc 3\nd 4 9223372036854775807\n");
  REQUIRE(parsed.samples.size() == 4);
  CHECK(parsed.samples[0].timestamp_ms == std::int64_t{1395066363000});
  CHECK(parsed.samples[1].timestamp_ms == std::int64_t{-1395066363000});
  CHECK_FALSE(parsed.samples[2].timestamp_ms.has_value());
  CHECK(parsed.samples[3].timestamp_ms == std::numeric_limits<std::int64_t>::max());
  CHECK(parsed.malformed_lines == 0);
}

TEST_CASE("HELP, TYPE and other comments produce no samples and no errors") {
  const exposition parsed = parse_exposition(
      "# HELP a The \\\\ help\\n text.\n"
      "# HELP b\n"
      "# TYPE a counter\n"
      "# TYPE b gauge\n"
      "# TYPE c histogram\n"
      "# TYPE d summary\n"
      "# TYPE e untyped\n"
      "# just a remark\n"
      "#\n"
      "# HELPER is not a keyword\n"
      "a 1\n");
  REQUIRE(parsed.samples.size() == 1);
  CHECK(parsed.samples[0].name == "a");
  CHECK(parsed.malformed_lines == 0);
  CHECK(parsed.first_error.empty());
}

TEST_CASE("an unknown type or a malformed HELP or TYPE line is counted as malformed") {
  CHECK(single_error("# TYPE a gaugeish\n") == "line 1: unknown metric type");
  CHECK(single_error("# TYPE a\n") == "line 1: missing type in TYPE line");
  CHECK(single_error("# TYPE a counter extra\n") == "line 1: unexpected text after metric type");
  CHECK(single_error("# TYPE 1a counter\n") == "line 1: invalid metric name in TYPE line");
  CHECK(single_error("# HELP\n") == "line 1: invalid metric name in HELP line");
  CHECK(single_error("# HELP a-b text\n") == "line 1: invalid metric name in HELP line");
  CHECK(single_error("# HELP a bad \\q escape\n") == "line 1: invalid escape sequence in HELP text");
}

TEST_CASE("blank lines, CRLF endings and a missing final newline are fine") {
  const exposition parsed = parse_exposition("\n\r\n  \t \na 1\r\n\r\n# TYPE b gauge\r\nb{x=\"y\"} 2 5\r\n\nc 3");
  REQUIRE(parsed.samples.size() == 3);
  CHECK(parsed.samples[0].value == 1.0);
  CHECK(parsed.samples[1].labels == label_set{{"x", "y"}});
  CHECK(parsed.samples[1].timestamp_ms == std::int64_t{5});
  CHECK(parsed.samples[2].name == "c");
  CHECK(parsed.samples[2].value == 3.0);
  CHECK(parsed.malformed_lines == 0);
}

TEST_CASE("each kind of malformed sample line is reported with its line number") {
  CHECK(single_error("1abc 1") == "line 1: invalid metric name");
  CHECK(single_error("a-b 1") == "line 1: invalid character in metric name");
  CHECK(single_error("a") == "line 1: missing value");
  CHECK(single_error("a{x=\"1\"}") == "line 1: missing value");
  CHECK(single_error("a one") == "line 1: invalid value");
  CHECK(single_error("a 1.2.3") == "line 1: invalid value");
  CHECK(single_error("a 1e") == "line 1: invalid value");
  CHECK(single_error("a +-1") == "line 1: invalid value");
  CHECK(single_error("a +NaN") == "line 1: invalid value");
  CHECK(single_error("a nan(1)") == "line 1: invalid value");
  CHECK(single_error("a 0x10") == "line 1: invalid value");
  CHECK(single_error("a 1e999") == "line 1: invalid value");
  CHECK(single_error("a 1 1.5") == "line 1: invalid timestamp");
  CHECK(single_error("a 1 99999999999999999999") == "line 1: invalid timestamp");
  CHECK(single_error("a 1 2 3") == "line 1: unexpected text after timestamp");
  CHECK(single_error("a{x=\"1} 1") == "line 1: unterminated label value");
  CHECK(single_error("a{x=\"1\\") == "line 1: unterminated label value");
  CHECK(single_error("a{x=\"\\t\"} 1") == "line 1: invalid escape sequence in label value");
  CHECK(single_error("a{x=\"1\",x=\"2\"} 1") == "line 1: duplicate label name");
  CHECK(single_error("a{1x=\"1\"} 1") == "line 1: invalid label name");
  CHECK(single_error("a{x:y=\"1\"} 1") == "line 1: expected '=' after label name");
  CHECK(single_error("a{x=1} 1") == "line 1: expected '\"' to open label value");
  CHECK(single_error("a{x=\"1\" y=\"2\"} 1") == "line 1: expected ',' or '}' after label value");
  CHECK(single_error("a{,} 1") == "line 1: invalid label name");
  CHECK(single_error("a{x=\"\xC3\x28\"} 1") == "line 1: label value is not valid UTF-8");
}

TEST_CASE("a malformed line is skipped and only the first error is kept") {
  const exposition parsed = parse_exposition("good_a 1\nbad{ 2\ngood_b 3\n# TYPE x bogus\ngood_c 4\n");
  REQUIRE(parsed.samples.size() == 3);
  CHECK(parsed.samples[0].name == "good_a");
  CHECK(parsed.samples[1].name == "good_b");
  CHECK(parsed.samples[2].name == "good_c");
  CHECK(parsed.samples[2].value == 4.0);
  CHECK(parsed.malformed_lines == 2);
  CHECK(parsed.first_error == "line 2: invalid label name");
}

TEST_CASE("a duplicate label name is found in a label set of any size") {
  std::string line = "m{";
  for (int i = 0; i < 40; ++i) line += "l" + std::to_string(i) + "=\"v\",";
  CHECK(parse_exposition(line + "} 1").samples.size() == 1);
  CHECK(single_error(line + "l17=\"again\"} 1") == "line 1: duplicate label name");
}

TEST_CASE("a node_exporter-like body yields every counter, gauge, histogram and summary sample") {
  const exposition parsed = parse_exposition(R"(# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.6e-05
go_gc_duration_seconds{quantile="0.25"} 4.1e-05
go_gc_duration_seconds{quantile="0.5"} 5.3e-05
go_gc_duration_seconds{quantile="0.75"} 8.2e-05
go_gc_duration_seconds{quantile="1"} 0.001017
go_gc_duration_seconds_sum 0.153847297
go_gc_duration_seconds_count 2178
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 9
# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 2.54523e+06
node_cpu_seconds_total{cpu="0",mode="iowait"} 1069.58
node_cpu_seconds_total{cpu="0",mode="system"} 9872.06
node_cpu_seconds_total{cpu="0",mode="user"} 33025.22
node_cpu_seconds_total{cpu="1",mode="idle"} 2.5455e+06
node_cpu_seconds_total{cpu="1",mode="user"} 32765.1
# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 4.1208315904e+10
node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 8.23279616e+08
# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.21
# HELP prometheus_http_request_duration_seconds Histogram of latencies for HTTP requests.
# TYPE prometheus_http_request_duration_seconds histogram
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="0.1"} 25547
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="0.2"} 25549
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="0.4"} 25550
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="1"} 25550
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="+Inf"} 25550
prometheus_http_request_duration_seconds_sum{handler="/metrics"} 147.79999999999916
prometheus_http_request_duration_seconds_count{handler="/metrics"} 25550
# HELP node_scrape_collector_success node_exporter: Whether a collector succeeded.
# TYPE node_scrape_collector_success gauge
node_scrape_collector_success{collector="cpu"} 1
node_scrape_collector_success{collector="textfile"} 0
# HELP node_time_seconds System time in seconds since epoch (1970).
# TYPE node_time_seconds gauge
node_time_seconds 1.7007e+09 1700700000123
)");
  CHECK(parsed.malformed_lines == 0);
  CHECK(parsed.first_error.empty());
  REQUIRE(parsed.samples.size() == 27);

  const auto& quantile = parsed.samples[2];
  CHECK(quantile.name == "go_gc_duration_seconds");
  CHECK(quantile.labels == label_set{{"quantile", "0.5"}});
  CHECK(quantile.value == 5.3e-05);
  CHECK(parsed.samples[6].name == "go_gc_duration_seconds_count");
  CHECK(parsed.samples[6].value == 2178.0);

  CHECK(parsed.samples[7].name == "go_goroutines");
  CHECK(parsed.samples[7].value == 9.0);

  const auto& cpu = parsed.samples[12];
  CHECK(cpu.name == "node_cpu_seconds_total");
  CHECK(cpu.labels == label_set{{"cpu", "1"}, {"mode", "idle"}});
  CHECK(cpu.value == 2.5455e+06);

  CHECK(parsed.samples[14].labels ==
        label_set{{"device", "/dev/sda1"}, {"fstype", "ext4"}, {"mountpoint", "/"}});
  CHECK(parsed.samples[14].value == 41208315904.0);

  const auto& inf_bucket = parsed.samples[21];
  CHECK(inf_bucket.name == "prometheus_http_request_duration_seconds_bucket");
  CHECK(inf_bucket.labels == label_set{{"handler", "/metrics"}, {"le", "+Inf"}});
  CHECK(inf_bucket.value == 25550.0);
  CHECK(parsed.samples[22].name == "prometheus_http_request_duration_seconds_sum");
  CHECK(parsed.samples[22].value == 147.79999999999916);

  CHECK(parsed.samples[25].value == 0.0);
  CHECK(parsed.samples[26].name == "node_time_seconds");
  CHECK(parsed.samples[26].timestamp_ms == std::int64_t{1700700000123});
}

TEST_CASE("a 4 MiB single line is parsed or rejected without trouble") {
  constexpr std::size_t size = 4u << 20;

  const std::string long_name(size, 'n');
  const exposition named = parse_exposition(long_name + " 1\nafter 2\n");
  REQUIRE(named.samples.size() == 2);
  CHECK(named.samples[0].name.size() == size);
  CHECK(named.samples[1].name == "after");

  std::string long_value = "m{v=\"" + std::string(size, 'x') + "\\n\"} 5\n";
  const exposition valued = parse_exposition(long_value);
  REQUIRE(valued.samples.size() == 1);
  CHECK(valued.samples[0].labels[0].second.size() == size + 1);
  CHECK(valued.samples[0].labels[0].second.back() == '\n');

  const exposition unterminated = parse_exposition("m{v=\"" + std::string(size, 'x') + "\nafter 2\n");
  CHECK(unterminated.malformed_lines == 1);
  CHECK(unterminated.first_error == "line 1: unterminated label value");
  REQUIRE(unterminated.samples.size() == 1);
  CHECK(unterminated.samples[0].name == "after");

  std::string many_labels = "m{";
  std::size_t label_count = 0;
  for (; many_labels.size() < size; ++label_count) {
    many_labels += "l" + std::to_string(label_count) + "=\"\",";
  }
  const exposition labelled = parse_exposition(many_labels + "} 1");
  REQUIRE(labelled.samples.size() == 1);
  CHECK(labelled.samples[0].labels.size() == label_count);
  CHECK(labelled.samples[0].labels.back().first == "l" + std::to_string(label_count - 1));
  CHECK(labelled.malformed_lines == 0);
}

TEST_CASE("64 KiB of random bytes never yields an invalid sample and accounts for every line") {
  std::mt19937 generator(20240531);
  std::string body(64u << 10, '\0');
  for (auto& byte : body) byte = static_cast<char>(generator() >> 24);

  // Every line that is neither blank nor a comment must be a sample or an error.
  std::size_t content_lines = 0;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos && line[first] != '#') ++content_lines;
  }

  const exposition parsed = parse_exposition(body);
  CHECK(content_lines > 100);
  CHECK(parsed.samples.size() + parsed.malformed_lines == content_lines);
  CHECK(parsed.malformed_lines > 0);
  CHECK(parsed.first_error.rfind("line ", 0) == 0);
  for (const auto& s : parsed.samples) CHECK(is_metric_name(s.name));
}

TEST_CASE("a NUL byte makes its line malformed and leaves the others intact") {
  constexpr char raw[] = "a 1\nb{x=\"y\0z\"} 2\nc 3\0\n# comment \0\nd 4";
  const std::string body(raw, sizeof raw - 1);
  const exposition parsed = parse_exposition(body);
  REQUIRE(parsed.samples.size() == 2);
  CHECK(parsed.samples[0].name == "a");
  CHECK(parsed.samples[1].name == "d");
  CHECK(parsed.malformed_lines == 3);
  CHECK(parsed.first_error == "line 2: NUL byte in line");
}

TEST_CASE("a body of only newlines or nothing at all has no samples and no errors") {
  const exposition newlines = parse_exposition(std::string(100000, '\n'));
  CHECK(newlines.samples.empty());
  CHECK(newlines.malformed_lines == 0);
  CHECK(newlines.first_error.empty());

  const exposition empty = parse_exposition("");
  CHECK(empty.samples.empty());
  CHECK(empty.malformed_lines == 0);
}

TEST_CASE("an unterminated label block at the end of the body is one malformed line") {
  const exposition parsed = parse_exposition("a 1\nb 2\nlast{x=\"1\",y=\"2\"");
  REQUIRE(parsed.samples.size() == 2);
  CHECK(parsed.malformed_lines == 1);
  CHECK(parsed.first_error == "line 3: unterminated label set");
  CHECK(single_error("last{") == "line 1: unterminated label set");
}

TEST_CASE("a 100,000-sample body parses every sample with no malformed lines") {
  constexpr int count = 100000;
  std::string body;
  body.reserve(static_cast<std::size_t>(count) * 96);
  body += "# HELP http_requests_total Requests handled.\n# TYPE http_requests_total counter\n";
  for (int i = 0; i < count; ++i) {
    body += "http_requests_total{method=\"GET\",code=\"";
    body += std::to_string(200 + i % 5);
    body += "\",instance=\"node-";
    body += std::to_string(i);
    body += "\"} ";
    body += std::to_string(i);
    body += ".5 ";
    body += std::to_string(1700000000000LL + i);
    body += '\n';
  }

  const exposition parsed = parse_exposition(body);
  CHECK(parsed.malformed_lines == 0);
  CHECK(parsed.first_error.empty());
  REQUIRE(parsed.samples.size() == count);
  for (const int i : {0, 1, 4242, count - 1}) {
    const auto& s = parsed.samples[static_cast<std::size_t>(i)];
    CHECK(s.name == "http_requests_total");
    CHECK(s.labels == label_set{{"method", "GET"},
                                {"code", std::to_string(200 + i % 5)},
                                {"instance", "node-" + std::to_string(i)}});
    CHECK(s.value == i + 0.5);
    CHECK(s.timestamp_ms == 1700000000000LL + i);
  }
}
