#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// Builders for PostgreSQL's COPY text format, where a batch of rows is sent
// as one block instead of a statement per row.
namespace troupe::persistence::copy_text {

// Appends `s` with COPY's escapes (backslash, tab, newline, CR).
void append_field(std::string& out, std::string_view s);

// Appends `s` as a JSON string, invalid UTF-8 replaced by U+FFFD and control
// characters escaped, so that jsonb accepts whatever a target sent.
void append_json_string(std::string& out, std::string_view s);

// `s` with invalid UTF-8 and NUL replaced by U+FFFD: what a TEXT column takes.
std::string valid_utf8(std::string_view s);

void append_double(std::string& out, double v); // NaN, Infinity, -Infinity too
void append_int(std::string& out, std::int64_t v);
void append_timestamp(std::string& out, std::int64_t epoch_ms); // UTC, ISO 8601

} // namespace troupe::persistence::copy_text
