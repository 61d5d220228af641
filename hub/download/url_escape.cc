#include "hub/download/url_escape.h"

#include <array>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace hub {
namespace {

constexpr std::array<bool, 256> MakeKeptTable() {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (const char c :
       {'-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', ',', '=', ':', '@'}) {
    t[static_cast<unsigned char>(c)] = true;
  }
  return t;
}
constexpr std::array<bool, 256> kKept = MakeKeptTable();

void AppendEscapedSegment(absl::string_view segment, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (segment == "." || segment == "..") {
    for (size_t i = 0; i < segment.size(); ++i) out->append("%2E");
    return;
  }
  for (const char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (kKept[c]) {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
    }
  }
}

}  // namespace

std::string EscapeUrlPathSegment(absl::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  AppendEscapedSegment(segment, &out);
  return out;
}

std::string EscapeUrlPath(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  bool first = true;
  for (const absl::string_view segment : absl::StrSplit(path, '/')) {
    if (!first) out.push_back('/');
    first = false;
    AppendEscapedSegment(segment, &out);
  }
  return out;
}

}  // namespace hub
