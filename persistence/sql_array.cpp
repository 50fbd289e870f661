#include "persistence/sql_array.hpp"

namespace troupe::persistence {
namespace {

template <class T>
std::string numbers(const std::vector<T>& xs) {
  std::string out = "{";
  for (auto& x : xs)
    out += (out.size() > 1 ? "," : "") + std::to_string(x);
  return out + "}";
}

} // namespace

std::string int_array(const std::vector<int>& xs) {
  return numbers(xs);
}

std::string int_array(const std::vector<std::int64_t>& xs) {
  return numbers(xs);
}

std::string text_array(const std::vector<std::string>& xs) {
  std::string out = "{";
  for (auto& x : xs) {
    out += out.size() > 1 ? ",\"" : "\"";
    for (char c : x) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

} // namespace troupe::persistence
