#pragma once

#include <cstdint>
#include <string>
#include <vector>

// PostgreSQL array literals, for `$n::int[]`, `$n::bigint[]` and `$n::text[]`
// parameters: a batch goes to the server as one statement over unnest().
namespace troupe::persistence {

std::string int_array(const std::vector<int>& xs);
std::string int_array(const std::vector<std::int64_t>& xs);
// Every element quoted, so that commas, quotes, braces and NULL-like words
// in the text stay text.
std::string text_array(const std::vector<std::string>& xs);

} // namespace troupe::persistence
