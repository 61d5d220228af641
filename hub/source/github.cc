#include "hub/source/github.h"

#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "hub/download/url_escape.h"

namespace hub {
namespace {

std::string FromEnv(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  std::string url = value != nullptr && *value != '\0' ? value : std::move(fallback);
  while (absl::EndsWith(url, "/")) url.pop_back();
  return url;
}

}  // namespace

GithubEndpoints GithubEndpoints::FromEnvironment() {
  GithubEndpoints e;
  e.web = FromEnv(kGithubUrlEnv, e.web);
  e.api = FromEnv(kGithubApiUrlEnv, e.api);
  return e;
}

std::string GithubEndpoints::ArchiveUrl(absl::string_view owner, absl::string_view name,
                                        absl::string_view ref) const {
  return absl::StrCat(RepoUrl(owner, name), "/zipball/", EscapeUrlPath(ref));
}

std::string GithubEndpoints::MainBranchProbeUrl(absl::string_view owner,
                                                absl::string_view name) const {
  return absl::StrCat(RepoUrl(owner, name), "/tree/main/");
}

std::string GithubEndpoints::RepoUrl(absl::string_view owner, absl::string_view name) const {
  return absl::StrCat(web, "/", EscapeUrlPathSegment(owner), "/", EscapeUrlPathSegment(name));
}

std::string GithubEndpoints::ApiPageUrl(absl::string_view owner, absl::string_view name,
                                        absl::string_view kind, int page) const {
  return absl::StrCat(api, "/repos/", EscapeUrlPathSegment(owner), "/", EscapeUrlPathSegment(name),
                      "/", EscapeUrlPathSegment(kind), "?per_page=100&page=", page);
}

std::string GithubEndpoints::CompareUrl(absl::string_view owner, absl::string_view name,
                                        absl::string_view base, absl::string_view head) const {
  return absl::StrCat(api, "/repos/", EscapeUrlPathSegment(owner), "/", EscapeUrlPathSegment(name),
                      "/compare/", EscapeUrlPathSegment(base), "...", EscapeUrlPathSegment(head),
                      "?per_page=1");
}

std::string GithubEndpoints::ApiOrigin() const {
  const size_t colon_slashes = api.find("://");
  if (colon_slashes == std::string::npos) return absl::AsciiStrToLower(api);
  const absl::string_view scheme = absl::string_view(api).substr(0, colon_slashes);
  absl::string_view authority = absl::string_view(api).substr(colon_slashes + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  // userinfo@host:port -> host:port
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  return absl::AsciiStrToLower(absl::StrCat(scheme, "://", authority));
}

}  // namespace hub
