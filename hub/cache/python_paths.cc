#include "hub/cache/python_paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace hub {
namespace {

// getpw*_r into a buffer that grows as needed; nullopt when not found.
template <typename Lookup>
std::optional<std::string> HomeFromPasswd(Lookup lookup) {
  std::vector<char> buffer(1024);
  while (true) {
    passwd entry{};
    passwd* result = nullptr;
    const int err = lookup(&entry, buffer.data(), buffer.size(), &result);
    if (err == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (err != 0 || result == nullptr || result->pw_dir == nullptr) return std::nullopt;
    return std::string(result->pw_dir);
  }
}

bool IsSchemeChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// urllib.parse.uses_params.
bool UsesParams(absl::string_view scheme) {
  for (absl::string_view s : {"", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp",
                              "rtsp", "rtspu", "sip", "sips", "mms", "sftp", "tel"}) {
    if (scheme == s) return true;
  }
  return false;
}

}  // namespace

std::string ExpandUser(absl::string_view path) {
  if (!absl::StartsWith(path, "~")) return std::string(path);
  size_t i = path.find('/', 1);
  if (i == absl::string_view::npos) i = path.size();
  std::optional<std::string> home;
  if (i == 1) {
    if (const char* env = std::getenv("HOME"); env != nullptr) {
      home = env;
    } else {
      const uid_t uid = getuid();
      home = HomeFromPasswd(
          [uid](passwd* e, char* b, size_t n, passwd** r) { return getpwuid_r(uid, e, b, n, r); });
    }
  } else {
    const std::string name(path.substr(1, i - 1));
    home = HomeFromPasswd([&name](passwd* e, char* b, size_t n, passwd** r) {
      return getpwnam_r(name.c_str(), e, b, n, r);
    });
  }
  if (!home.has_value()) return std::string(path);
  // userhome.rstrip("/"), then `(userhome + path[i:]) or "/"`.
  absl::string_view trimmed = *home;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  std::string result = absl::StrCat(trimmed, path.substr(i));
  return result.empty() ? "/" : result;
}

absl::StatusOr<std::string> UrlPathBasename(absl::string_view url_in) {
  // urlsplit: strip leading C0 controls and spaces; drop tabs and newlines.
  size_t start = 0;
  while (start < url_in.size() && static_cast<unsigned char>(url_in[start]) <= 0x20) ++start;
  std::string url;
  url.reserve(url_in.size() - start);
  for (char c : url_in.substr(start)) {
    if (c != '\t' && c != '\r' && c != '\n') url.push_back(c);
  }
  absl::string_view rest = url;
  std::string scheme;
  if (const size_t colon = rest.find(':');
      colon != absl::string_view::npos && colon > 0 &&
      absl::ascii_isalpha(static_cast<unsigned char>(rest[0]))) {
    bool all_scheme = true;
    for (char c : rest.substr(0, colon)) all_scheme = all_scheme && IsSchemeChar(c);
    if (all_scheme) {
      scheme = absl::AsciiStrToLower(rest.substr(0, colon));
      rest.remove_prefix(colon + 1);
    }
  }
  if (absl::StartsWith(rest, "//")) {
    const size_t end = rest.find_first_of("/?#", 2);
    const absl::string_view netloc =
        rest.substr(2, end == absl::string_view::npos ? absl::string_view::npos : end - 2);
    if (absl::StrContains(netloc, '[') != absl::StrContains(netloc, ']')) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid URL \"", url, "\": Invalid IPv6 URL (unbalanced brackets)"));
    }
    rest = end == absl::string_view::npos ? absl::string_view() : rest.substr(end);
  }
  if (const size_t hash = rest.find('#'); hash != absl::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  if (const size_t query = rest.find('?'); query != absl::string_view::npos) {
    rest = rest.substr(0, query);
  }
  // urlparse: ";params" after the last "/" are not part of the path.
  if (UsesParams(scheme) && absl::StrContains(rest, ';')) {
    const size_t last_slash = rest.rfind('/');
    const size_t semi =
        last_slash == absl::string_view::npos ? rest.find(';') : rest.find(';', last_slash);
    if (semi != absl::string_view::npos) rest = rest.substr(0, semi);
  }
  const size_t slash = rest.rfind('/');
  return std::string(slash == absl::string_view::npos ? rest : rest.substr(slash + 1));
}

}  // namespace hub
