#include "tests/support/log_file.hpp"

#include <fstream>
#include <sstream>

namespace troupe::testing {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string last_lines(const std::string& text, std::size_t lines) {
  auto pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n')
    --pos;
  for (std::size_t n = 0; n < lines; ++n) {
    if (pos == 0)
      return text;
    auto newline = text.rfind('\n', pos - 1);
    if (newline == std::string::npos)
      return text;
    pos = newline;
  }
  return text.substr(pos + 1);
}

} // namespace troupe::testing
