#include "tests/support/kcat.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <tuple>
#include <stdexcept>

#include <unistd.h>

#include "tests/support/temp_dir.hpp"

namespace troupe::testing {
namespace {

// execve takes a path: kcat is looked up in PATH once.
const std::string& kcat_path() {
  static const std::string path = [] {
    const char* env = std::getenv("PATH");
    std::istringstream dirs(env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
      auto candidate = (dir.empty() ? std::string(".") : dir) + "/kcat";
      if (access(candidate.c_str(), X_OK) == 0)
        return candidate;
    }
    throw std::runtime_error("kcat is not in PATH (scripts/deps installs it)");
  }();
  return path;
}

// One -J line: {"topic","partition","offset","tstype","ts","broker","key","payload"}.
kafka_message parse_line(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object())
    throw std::runtime_error("kcat printed a line that is not a JSON object: " + line.substr(0, 500));
  kafka_message m;
  m.topic = j.at("topic").get<std::string>();
  m.partition = j.at("partition").get<int>();
  m.offset = j.at("offset").get<std::int64_t>();
  if (j.contains("ts") && j["ts"].is_number_integer())
    m.timestamp_ms = j["ts"].get<std::int64_t>();
  if (j.contains("key") && j["key"].is_string())
    m.key = j["key"].get<std::string>();
  if (j.contains("payload") && j["payload"].is_string())
    m.payload = j["payload"].get<std::string>();
  return m;
}

std::vector<kafka_message> parse_output(const std::string& out) {
  std::vector<kafka_message> messages;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      messages.push_back(parse_line(line));
  std::stable_sort(messages.begin(), messages.end(), [](const kafka_message& a, const kafka_message& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  return messages;
}

std::vector<std::string> consumer_args(const std::string& bootstrap, const std::string& topic) {
  // -u: unbuffered, so that a consumer killed at its deadline has printed
  // everything it read; -q: no "reached end of partition" chatter.
  return {kcat_path(), "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-J", "-u", "-q"};
}

} // namespace

nlohmann::json kafka_message::json() const {
  return nlohmann::json::parse(payload, nullptr, false);
}

std::vector<kafka_message> kcat_consume(const std::string& bootstrap, const std::string& topic, std::size_t count,
                                        std::chrono::milliseconds timeout) {
  auto args = consumer_args(bootstrap, topic);
  args.insert(args.end(), {"-c", std::to_string(count)});
  auto r = run_command(args, {}, timeout);
  // Its last line may be cut short by the kill at the deadline.
  auto out = r.out;
  if (r.exit_code != 0 && !out.empty() && out.back() != '\n')
    out.erase(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  return parse_output(out);
}

std::vector<kafka_message> kcat_read_topic(const std::string& bootstrap, const std::string& topic,
                                           std::chrono::milliseconds timeout) {
  auto args = consumer_args(bootstrap, topic);
  args.push_back("-e");
  auto r = run_command(args, {}, timeout);
  if (r.exit_code != 0)
    throw std::runtime_error("kcat -C -e -t " + topic + " exited " + std::to_string(r.exit_code) + ": " +
                             r.err.substr(0, 2000));
  return parse_output(r.out);
}

command_result kcat_produce(const std::string& bootstrap, const std::string& topic,
                            const std::vector<std::pair<std::string, std::string>>& messages,
                            std::chrono::milliseconds timeout) {
  // A message per line, the key before a tab: kcat reads them from a file
  // (the child's stdin is /dev/null).
  std::string lines;
  for (auto& [key, value] : messages) {
    if (key.find_first_of("\t\n") != std::string::npos || value.find('\n') != std::string::npos)
      throw std::invalid_argument("kcat_produce: a key holds a tab or newline, or a value a newline");
    lines += key + "\t" + value + "\n";
  }
  temp_dir dir("troupe-kcat");
  auto file = dir.write_file("messages", lines);
  return run_command({kcat_path(), "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-l", file}, {}, timeout);
}

} // namespace troupe::testing
