#include "tests/support/temp_dir.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include <stdlib.h>

namespace troupe::testing {

temp_dir::temp_dir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  path_ = buf.data();
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string temp_dir::write_file(const std::string& name, const std::string& text) const {
  auto p = file(name);
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out.flush())
    throw std::runtime_error("cannot write " + p);
  return p;
}

} // namespace troupe::testing
