// torchhub --version, env, completion, and the conventions every verb
// shares (-v/--verbose, --quiet, TORCHHUB_NO_PROGRESS), in-process.
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/api/hub.h"
#include "hub/base/json_reader.h"
#include "hub/base/test_dirs.h"
#include "hub/cli/command.h"
#include "hub/cli/fetch_flags.h"
#include "hub/cli/torchhub.h"
#include "hub/cli/verbs.h"

namespace hub::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result RunCli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunTorchhub(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(InfoVerbsTest, VersionPrintsTheVersionFile) {
  const std::string file = ::hub::testing::ReadTestFile(::hub::testing::RunfilePath("VERSION"));
  const Result r = RunCli({"--version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, ::testing::StartsWith(
                         absl::StrCat("torchhub ", absl::StripAsciiWhitespace(file), "\n")));
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(Version(), std::string(absl::StripAsciiWhitespace(file)));
}

TEST(InfoVerbsTest, EnvJsonParsesAndHasEveryField) {
  const std::string hub = ::hub::testing::TestDir("hub");
  ::setenv("https_proxy", "http://me:secret@proxy.test:3128", 1);
  const Result r = RunCli({"--hub-dir", hub, "env", "--json"});
  ::unsetenv("https_proxy");
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("secret")));
  absl::StatusOr<JsonValue> json = ParseJson(r.out);
  ASSERT_TRUE(json.ok()) << json.status() << "\n" << r.out;
  EXPECT_EQ(json->GetString({"version"}), Version());
  EXPECT_EQ(json->GetString({"hub_dir"}), hub);
  for (const std::optional<std::string>& value :
       {json->GetString({"os"}), json->GetString({"compiler"}),
        json->GetString({"libtorch", "version"}), json->GetString({"libtorch", "root"}),
        json->GetString({"python", "version"}), json->GetString({"python", "executable"}),
        json->GetString({"libcurl", "version"}), json->GetString({"libcurl", "tls"}),
        json->GetString({"libgit2", "version"}), json->GetString({"crypto_backend"})}) {
    ASSERT_TRUE(value.has_value()) << r.out;
    EXPECT_FALSE(value->empty()) << r.out;
  }
  EXPECT_EQ(json->GetString({"proxies", "https_proxy"}), "http://me:***@proxy.test:3128");
  for (const char* key : {"bundle", "bundle_source", "dir"}) {
    EXPECT_NE(json->Find("ca")->Find(key), nullptr) << key;
  }
  const JsonValue* sandbox = json->Find("sandbox");
  ASSERT_NE(sandbox, nullptr);
  ASSERT_NE(sandbox->Find("user_namespace"), nullptr);
  EXPECT_TRUE(sandbox->Find("user_namespace")->is_bool());
  for (const char* key :
       {"user_namespace_error", "unprivileged_userns_clone", "max_user_namespaces"}) {
    EXPECT_NE(sandbox->Find(key), nullptr) << key;
  }
}

TEST(InfoVerbsTest, EnvTextNamesEveryLine) {
  const Result r = RunCli({"env"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  for (const char* line : {"torchhub        ", "hub dir         ", "libtorch        ",
                           "python          ", "libcurl         ", "libgit2         ",
                           "crypto          ", "CA bundle       ", "sandbox         "}) {
    EXPECT_THAT("\n" + r.out, HasSubstr(absl::StrCat("\n", line))) << line;
  }
  EXPECT_EQ(RunCli({"env", "extra"}).code, kExitUsage);
}

TEST(InfoVerbsTest, CompletionHasEveryVerbAndItsOptions) {
  const Result r = RunCli({"completion", "bash"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("complete -F _torchhub torchhub"));
  const std::vector<Verb> verbs = TorchhubVerbs();
  ASSERT_GT(verbs.size(), 10u);
  std::string all_names;
  for (const Verb& v : verbs) {
    absl::StrAppend(&all_names, v.name, " ");
    const size_t row = r.out.find(absl::StrCat("\n    ", v.name, ") words=\""));
    ASSERT_NE(row, std::string::npos) << v.name;
    const std::string words = r.out.substr(row, r.out.find('\n', row + 1) - row);
    for (const std::string& option : v.options) EXPECT_THAT(words, HasSubstr(option)) << v.name;
    EXPECT_THAT(words, HasSubstr("--json"));
  }
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("\"\") words=\"", all_names, "--hub-dir")));
  // The table itself, not a copy: a verb added to it is completed.
  const std::string more = BashCompletion(
      ReplaceVerbs(verbs, {MakeVerb<NoFlags>("brand-new", "usage: brand-new\n",
                                             [](const Call<NoFlags>&) { return kExitOk; })}));
  EXPECT_THAT(more, HasSubstr("\n    brand-new) words=\""));
  EXPECT_THAT(r.out, Not(HasSubstr("brand-new")));
}

TEST(InfoVerbsTest, CompletionOnlyForBash) {
  EXPECT_EQ(RunCli({"completion", "zsh"}).code, kExitUsage);
  EXPECT_EQ(RunCli({"completion"}).code, kExitUsage);
}

TEST(InfoVerbsTest, VerboseAndQuietBeforeOrAfterTheVerb) {
  const std::string hub = ::hub::testing::TestDir("hub");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"-v", "--hub-dir", hub, "dir"},
                                             {"--verbose", "--hub-dir", hub, "dir"},
                                             {"--quiet", "--hub-dir", hub, "dir"},
                                             {"--hub-dir", hub, "dir", "--quiet"},
                                             {"--hub-dir", hub, "dir", "-v"}}) {
    const Result r = RunCli(args);
    EXPECT_EQ(r.code, kExitOk) << args[0] << r.err;
    EXPECT_EQ(r.out, hub + "\n");
  }
  EXPECT_EQ(RunCli({"-x", "dir"}).code, kExitUsage);
  EXPECT_EQ(RunCli({"dir", "--loud"}).code, kExitUsage);
}

TEST(InfoVerbsTest, VerbsSeeTheVerbosity) {
  std::vector<Verbosity> seen;
  const std::vector<Verb> verbs = {
      MakeVerb<NoFlags>("probe", "usage: probe\n", [&seen](const Call<NoFlags>& call) {
        seen.push_back(call.verbosity);
        return kExitOk;
      })};
  std::ostringstream out, err;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"probe"}, {"--quiet", "probe"}, {"-v", "probe"}, {"--quiet", "probe", "--verbose"}}) {
    EXPECT_EQ(RunTorchhub(verbs, args, out, err), kExitOk) << err.str();
  }
  EXPECT_THAT(seen, ::testing::ElementsAre(Verbosity::kNormal, Verbosity::kQuiet,
                                           Verbosity::kVerbose, Verbosity::kVerbose));
}

TEST(InfoVerbsTest, ProgressIsOffWithNoProgressQuietOrTheEnvironment) {
  ::unsetenv("TORCHHUB_NO_PROGRESS");
  Call<NoFlags> call;
  EXPECT_TRUE(call.ShowProgress(/*no_progress=*/false));
  EXPECT_FALSE(call.ShowProgress(/*no_progress=*/true));
  call.verbosity = Verbosity::kVerbose;
  EXPECT_TRUE(call.ShowProgress(false));
  call.verbosity = Verbosity::kQuiet;
  EXPECT_FALSE(call.ShowProgress(false));
  call.verbosity = Verbosity::kNormal;
  ::setenv("TORCHHUB_NO_PROGRESS", "1", 1);
  EXPECT_FALSE(call.ShowProgress(false));
  ::setenv("TORCHHUB_NO_PROGRESS", "0", 1);
  EXPECT_TRUE(call.ShowProgress(false));
  ::setenv("TORCHHUB_NO_PROGRESS", "", 1);
  EXPECT_TRUE(call.ShowProgress(false));
  ::setenv("TORCHHUB_NO_PROGRESS", "False", 1);  // as every TORCHHUB_* switch
  EXPECT_TRUE(call.ShowProgress(false));
  ::setenv("TORCHHUB_NO_PROGRESS", "yes", 1);
  EXPECT_FALSE(call.ShowProgress(false));
  ::unsetenv("TORCHHUB_NO_PROGRESS");
}

TEST(InfoVerbsTest, GlobalQuietSilencesTorchHubMessages) {
  std::ostringstream err;
  absl::StatusOr<HubOptions> normal = HubOptionsFrom(FetchFlags(), err);
  ASSERT_TRUE(normal.ok());
  EXPECT_TRUE(normal->verbose);
  absl::StatusOr<HubOptions> quiet = HubOptionsFrom(FetchFlags(), err, Verbosity::kQuiet);
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(quiet->verbose);
}

}  // namespace
}  // namespace hub::cli
