#include "hub/base/json.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hub {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if there is none.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  uint32_t cp = c & (0x7f >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out += buffer;
        } else if (c < 0x80) {
          out += static_cast<char>(c);
        } else {
          const size_t n = Utf8SequenceLength(s, i);
          if (n == 0) {
            out += "\xef\xbf\xbd";  // U+FFFD
            ++i;
          } else {
            out.append(s.data() + i, n);
            i += n;
          }
          continue;
        }
    }
    ++i;
  }
  out += "\"";
  return out;
}

std::string JsonBool(bool b) { return b ? "true" : "false"; }
std::string JsonInt(int64_t n) { return absl::StrCat(n); }
std::string JsonNull() { return "null"; }

std::string JsonArray(const std::vector<std::string>& rendered_values) {
  return absl::StrCat("[", absl::StrJoin(rendered_values, ","), "]");
}

std::string JsonStringArray(const std::vector<std::string>& strings) {
  std::vector<std::string> rendered;
  rendered.reserve(strings.size());
  for (const std::string& s : strings) rendered.push_back(JsonString(s));
  return JsonArray(rendered);
}

JsonObject& JsonObject::Add(absl::string_view key, std::string rendered_value) {
  members_.emplace_back(std::string(key), std::move(rendered_value));
  return *this;
}

std::string JsonObject::Build() const {
  std::string out = "{";
  for (size_t i = 0; i < members_.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, JsonString(members_[i].first), ":", members_[i].second);
  }
  out += "}";
  return out;
}

}  // namespace hub
