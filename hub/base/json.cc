#include "hub/base/json.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/base/utf8.h"

namespace hub {
namespace {}  // namespace

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
          if (n == 0) {  // not UTF-8: surrogateescape, reversible
            char buffer[8];
            std::snprintf(buffer, sizeof(buffer), "\\udc%02x", c);
            out += buffer;
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
