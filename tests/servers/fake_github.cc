#include "tests/servers/fake_github.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/fs/files.h"
#include "tests/servers/git_cli.h"

namespace hub::testing {

FakeGithub::FakeGithub(std::string root) : root_(std::move(root)) {}

GithubEndpoints FakeGithub::Endpoints(const std::string& base_url) {
  GithubEndpoints endpoints;
  endpoints.web = base_url;
  endpoints.api = base_url + "/api";
  return endpoints;
}

std::string FakeGithub::PublishArchive(const std::string& repo_dir, const std::string& owner_name,
                                       const std::string& treeish, const std::string& url_ref) {
  std::string zip =
      absl::StrCat(root_, "/", owner_name, "/zipball/", url_ref.empty() ? treeish : url_ref);
  EXPECT_THAT(MakeDirs(DirName(zip)), IsOk());
  const std::string sha = Git(repo_dir, {"rev-parse", treeish + "^{commit}"});
  // GitHub's top dir: "{owner}-{name}-{sha7}/".
  const std::string prefix =
      absl::StrCat(absl::StrReplaceAll(owner_name, {{"/", "-"}}), "-", sha.substr(0, 7), "/");
  Git(repo_dir, {"archive", "--format=zip", "--prefix=" + prefix, "-o", zip, treeish});
  return zip;
}

void FakeGithub::PublishBranches(const std::string& owner_name, const std::vector<Head>& branches) {
  PublishHeads(owner_name, "branches", branches);
}

void FakeGithub::PublishTags(const std::string& owner_name, const std::vector<Head>& tags) {
  PublishHeads(owner_name, "tags", tags);
}

void FakeGithub::PublishHeads(const std::string& owner_name, const std::string& kind,
                              const std::vector<Head>& heads) {
  std::vector<std::string> entries;
  entries.reserve(heads.size());
  for (const auto& [name, sha] : heads) {
    entries.push_back(absl::StrCat(R"({"name":")", name, R"(","commit":{"sha":")", sha,
                                   R"(","url":"x"},"protected":false})"));
  }
  const std::string base = absl::StrCat(root_, "/api/repos/", owner_name, "/", kind);
  size_t page = 1;
  for (size_t i = 0; i < entries.size(); i += 100, ++page) {
    const std::vector<std::string> slice(
        entries.begin() + static_cast<std::ptrdiff_t>(i),
        entries.begin() + static_cast<std::ptrdiff_t>(std::min(entries.size(), i + 100)));
    WriteTestFile(absl::StrCat(base, "?per_page=100&page=", page),
                  absl::StrCat("[", absl::StrJoin(slice, ","), "]"));
  }
  WriteTestFile(absl::StrCat(base, "?per_page=100&page=", page), "[]");
}

void FakeGithub::PublishComparison(const std::string& owner_name, const std::string& base,
                                   const std::string& head, const std::string& status) {
  WriteTestFile(
      absl::StrCat(root_, "/api/repos/", owner_name, "/compare/", base, "...", head, "?per_page=1"),
      absl::StrCat(R"({"status":")", status, R"("})"));
}

void FakeGithub::PublishMainBranchProbe(const std::string& owner_name) {
  WriteTestFile(absl::StrCat(root_, "/", owner_name, "/tree/main/index.html"), "<html>");
}

}  // namespace hub::testing
