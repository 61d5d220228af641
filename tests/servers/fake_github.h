// A GitHub lookalike on disk, for tests that fetch repos "from GitHub" over
// loopback: make a repository with the git CLI, publish its refs here, serve
// the root with FaultServer (or NginxServer), and point FetchOptions at it.
//
//   const std::string work = TestDir("work"), root = TestDir("root");
//   WriteTestFile(work + "/hubconf.py", "def answer():\n    return 42\n");
//   Git(work, {"init", "-q", "-b", "main"});
//   Git(work, {"add", "."});
//   Git(work, {"commit", "-q", "-m", "one"});
//   const std::string sha = Git(work, {"rev-parse", "HEAD"});
//
//   FakeGithub github(root);
//   github.PublishArchive(work, "acme/models", "main");      // .../zipball/main
//   github.PublishBranches("acme/models", {{"main", sha}});  // the API's pages
//   github.PublishTags("acme/models", {});
//   github.PublishMainBranchProbe("acme/models");            // .../tree/main/
//
//   HUB_ASSERT_OK_AND_ASSIGN(auto server, FaultServer::Start({.root = root}));
//   options.endpoints = FakeGithub::Endpoints(server->base_url());
//
// What lands under the root, as GitHub answers it:
//
//   {owner}/{name}/zipball/{ref}       `git archive` of the ref, with the commit
//                                      id as the zip comment and one top dir
//                                      "{owner}-{name}-{sha7}/"
//   {owner}/{name}/tree/main/index.html        the default-branch probe
//   api/repos/{owner}/{name}/{branches,tags}?per_page=100&page=N
//                                      pages of 100, then an empty page
//   api/repos/{owner}/{name}/compare/{base}...{head}?per_page=1
//                                      {"status": ...}
//
// The loopback servers stay the integration test: this only writes files.
// A failure (git, the file system) fails the running test. Not thread-safe;
// copyable (it holds only the root's path).

#ifndef TESTS_SERVERS_FAKE_GITHUB_H_
#define TESTS_SERVERS_FAKE_GITHUB_H_

#include <string>
#include <utility>
#include <vector>

#include "hub/source/github.h"

namespace hub::testing {

class FakeGithub {
 public:
  // A branch or tag: its name and the commit it points at.
  using Head = std::pair<std::string, std::string>;

  // Publishes under `root`, a directory the test serves at "/".
  explicit FakeGithub(std::string root);

  // The endpoints for a server serving the root at `base_url`
  // ("http://127.0.0.1:PORT"): web at the root, the API under "/api".
  static GithubEndpoints Endpoints(const std::string& base_url);

  // Serves `treeish` of the git repository `repo_dir` as `owner_name`'s
  // zipball for `url_ref` (default: `treeish` itself), as `git archive` makes
  // it. Returns the archive's path under the root.
  std::string PublishArchive(const std::string& repo_dir, const std::string& owner_name,
                             const std::string& treeish, const std::string& url_ref = "");

  // The API's branch and tag listings, in pages of 100.
  void PublishBranches(const std::string& owner_name, const std::vector<Head>& branches);
  void PublishTags(const std::string& owner_name, const std::vector<Head>& tags);

  // GitHub's "compare/{base}...{head}" answer; `status` is "ahead",
  // "behind", "identical" or "diverged".
  void PublishComparison(const std::string& owner_name, const std::string& base,
                         const std::string& head, const std::string& status);

  // "{owner}/{name}/tree/main/" answers 200: main is the default branch.
  void PublishMainBranchProbe(const std::string& owner_name);

  const std::string& root() const { return root_; }

 private:
  void PublishHeads(const std::string& owner_name, const std::string& kind,
                    const std::vector<Head>& heads);

  std::string root_;
};

}  // namespace hub::testing

#endif  // TESTS_SERVERS_FAKE_GITHUB_H_
