#pragma once

#include <cstddef>
#include <string>

namespace troupe::testing {

// The whole file, or "" when it cannot be read.
std::string read_file(const std::string& path);

// The last `lines` lines of `text`.
std::string last_lines(const std::string& text, std::size_t lines);

} // namespace troupe::testing
