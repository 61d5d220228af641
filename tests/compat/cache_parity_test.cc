// hub/cache against Python's torch.hub: get_dir()/set_dir() under many
// environments, and load_state_dict_from_url's file name for many URLs.

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/warnings.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/python_paths.h"
#include "tests/compat/oracle.h"

namespace hub {
namespace {

using ::hub::testing::AskTorchHub;
using ::hub::testing::Hex;
using ::hub::testing::Unhex;

using Opt = std::optional<std::string>;

struct Env {
  Opt set_dir, home, torch_home, xdg_cache_home, torch_hub;
};

std::string Describe(const Env& e) {
  auto d = [](const Opt& o) { return o.has_value() ? absl::StrCat("\"", *o, "\"") : "unset"; };
  return absl::StrCat("set_dir=", d(e.set_dir), " HOME=", d(e.home),
                      " TORCH_HOME=", d(e.torch_home), " XDG_CACHE_HOME=", d(e.xdg_cache_home),
                      " TORCH_HUB=", d(e.torch_hub));
}

void SetOrUnset(const char* name, const Opt& value) {
  if (value.has_value()) {
    setenv(name, value->c_str(), 1);
  } else {
    unsetenv(name);
  }
}

TEST(CacheParityTest, GetDirMatchesTorchHub) {
  const std::vector<Env> envs = {
      {std::nullopt, "/home/me", std::nullopt, std::nullopt, std::nullopt},
      {std::nullopt, "/home/me/", std::nullopt, std::nullopt, std::nullopt},
      {std::nullopt, "/", std::nullopt, std::nullopt, std::nullopt},
      {std::nullopt, "", std::nullopt, std::nullopt, std::nullopt},
      {std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      {std::nullopt, "/home/me", "/th", std::nullopt, std::nullopt},
      {std::nullopt, "/home/me", "/th/", std::nullopt, std::nullopt},
      {std::nullopt, "/home/me", "~/th", std::nullopt, std::nullopt},
      {std::nullopt, "/home/me", "~", std::nullopt, std::nullopt},
      {std::nullopt, "/home/me", "", std::nullopt, std::nullopt},
      {std::nullopt, "/home/me", "relative", std::nullopt, std::nullopt},
      {std::nullopt, "/home/me", "~root/t", std::nullopt, std::nullopt},
      {std::nullopt, "/home/me", "~nobody_such_user/t", std::nullopt, std::nullopt},
      {std::nullopt, "/home/me", std::nullopt, "/xdg", std::nullopt},
      {std::nullopt, "/home/me", std::nullopt, "~/xdg", std::nullopt},
      {std::nullopt, "/home/me", std::nullopt, "", std::nullopt},
      {std::nullopt, "/home/me", std::nullopt, "/xdg//", std::nullopt},
      {std::nullopt, "/home/me", "/th", "/xdg", std::nullopt},
      {std::nullopt, "/home/me", std::nullopt, std::nullopt, "/ignored"},
      {std::nullopt, "/home/me", std::nullopt, std::nullopt, ""},
      {"/set", "/home/me", "/th", "/xdg", std::nullopt},
      {"~/set", "/home/me", std::nullopt, std::nullopt, std::nullopt},
      {"~", "/home/me", std::nullopt, std::nullopt, std::nullopt},
      {"rel/set/", "/home/me", std::nullopt, std::nullopt, std::nullopt},
      {"", "/home/me", std::nullopt, std::nullopt, std::nullopt},
      {"/set", "/home/me", std::nullopt, std::nullopt, "/x"},
  };
  std::vector<std::vector<std::string>> questions;
  questions.reserve(envs.size());
  auto h = [](const Opt& o) { return o.has_value() ? Hex(*o) : std::string("-"); };
  for (const Env& e : envs) {
    questions.push_back(
        {h(e.set_dir), h(e.home), h(e.torch_home), h(e.xdg_cache_home), h(e.torch_hub)});
  }
  HUB_ASSERT_OK_AND_ASSIGN(const auto answers, AskTorchHub("get_dir", questions));

  const Opt saved_home = std::getenv("HOME") ? Opt(std::getenv("HOME")) : std::nullopt;
  for (size_t i = 0; i < envs.size(); ++i) {
    const Env& e = envs[i];
    SCOPED_TRACE(Describe(e));
    SetOrUnset("HOME", e.home);
    SetOrUnset("TORCH_HOME", e.torch_home);
    SetOrUnset("XDG_CACHE_HOME", e.xdg_cache_home);
    SetOrUnset("TORCH_HUB", e.torch_hub);
    ClearDir();
    if (e.set_dir.has_value()) SetDir(*e.set_dir);
    std::vector<std::string> warnings;
    {
      ScopedWarningHandler capture(
          [&](WarningCategory, absl::string_view m) { warnings.emplace_back(m); });
      EXPECT_EQ(GetDir(), Unhex(answers[i][0]));
    }
    EXPECT_EQ(absl::StrJoin(warnings, "\n"), Unhex(answers[i][1]));
  }
  ClearDir();
  SetOrUnset("HOME", saved_home);
  for (const char* v : {"TORCH_HOME", "XDG_CACHE_HOME", "TORCH_HUB"}) unsetenv(v);
}

TEST(CacheParityTest, UrlFileNameMatchesTorchHub) {
  const std::vector<std::string> urls = {
      "https://download.pytorch.org/models/resnet18-5c106cde.pth",
      "https://download.pytorch.org/models/resnet18-f37072fd.pth",
      "https://github.com/ailzhang/torchhub_example/releases/download/0.1/mnist_init_ones",
      "https://x/a/b.pth?download=1#frag",
      "https://x/a/b.pth#frag?x",
      "https://x/a/b.pth;v=1",
      "https://x/a;p/b.pth",
      "https://x/a;p/b;q",
      "ftp://x/a;type=i",
      "s3://bucket/a;b",
      "gs://bucket/dir/m.pt",
      "file:///tmp/w.pth",
      "https://x/dir/",
      "https://x",
      "https://x?q=/y",
      "https://x/w%20v.pth",
      "  https://x/a.pth",
      "\x01\x02https://x/a.pth",
      "https://x/a\t.p\nth",
      "https://x/a.pth  ",
      "HTTPS://X/A.PTH;x",
      "weights.pth",
      "/local/file.pt",
      "1http://x/a;b",
      "http://[::1]:8080/m.pt",
      "http://[::1/x",
      "http://::1]/x",
      "https://huggingface.co/o/r/resolve/main/weights.pth",
      "https://user:pw@host:8443/p/m.safetensors?token=abc",
      "https://x/a/..",
      "https://x/caf\xc3\xa9.pt",
      "h+t.t-p://x/a;b",
      "https:x/y.pt",
      "//host/only/path.bin",
      "mailto:someone;x",
  };
  std::vector<std::vector<std::string>> questions;
  questions.reserve(urls.size());
  for (const std::string& u : urls) questions.push_back({Hex(u)});
  HUB_ASSERT_OK_AND_ASSIGN(const auto answers, AskTorchHub("basename", questions));
  for (size_t i = 0; i < urls.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("url \"", absl::CHexEscape(urls[i]), "\""));
    const absl::StatusOr<std::string> ours = UrlPathBasename(urls[i]);
    if (answers[i][0] == "ERR") {
      EXPECT_FALSE(ours.ok()) << "torch.hub raises " << answers[i][1];
    } else {
      ASSERT_TRUE(ours.ok()) << ours.status();
      EXPECT_EQ(*ours, Unhex(answers[i][1]));
    }
  }
}

}  // namespace
}  // namespace hub
