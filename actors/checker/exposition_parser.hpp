#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Parser for the Prometheus text exposition format 0.0.4, the body a checker
// scrapes from a target's /metrics. It is lenient where Prometheus' own Go
// parser is (whitespace, a trailing comma in a label set, a missing final
// newline, CRLF) and line-oriented on errors: a malformed line is counted and
// skipped so one bad exporter line does not hide the rest of the scrape.
namespace troupe::checker {

using label_set = std::vector<std::pair<std::string, std::string>>; // in order of appearance

struct sample {
  std::string name;
  label_set labels;
  double value = 0;
  std::optional<std::int64_t> timestamp_ms;
};

struct exposition {
  std::vector<sample> samples;
  std::size_t malformed_lines = 0;
  std::string first_error; // "line N: what was wrong", empty when none
};

// Never throws (short of std::bad_alloc) and accepts any bytes, binary ones included.
exposition parse_exposition(std::string_view body);

} // namespace troupe::checker
