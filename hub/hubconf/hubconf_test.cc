// The hubconf runner against hub dirs written here, and against Python's own
// torch.hub on the same dirs.
#include "hub/hubconf/hubconf.h"

#include <ATen/ATen.h>
#include <sys/stat.h>
#include <torch/csrc/jit/serialization/import.h>

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::RunCommand;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Writes `files` (relative path -> content) under a fresh dir.
std::string MakeRepo(const std::string& name, const std::map<std::string, std::string>& files) {
  std::string dir = TestDir(name);
  for (const auto& [path, content] : files) {
    const std::string full = absl::StrCat(dir, "/", path);
    for (size_t slash = full.find('/', dir.size() + 1); slash != std::string::npos;
         slash = full.find('/', slash + 1)) {
      ::mkdir(full.substr(0, slash).c_str(), 0755);
    }
    WriteTestFile(full, content);
  }
  return dir;
}

// Runs Python code under /usr/bin/python3 and returns its stdout.
std::string RunPython(const std::string& code) {
  const std::string script = absl::StrCat(TestDir("py"), "/script.py");
  WriteTestFile(script, code);
  absl::StatusOr<testing::CommandResult> r =
      RunCommand({"/usr/bin/python3", script}, {.separate_stderr = true});
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return "";
  EXPECT_EQ(r->exit_code, 0) << r->error_output;
  return r->output;
}

constexpr char kHubconf[] = R"PY(
"""A hubconf with a bit of everything torch.hub has to sort out."""
import os
from os.path import join  # imported callables count, as in torch.hub

dependencies = ['os', 'json']

NUMBER = 3  # not callable
items = [1, 2]


def _helper():
    return 'hidden'


def plain():
    """Returns a plain string."""
    return 'plain ' + _helper()


def undocumented():
    return None


def echo(*args, **kwargs):
    """Returns what it was given."""
    return {'args': list(args), 'kwargs': kwargs}


class Tokenizer:
    """A tokenizer-like object."""

    def __init__(self, lower=True):
        self.lower = lower
        self.vocab_size = 7

    def __call__(self, text):
        return (text.lower() if self.lower else text).split()

    def __repr__(self):
        return f'Tokenizer(lower={self.lower})'


def tokenizer(lower=True):
    """A tokenizer."""
    return Tokenizer(lower)
)PY";

TEST(HubconfTest, ListFollowsTorchHubsRule) {
  const std::string dir = MakeRepo("list", {{"hubconf.py", kHubconf}});
  absl::StatusOr<std::vector<std::string>> names = ListEntrypoints(dir);
  ASSERT_THAT(names, IsOk());
  EXPECT_THAT(*names,
              ElementsAre("Tokenizer", "echo", "join", "plain", "tokenizer", "undocumented"));
}

TEST(HubconfTest, ListAndHelpEqualPythonTorchHubOnTheSameRepo) {
  // torch.hub.list/help take GitHub repos only: put the dir where the cache
  // has it, so that torch.hub uses it without any network.
  const std::string hub_dir = TestDir("parity_hub");
  const std::string repo = absl::StrCat(hub_dir, "/owner_name_main");
  ::mkdir(repo.c_str(), 0755);
  WriteTestFile(absl::StrCat(repo, "/hubconf.py"), kHubconf);

  const std::string python = RunPython(absl::StrCat(R"PY(
import torch.hub, json
torch.hub.set_dir(')PY",
                                                    hub_dir, R"PY(')
names = torch.hub.list('owner/name:main', trust_repo=True, skip_validation=True)
docs = {n: torch.hub.help('owner/name:main', n, trust_repo=True, skip_validation=True)
        for n in names + ['_helper']}
print(json.dumps({'names': names, 'docs': docs}))
)PY"));
  absl::StatusOr<JsonValue> expected = ParseJson(python);
  ASSERT_THAT(expected, IsOk()) << python;
  absl::StatusOr<std::vector<std::string>> names = ListEntrypoints(repo);
  ASSERT_THAT(names, IsOk());
  std::vector<std::string> python_names;
  for (const JsonValue& n : expected->Find("names")->array()) {
    python_names.push_back(n.string_value());
  }
  EXPECT_EQ(*names, python_names);
  ASSERT_EQ(expected->Find("docs")->members().size(), names->size() + 1);
  for (const auto& [name, doc] : expected->Find("docs")->members()) {
    absl::StatusOr<std::optional<std::string>> ours = EntrypointDoc(repo, name);
    ASSERT_THAT(ours, IsOk()) << name;
    if (doc.is_null()) {
      EXPECT_FALSE(ours->has_value()) << name;
    } else {
      EXPECT_EQ(ours->value_or("<none>"), doc.string_value()) << name;
    }
  }
}

TEST(HubconfTest, HelpGivesTheDocstringOrSaysThereIsNone) {
  const std::string dir = MakeRepo("help", {{"hubconf.py", kHubconf}});
  EXPECT_THAT(EntrypointDoc(dir, "plain"),
              IsOkAndHolds(::testing::Optional(std::string("Returns a plain string."))));
  absl::StatusOr<std::optional<std::string>> none = EntrypointDoc(dir, "undocumented");
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());
  EXPECT_THAT(EntrypointDoc(dir, "NUMBER"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("RuntimeError: Cannot find callable NUMBER in hubconf")));
  EXPECT_THAT(EntrypointDoc(dir, "nope"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Cannot find callable nope")));
}

TEST(HubconfTest, MissingDependenciesAreNamedAsTorchHubNamesThem) {
  const std::string dir =
      MakeRepo("deps", {{"hubconf.py",
                         "dependencies = ['os', 'no_such_pkg_a', 'json', 'no_such_pkg_b']\n"
                         "def entry():\n    return 1\n"}});
  // list does not check dependencies; help and load do.
  EXPECT_THAT(ListEntrypoints(dir), IsOkAndHolds(ElementsAre("entry")));
  EXPECT_THAT(EntrypointDoc(dir, "entry"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("RuntimeError: Missing dependencies: no_such_pkg_a, "
                                 "no_such_pkg_b")));
  EXPECT_THAT(LoadEntrypoint(dir, "entry"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("Missing dependencies: no_such_pkg_a, no_such_pkg_b")));
}

TEST(HubconfTest, LoadPassesArgumentsOfEveryKind) {
  const std::string dir = MakeRepo("echo", {{"hubconf.py", kHubconf}});
  HubArgs args;
  args.args = {HubValue(int64_t{1}), HubValue(2.5), HubValue("three"), HubValue(true), HubValue()};
  args.kwargs = {{"list", HubValue(HubValue::List{HubValue(1), HubValue("x")})},
                 {"dict", HubValue(HubValue::Dict{{"k", HubValue(false)}})}};
  absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(dir, "echo", args);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->kind, LoadedEntry::Kind::kObject);
  absl::StatusOr<HubValue> value = loaded->object.ToValue();
  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(value->DebugString(),
            "{'args': [1, 2.5, 'three', True, None], "
            "'kwargs': {'list': [1, 'x'], 'dict': {'k': False}}}");
}

TEST(HubconfTest, UnknownOrNonCallableEntriesAreNotFound) {
  const std::string dir = MakeRepo("unknown", {{"hubconf.py", kHubconf}});
  EXPECT_THAT(
      LoadEntrypoint(dir, "missing"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("Cannot find callable missing in hubconf")));
  EXPECT_THAT(LoadEntrypoint(dir, "items"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Cannot find callable items")));
}

TEST(HubconfTest, PythonExceptionsCarryTypeMessageAndTraceback) {
  const std::string dir = MakeRepo("raises", {{"hubconf.py", R"PY(
def inner():
    raise ValueError('bad weights name "x"')

def entry(**kwargs):
    inner()
)PY"}});
  absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(dir, "entry");
  EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("ValueError: bad weights name \"x\"")));
  EXPECT_THAT(loaded.status().message(), HasSubstr("Python traceback (most recent call last)"));
  EXPECT_THAT(loaded.status().message(), HasSubstr("in inner"));
}

TEST(HubconfTest, AHubconfThatFailsToImportBreaksNothingAfterIt) {
  const std::string bad =
      MakeRepo("bad", {{"hubconf.py", "import shared_pkg\nimport missing_mod\n"},
                       {"shared_pkg/__init__.py", "NAME = 'bad'\n"}});
  const std::string good = MakeRepo(
      "good", {{"hubconf.py", "import shared_pkg\ndef name():\n    return shared_pkg.NAME\n"},
               {"shared_pkg/__init__.py", "NAME = 'good'\n"}});
  EXPECT_THAT(ListEntrypoints(bad),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("ModuleNotFoundError: No module named 'missing_mod'")));
  // Again: the failed import is retried from scratch, not half-remembered.
  EXPECT_THAT(ListEntrypoints(bad), StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(good, "name");
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->object.Str(), "good");
}

TEST(HubconfTest, ReposWithClashingPackageNamesLoadSideBySide) {
  auto repo = [](const std::string& name) {
    return MakeRepo(name,
                    {{"hubconf.py",
                      "from models import make\n"
                      "def which():\n"
                      "    import models.late  # imported only when called\n"
                      "    return make() + '/' + models.late.LATE\n"},
                     {"models/__init__.py", absl::StrCat("def make():\n    return '", name, "'\n")},
                     {"models/late.py", absl::StrCat("LATE = '", name, "-late'\n")}});
  };
  const std::string a = repo("repo_a");
  const std::string b = repo("repo_b");
  for (int round = 0; round < 2; ++round) {
    for (const std::string& dir : {a, b}) {
      absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(dir, "which");
      ASSERT_THAT(loaded, IsOk());
      const std::string name = dir.substr(dir.rfind('/') + 1);
      EXPECT_EQ(loaded->object.Str(), absl::StrCat(name, "/", name, "-late"));
    }
  }
  // Neither repo's modules stay behind in sys.modules.
  const std::string other = MakeRepo("probe", {{"hubconf.py",
                                                "import sys\n"
                                                "def leaked():\n"
                                                "    return sorted(m for m in sys.modules\n"
                                                "                  if m.startswith('models'))\n"}});
  absl::StatusOr<LoadedEntry> probe = LoadEntrypoint(other, "leaked");
  ASSERT_THAT(probe, IsOk());
  EXPECT_EQ(probe->object.Repr(), "[]");
}

TEST(HubconfTest, TwoRefsOfOneRepoLoadInOneProcess) {
  const std::string v1 = MakeRepo("owner_repo_v1", {{"hubconf.py",
                                                     "from lib.version import V\n"
                                                     "def version():\n    return V\n"},
                                                    {"lib/__init__.py", ""},
                                                    {"lib/version.py", "V = 1\n"}});
  const std::string v2 = MakeRepo("owner_repo_v2", {{"hubconf.py",
                                                     "from lib.version import V\n"
                                                     "def version():\n    return V\n"},
                                                    {"lib/__init__.py", ""},
                                                    {"lib/version.py", "V = 2\n"}});
  absl::StatusOr<LoadedEntry> one = LoadEntrypoint(v1, "version");
  absl::StatusOr<LoadedEntry> two = LoadEntrypoint(v2, "version");
  ASSERT_THAT(one, IsOk());
  ASSERT_THAT(two, IsOk());
  EXPECT_EQ(one->object.Str(), "1");
  EXPECT_EQ(two->object.Str(), "2");
}

TEST(HubconfTest, ATokenizerComesBackAsAHandleThatCanBeCalled) {
  const std::string dir = MakeRepo("tok", {{"hubconf.py", kHubconf}});
  HubArgs args;
  args.kwargs = {{"lower", HubValue(true)}};
  absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(dir, "tokenizer", args);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_EQ(loaded->kind, LoadedEntry::Kind::kObject);
  const PyObjectHandle& tok = loaded->object;
  EXPECT_EQ(tok.Repr(), "Tokenizer(lower=True)");
  EXPECT_EQ(tok.TypeName(), "hubconf.py.Tokenizer");
  EXPECT_TRUE(tok.IsCallable());
  EXPECT_TRUE(tok.HasAttr("vocab_size"));
  EXPECT_FALSE(tok.HasAttr("nope"));
  absl::StatusOr<PyObjectHandle> size = tok.GetAttr("vocab_size");
  ASSERT_THAT(size, IsOk());
  EXPECT_THAT(size->ToValue(),
              IsOkAndHolds(::testing::Property(&HubValue::DebugString, std::string("7"))));
  HubArgs text;
  text.args = {HubValue("Hello Hub World")};
  absl::StatusOr<PyObjectHandle> tokens = tok.Call(text);
  ASSERT_THAT(tokens, IsOk());
  EXPECT_EQ(tokens->ToValue()->DebugString(), "['hello', 'hub', 'world']");
  EXPECT_THAT(tok.GetAttr("nope"),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("AttributeError")));
  EXPECT_THAT(tok.ToValue(), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("cannot convert a hubconf.py.Tokenizer")));
  // A handle passes back into Python as the same object.
  const std::string pass = MakeRepo("pass", {{"hubconf.py", "def ident(x):\n    return x\n"}});
  HubArgs again;
  again.args = {HubValue(tok)};
  absl::StatusOr<LoadedEntry> back = LoadEntrypoint(pass, "ident", again);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->object.borrowed(), tok.borrowed());
}

constexpr char kModels[] = R"PY(
import torch
from torch import nn

dependencies = ['torch']


class Scriptable(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 2)

    def forward(self, x):
        return torch.relu(self.linear(x))


class TraceOnly(nn.Module):
    """Scripting fails on the *args forward; tracing works."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.full((3,), 2.0))

    def forward(self, *inputs):
        return sum(i * self.scale for i in inputs)


def scriptable(seed=0):
    torch.manual_seed(seed)
    return Scriptable().eval()


def trace_only():
    return TraceOnly()


def ones(n=3):
    return torch.ones(n)


def state_dict():
    torch.manual_seed(0)
    return Scriptable().state_dict()


def total(t):
    return float(t.sum())
)PY";

TEST(HubconfTest, AModuleArrivesAsTorchScriptMatchingPython) {
  const std::string dir = MakeRepo("models", {{"hubconf.py", kModels}});
  HubArgs args;
  args.kwargs = {{"seed", HubValue(7)}};
  absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(dir, "scriptable", args);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_EQ(loaded->kind, LoadedEntry::Kind::kModule);
  EXPECT_EQ(loaded->torchscript_method, "scripted");
  const at::Tensor x = at::arange(8, at::kFloat).reshape({2, 4}) / 8 - 0.5;
  const at::Tensor ours = loaded->module->forward({x}).toTensor();
  // The same model in Python, on the same input.
  const std::string python = RunPython(absl::StrCat(R"PY(
import sys, torch
sys.path.insert(0, ')PY",
                                                    dir, R"PY(')
import importlib.util
spec = importlib.util.spec_from_file_location('h', ')PY",
                                                    dir, R"PY(/hubconf.py')
h = importlib.util.module_from_spec(spec); spec.loader.exec_module(h)
m = h.scriptable(seed=7)
x = torch.arange(8, dtype=torch.float).reshape(2, 4) / 8 - 0.5
print(' '.join(repr(v) for v in m(x).flatten().tolist()))
)PY"));
  std::vector<std::string> values = absl::StrSplit(absl::StripAsciiWhitespace(python), ' ');
  ASSERT_EQ(values.size(), 4u);
  const at::Tensor flat = ours.flatten();
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_FLOAT_EQ(flat[static_cast<int64_t>(i)].item<float>(), std::stof(values[i])) << i;
  }
}

TEST(HubconfTest, AModuleThatOnlyTracesNeedsExampleInputs) {
  const std::string dir = MakeRepo("trace", {{"hubconf.py", kModels}});
  EXPECT_THAT(
      LoadEntrypoint(dir, "trace_only"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("TraceOnly cannot be scripted")));
  LoadOptions options;
  options.example_inputs = std::vector<at::Tensor>{at::ones({3})};
  absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(dir, "trace_only", {}, options);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->torchscript_method, "traced");
  const at::Tensor y = loaded->module->forward({at::full({3}, 1.5)}).toTensor();
  EXPECT_TRUE(at::allclose(y, at::full({3}, 3.0)));
  // Inputs that don't fit say that both ways failed.
  options.example_inputs = std::vector<at::Tensor>{at::ones({5})};
  EXPECT_THAT(
      LoadEntrypoint(dir, "trace_only", {}, options),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("can be neither scripted")));
  // Or the module itself, without TorchScript.
  LoadOptions python_only;
  python_only.torchscript = false;
  absl::StatusOr<LoadedEntry> object = LoadEntrypoint(dir, "trace_only", {}, python_only);
  ASSERT_THAT(object, IsOk());
  EXPECT_EQ(object->kind, LoadedEntry::Kind::kObject);
  EXPECT_EQ(object->object.TypeName(), "hubconf.py.TraceOnly");
}

// The sandbox's worker asks for the archive torch.jit.save wrote, not a
// module loaded here: it loads, elsewhere, into the same module.
TEST(HubconfTest, AModuleCanArriveAsItsTorchScriptArchiveUnloaded) {
  const std::string dir = MakeRepo("archive", {{"hubconf.py", kModels}});
  HubArgs args;
  args.kwargs = {{"seed", HubValue(7)}};
  LoadOptions options;
  options.torchscript_archive = true;
  absl::StatusOr<LoadedEntry> archived = LoadEntrypoint(dir, "scriptable", args, options);
  ASSERT_THAT(archived, IsOk());
  ASSERT_EQ(archived->kind, LoadedEntry::Kind::kModule);
  EXPECT_FALSE(archived->module.has_value());
  EXPECT_EQ(archived->torchscript_method, "scripted");
  ASSERT_GT(archived->torchscript_archive.size(), 4u);
  EXPECT_EQ(archived->torchscript_archive.substr(0, 2), "PK");  // a zip

  absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(dir, "scriptable", args);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(loaded->torchscript_archive.empty());
  std::istringstream in(archived->torchscript_archive);
  torch::jit::Module from_archive = torch::jit::load(in);
  const at::Tensor x = at::arange(8, at::kFloat).reshape({2, 4}) / 8 - 0.5;
  EXPECT_TRUE(
      at::equal(from_archive.forward({x}).toTensor(), loaded->module->forward({x}).toTensor()));
}

TEST(HubconfTest, TensorsAreSharedNotCopied) {
  const std::string dir = MakeRepo("tensors", {{"hubconf.py", kModels}});
  absl::StatusOr<LoadedEntry> loaded = LoadEntrypoint(dir, "ones", {{HubValue(4)}, {}});
  ASSERT_THAT(loaded, IsOk());
  ASSERT_EQ(loaded->kind, LoadedEntry::Kind::kTensor);
  EXPECT_EQ(loaded->tensor.numel(), 4);
  // A write through the C++ tensor is seen by the Python object.
  loaded->tensor.fill_(5);
  absl::StatusOr<PyObjectHandle> sum = loaded->object.CallMethod("sum", {});
  ASSERT_THAT(sum, IsOk());
  EXPECT_EQ(sum->Str(), "tensor(20.)");
  // And a C++ tensor passed in is Python's tensor, not a copy.
  at::Tensor mine = at::full({2, 2}, 0.5);
  absl::StatusOr<LoadedEntry> total = LoadEntrypoint(dir, "total", {{HubValue(mine)}, {}});
  ASSERT_THAT(total, IsOk());
  EXPECT_EQ(total->object.Str(), "2.0");

  absl::StatusOr<LoadedEntry> sd = LoadEntrypoint(dir, "state_dict");
  ASSERT_THAT(sd, IsOk());
  ASSERT_EQ(sd->kind, LoadedEntry::Kind::kTensorDict);
  ASSERT_EQ(sd->tensors.size(), 2u);
  EXPECT_EQ(sd->tensors[0].first, "linear.weight");
  EXPECT_EQ(sd->tensors[1].first, "linear.bias");
  EXPECT_EQ(sd->tensors[0].second.sizes(), (std::vector<int64_t>{2, 4}));
}

TEST(HubconfTest, ManyThreadsLoadAtOnce) {
  const std::string a = MakeRepo("thread_a", {{"hubconf.py",
                                               "from pkg import V\n"
                                               "def v():\n    return V\n"},
                                              {"pkg/__init__.py", "V = 'a'\n"}});
  const std::string b = MakeRepo("thread_b", {{"hubconf.py",
                                               "from pkg import V\n"
                                               "def v():\n    return V\n"},
                                              {"pkg/__init__.py", "V = 'b'\n"}});
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::vector<std::string> got(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 5; ++round) {
        absl::StatusOr<LoadedEntry> r = LoadEntrypoint(i % 2 ? b : a, "v");
        got[static_cast<size_t>(i)] += r.ok() ? r->object.Str() : std::string(r.status().message());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(got[static_cast<size_t>(i)], i % 2 ? "bbbbb" : "aaaaa");
  }
}

TEST(HubconfTest, ADirWithoutHubconfIsNotFound) {
  const std::string dir = TestDir("empty_repo");
  EXPECT_THAT(ListEntrypoints(dir),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("has no hubconf.py")));
  EXPECT_THAT(ListEntrypoints(absl::StrCat(dir, "/missing")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(HubconfTest, AnEditedHubconfIsImportedAgain) {
  const std::string dir = MakeRepo("edited", {{"hubconf.py", "def first():\n    pass\n"}});
  EXPECT_THAT(ListEntrypoints(dir), IsOkAndHolds(ElementsAre("first")));
  WriteTestFile(absl::StrCat(dir, "/hubconf.py"), "def second():\n    pass\n\n\n");
  EXPECT_THAT(ListEntrypoints(dir), IsOkAndHolds(ElementsAre("second")));
}

TEST(HubconfTest, ParseHubValueReadsCommandLineValues) {
  EXPECT_EQ(ParseHubValue("None").DebugString(), "None");
  EXPECT_EQ(ParseHubValue("null").DebugString(), "None");
  EXPECT_EQ(ParseHubValue("True").DebugString(), "True");
  EXPECT_EQ(ParseHubValue("false").DebugString(), "False");
  EXPECT_EQ(ParseHubValue("42").DebugString(), "42");
  EXPECT_EQ(ParseHubValue("-3").DebugString(), "-3");
  EXPECT_EQ(ParseHubValue("1.5").DebugString(), "1.5");
  EXPECT_EQ(ParseHubValue("\"quoted\"").DebugString(), "'quoted'");
  EXPECT_EQ(ParseHubValue("ResNet18_Weights.DEFAULT").DebugString(), "'ResNet18_Weights.DEFAULT'");
  EXPECT_EQ(ParseHubValue("[1, \"a\", true]").DebugString(), "[1, 'a', True]");
  EXPECT_EQ(ParseHubValue("{\"k\": [2]}").DebugString(), "{'k': [2]}");
  EXPECT_EQ(ParseHubValue("").DebugString(), "''");
}

}  // namespace
}  // namespace hub
