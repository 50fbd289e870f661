#include "actors/checker/exposition_parser.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <system_error>

namespace troupe::checker {

namespace {

// Errors are static strings so the per-line path never allocates for them;
// only the first one is formatted into exposition::first_error.
using error = const char*;

enum char_class : unsigned char {
  metric_start = 1,  // [a-zA-Z_:]
  metric_char = 2,   // [a-zA-Z0-9_:]
  label_start = 4,   // [a-zA-Z_]
  label_char = 8,    // [a-zA-Z0-9_]
};

constexpr std::array<unsigned char, 256> make_char_classes() {
  std::array<unsigned char, 256> table{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    unsigned char bits = 0;
    if (alpha || c == ':') bits |= metric_start | metric_char;
    if (digit) bits |= metric_char | label_char;
    if (alpha) bits |= label_start | label_char;
    table[static_cast<std::size_t>(c)] = bits;
  }
  return table;
}

constexpr auto char_classes = make_char_classes();

bool has_class(char c, char_class cls) {
  return (char_classes[static_cast<unsigned char>(c)] & cls) != 0;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::size_t skip_blanks(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_blank(s[pos])) ++pos;
  return pos;
}

std::size_t skip_token(std::string_view s, std::size_t pos) {
  while (pos < s.size() && !is_blank(s[pos])) ++pos;
  return pos;
}

std::size_t skip_name(std::string_view s, std::size_t pos, char_class start, char_class rest) {
  if (pos >= s.size() || !has_class(s[pos], start)) return pos;
  ++pos;
  while (pos < s.size() && has_class(s[pos], rest)) ++pos;
  return pos;
}

bool iequals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// Label values and HELP text reach dashboards and JSON, so bytes that are not
// UTF-8 mark the line as garbage rather than being passed on.
bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < len) return false;
    for (std::size_t i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += len;
  }
  return true;
}

// Follows Go's strconv.ParseFloat, which Prometheus uses: case-insensitive
// Inf/Infinity with an optional sign and unsigned NaN are spelled out here
// because std::from_chars would also accept forms such as "nan(123)".
bool parse_value(std::string_view token, double& out) {
  if (token.empty()) return false;
  const bool has_sign = token[0] == '+' || token[0] == '-';
  const std::string_view unsigned_part = token.substr(has_sign ? 1 : 0);
  if (unsigned_part.empty()) return false;
  const char first = unsigned_part[0];
  if (first != '.' && (first < '0' || first > '9')) {
    if (iequals(unsigned_part, "inf") || iequals(unsigned_part, "infinity")) {
      out = token[0] == '-' ? -std::numeric_limits<double>::infinity()
                            : std::numeric_limits<double>::infinity();
      return true;
    }
    if (!has_sign && iequals(unsigned_part, "nan")) {
      out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    return false;
  }
  // from_chars takes '-' itself but not '+'.
  const char* begin = token[0] == '+' ? unsigned_part.data() : token.data();
  const char* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(begin, end, out, std::chars_format::general);
  return ec == std::errc() && ptr == end;
}

bool parse_timestamp(std::string_view token, std::int64_t& out) {
  if (token.empty()) return false;
  // from_chars takes '-' itself but not '+'; Go's ParseInt takes both.
  if (token[0] == '+') {
    token.remove_prefix(1);
    if (token.empty() || token[0] == '-') return false;
  }
  const char* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(token.data(), end, out, 10);
  return ec == std::errc() && ptr == end;
}

// `pos` is just past the opening quote; on success it is just past the closing one.
error read_label_value(std::string_view line, std::size_t& pos, std::string& out) {
  const std::size_t start = pos;
  std::size_t i = pos;
  while (i < line.size() && line[i] != '"' && line[i] != '\\') ++i;
  if (i < line.size() && line[i] == '"') {
    // The common case: nothing to unescape, copy once.
    out.assign(line.data() + start, i - start);
  } else {
    out.assign(line.data() + start, i - start);
    for (;;) {
      if (i >= line.size()) return "unterminated label value";
      const char c = line[i];
      if (c == '"') break;
      if (c == '\\') {
        if (i + 1 >= line.size()) return "unterminated label value";
        switch (line[i + 1]) {
          case '\\': out.push_back('\\'); break;
          case '"': out.push_back('"'); break;
          case 'n': out.push_back('\n'); break;
          default: return "invalid escape sequence in label value";
        }
        i += 2;
      } else {
        out.push_back(c);
        ++i;
      }
    }
  }
  // Escapes are ASCII, so checking the raw bytes checks the unescaped value.
  if (!is_valid_utf8(line.substr(start, i - start))) return "label value is not valid UTF-8";
  pos = i + 1;
  return nullptr;
}

bool has_duplicate_names(const label_set& labels) {
  // Real label sets are small; the sorted path keeps a hostile line with
  // hundreds of thousands of labels from going quadratic.
  constexpr std::size_t quadratic_limit = 16;
  if (labels.size() <= quadratic_limit) {
    for (std::size_t i = 0; i < labels.size(); ++i) {
      for (std::size_t j = i + 1; j < labels.size(); ++j) {
        if (labels[i].first == labels[j].first) return true;
      }
    }
    return false;
  }
  std::vector<std::string_view> names;
  names.reserve(labels.size());
  for (const auto& label : labels) names.emplace_back(label.first);
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

// `pos` is just past '{'; on success it is just past '}'.
error parse_label_set(std::string_view line, std::size_t& pos, label_set& labels) {
  for (;;) {
    pos = skip_blanks(line, pos);
    if (pos >= line.size()) return "unterminated label set";
    if (line[pos] == '}') break;  // also accepts the trailing comma of `{a="x",}`
    const std::size_t name_end = skip_name(line, pos, label_start, label_char);
    if (name_end == pos) return "invalid label name";
    const std::string_view name = line.substr(pos, name_end - pos);
    pos = skip_blanks(line, name_end);
    if (pos >= line.size() || line[pos] != '=') return "expected '=' after label name";
    pos = skip_blanks(line, pos + 1);
    if (pos >= line.size() || line[pos] != '"') return "expected '\"' to open label value";
    ++pos;
    auto& label = labels.emplace_back(std::string(name), std::string());
    if (error e = read_label_value(line, pos, label.second)) return e;
    pos = skip_blanks(line, pos);
    if (pos >= line.size()) return "unterminated label set";
    if (line[pos] == '}') break;
    if (line[pos] != ',') return "expected ',' or '}' after label value";
    ++pos;
  }
  ++pos;
  if (has_duplicate_names(labels)) return "duplicate label name";
  return nullptr;
}

// `pos` is at the first non-blank byte of the line, which is not '#'.
error parse_sample(std::string_view line, std::size_t pos, sample& out) {
  const std::size_t name_end = skip_name(line, pos, metric_start, metric_char);
  if (name_end == pos) return "invalid metric name";
  if (name_end < line.size() && !is_blank(line[name_end]) && line[name_end] != '{') {
    return "invalid character in metric name";
  }
  out.name.assign(line.data() + pos, name_end - pos);
  pos = skip_blanks(line, name_end);
  if (pos < line.size() && line[pos] == '{') {
    ++pos;
    if (error e = parse_label_set(line, pos, out.labels)) return e;
    pos = skip_blanks(line, pos);
  }
  if (pos >= line.size()) return "missing value";
  const std::size_t value_end = skip_token(line, pos);
  if (!parse_value(line.substr(pos, value_end - pos), out.value)) return "invalid value";
  pos = skip_blanks(line, value_end);
  if (pos >= line.size()) return nullptr;
  const std::size_t timestamp_end = skip_token(line, pos);
  std::int64_t timestamp = 0;
  if (!parse_timestamp(line.substr(pos, timestamp_end - pos), timestamp)) return "invalid timestamp";
  out.timestamp_ms = timestamp;
  pos = skip_blanks(line, timestamp_end);
  if (pos < line.size()) return "unexpected text after timestamp";
  return nullptr;
}

bool is_known_type(std::string_view type) {
  return type == "counter" || type == "gauge" || type == "histogram" || type == "summary" ||
         type == "untyped";
}

// `text` follows '#'. Only "# HELP" and "# TYPE" lines have a grammar; any
// other comment is free text and ignored.
error parse_comment(std::string_view text) {
  std::size_t pos = skip_blanks(text, 0);
  const std::size_t keyword_end = skip_token(text, pos);
  const std::string_view keyword = text.substr(pos, keyword_end - pos);
  const bool is_help = keyword == "HELP";
  if (!is_help && keyword != "TYPE") return nullptr;
  pos = skip_blanks(text, keyword_end);
  const std::size_t name_end = skip_name(text, pos, metric_start, metric_char);
  if (name_end == pos || (name_end < text.size() && !is_blank(text[name_end]))) {
    return is_help ? "invalid metric name in HELP line" : "invalid metric name in TYPE line";
  }
  pos = skip_blanks(text, name_end);
  if (is_help) {
    const std::string_view docstring = text.substr(pos);
    for (std::size_t i = 0; i < docstring.size(); ++i) {
      if (docstring[i] != '\\') continue;
      if (i + 1 >= docstring.size() || (docstring[i + 1] != '\\' && docstring[i + 1] != 'n')) {
        return "invalid escape sequence in HELP text";
      }
      ++i;
    }
    if (!is_valid_utf8(docstring)) return "HELP text is not valid UTF-8";
    return nullptr;
  }
  const std::size_t type_end = skip_token(text, pos);
  if (type_end == pos) return "missing type in TYPE line";
  if (!is_known_type(text.substr(pos, type_end - pos))) return "unknown metric type";
  if (skip_blanks(text, type_end) < text.size()) return "unexpected text after metric type";
  return nullptr;
}

error parse_line(std::string_view line, std::vector<sample>& samples) {
  // A NUL never belongs in the format; it signals a corrupt or binary body.
  if (std::memchr(line.data(), '\0', line.size()) != nullptr) return "NUL byte in line";
  const std::size_t pos = skip_blanks(line, 0);
  if (pos == line.size()) return nullptr;
  if (line[pos] == '#') return parse_comment(line.substr(pos + 1));
  // Built in place so a good line costs no move; a bad one is taken back.
  auto& parsed = samples.emplace_back();
  error e = parse_sample(line, pos, parsed);
  if (e != nullptr) samples.pop_back();
  return e;
}

} // namespace

exposition parse_exposition(std::string_view body) {
  exposition result;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < body.size()) {
    const void* newline = std::memchr(body.data() + start, '\n', body.size() - start);
    const std::size_t end =
        newline != nullptr ? static_cast<std::size_t>(static_cast<const char*>(newline) - body.data())
                           : body.size();
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (error e = parse_line(line, result.samples)) {
      if (result.malformed_lines == 0) {
        result.first_error = "line " + std::to_string(line_number) + ": " + e;
      }
      ++result.malformed_lines;
    }
  }
  return result;
}

} // namespace troupe::checker
