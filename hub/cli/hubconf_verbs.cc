#include "hub/cli/hubconf_verbs.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "hub/api/hub.h"
#include "hub/base/json.h"
#include "hub/base/status_macros.h"
#include "hub/cli/command.h"
#include "hub/cli/fetch_flags.h"

namespace hub::cli {
namespace {

// Options list, help and load share with fetch; the end of their usage.
#define HUB_CLI_FETCH_OPTIONS_TEXT                                               \
  "\nREPO is \"owner/name[:ref]\", fetched as `torchhub fetch` does (the same\n" \
  "--force-reload, --skip-validation, --trust-repo, --offline, --git-url,\n"     \
  "--validate-with-git, --lock, --allow-insecure-remote, --connect-timeout,\n"   \
  "--stall-timeout and --tries), or with --source\n"                             \
  "local a directory with a hubconf.py (which no lock file pins).\n"

constexpr char kListUsage[] =
    R"(usage: torchhub list REPO|DIR [--source github|local] [--no-cache] [--no-sandbox]
                         [--json] [fetch options]

torch.hub.list: the callables of REPO's hubconf.py whose names don't start
with "_", in dir() order. The answer is kept in the entrypoint cache
(<hub_dir>/.torchhub-cpp/entrypoints), keyed by the repo's content and the
Python environment, so asking again starts no Python; --no-cache always
runs the hubconf.

  --no-sandbox  run the hubconf in this process, with all your rights; by
                default it runs in a worker with no network, no home and no
                new processes (docs/sandbox.md)
)" HUB_CLI_FETCH_OPTIONS_TEXT;

constexpr char kHelpUsage[] =
    R"(usage: torchhub help REPO|DIR ENTRY [--source github|local] [--no-cache] [--no-sandbox]
                         [--json] [fetch options]

torch.hub.help: checks the hubconf's `dependencies`, then prints ENTRY's
docstring, or says it has none. Answered from the entrypoint cache when it
can (see `torchhub list --help`; --no-sandbox as there).
)" HUB_CLI_FETCH_OPTIONS_TEXT;

constexpr char kLoadUsage[] =
    R"(usage: torchhub load REPO|DIR ENTRY [ARG...] [KEY=VALUE...] [--source github|local]
                         [--save-torchscript OUT.pt] [--input SHAPE] [--forward]
                         [--python-object] [--no-sandbox] [--json] [fetch options]

torch.hub.load: calls ENTRY(*ARGS, **KWARGS) from REPO's hubconf.py through
embedded Python, and reports what came back. A value is JSON (1, 2.5, true,
null, "text", [1, 2], {"k": 1}), Python's True/False/None, or else a plain
string (weights=ResNet18_Weights.DEFAULT).

An nn.Module becomes TorchScript that runs without Python: scripted, else
traced with an input of --input's shape.

  --save-torchscript OUT.pt  write the TorchScript module (torch::jit::load
                             reads it; no Python needed)
  --input SHAPE              e.g. 1x3x224x224: the example input for tracing
                             and the input of --forward (values from seed 0)
  --forward                  run one forward pass in C++ and print the output
  --python-object            keep an nn.Module as a Python object
  --no-sandbox               run the hubconf in this process, with all your
                             rights (needed for --python-object and any
                             entry returning another Python object); by
                             default it runs in a worker with no network, no
                             home and no new processes, and what comes back
                             is checked TorchScript, tensors or plain data
                             (docs/sandbox.md)
)" HUB_CLI_FETCH_OPTIONS_TEXT;

#undef HUB_CLI_FETCH_OPTIONS_TEXT

struct ListFlags : HubconfFlags {
  void Declare(OptionTable& table) {
    fetch.Declare(table);
    table.Value("--source", &source, OneOf({"github", "local"}))
        .Flag("--no-cache", &no_cache)
        .Flag("--sandbox", &sandbox)
        .Flag("--no-sandbox", &no_sandbox);
  }
};

struct LoadFlags : HubconfFlags {
  void Declare(OptionTable& table) {
    fetch.Declare(table);
    table.Value("--source", &source, OneOf({"github", "local"}))
        .Flag("--forward", &forward)
        .Flag("--python-object", &python_object)
        .Flag("--sandbox", &sandbox)
        .Flag("--no-sandbox", &no_sandbox)
        .Value("--save-torchscript", &save_torchscript)
        .Value("--input", &input, [](absl::string_view text) { return ParseShape(text).status(); });
  }
};

bool IsVerb(const Command& command, absl::string_view name) {
  if (command.verbs == nullptr) return false;
  return std::any_of(command.verbs->begin(), command.verbs->end(),
                     [&](const Verb& v) { return v.name == name; });
}

// The repo dir REPO|DIR names: a local directory (--source local), or the
// GitHub repo brought into the hub dir as torch.hub does.
absl::StatusOr<std::string> ResolveRepoDir(const std::string& repo_or_dir, Source source,
                                           const HubconfFlags& flags, const char* calling_fn,
                                           std::ostream& err, Verbosity verbosity) {
  if (source == Source::kLocal) return LocalRepoDir(repo_or_dir);
  HUB_ASSIGN_OR_RETURN(HubOptions options, HubOptionsFrom(flags.fetch, err, verbosity));
  ScopedInterruptHandler interrupts;
  options.fetch.download.cancel = interrupts.flag();
  HUB_ASSIGN_OR_RETURN(FetchResult fetched, Fetch(repo_or_dir, options, calling_fn));
  return fetched.repo_dir;
}

// list, help and load: resolve the repo, try the cache, else Python.
template <typename Flags>
int RunHubconfVerb(const char* verb, size_t min_positionals, size_t max_positionals,
                   HubconfRunner run_in_python, const Call<Flags>& call) {
  if (const std::optional<int> usage = call.WantPositionals(min_positionals, max_positionals)) {
    return *usage;
  }
  if (call.flags.forward && !call.flags.input.has_value()) {
    return call.BadValue("--forward needs --input SHAPE (e.g. --input 1x3x224x224)");
  }
  const absl::StatusOr<Source> source = ParseSource(call.flags.source.value_or("github"));
  if (!source.ok()) return call.BadValue(source.status().message());
  if (*source == Source::kGithub) {
    if (absl::Status s = CheckRepoArgument(verb, call.positional[0]); !s.ok()) {
      return call.BadValue(s.message());
    }
  }
  const absl::StatusOr<std::string> dir =
      ResolveRepoDir(call.positional[0], *source, call.flags, verb, call.err(), call.verbosity);
  if (!dir.ok()) return FailOrInterrupted(call.err(), dir.status());
  HubconfRequest request;
  request.verb = verb;
  request.repo_dir = *dir;
  request.arguments.assign(call.positional.begin() + 1, call.positional.end());
  request.json = call.json;
  request.flags = call.flags;
  if (request.verb != "load" && !request.flags.no_cache) {
    const absl::StatusOr<std::optional<HubconfDescription>> hit = CachedDescription(*dir);
    if (hit.ok() && hit->has_value()) {
      return request.verb == "list" ? PrintEntrypoints(request, **hit, true, call.out())
                                    : PrintHelp(request, **hit, call.out(), call.err());
    }
  }
  if (run_in_python != nullptr) return run_in_python(request, *call.command);
  if (!call.command->hand_off) {
    return call.Fail(absl::UnimplementedError(
        absl::StrCat("\"", verb, "\" needs Python, and this program has no way to run it")));
  }
  return call.command->hand_off(HubconfRequestArgs(request));
}

}  // namespace

std::vector<Verb> HubconfVerbs(HubconfRunner run_in_python) {
  return {
      MakeVerb<ListFlags>(
          "list", kListUsage,
          [run_in_python](const Call<ListFlags>& call) {
            return RunHubconfVerb("list", 1, 1, run_in_python, call);
          },
          Needs::kPython),
      MakeVerb<ListFlags>(
          "help", kHelpUsage,
          [run_in_python](const Call<ListFlags>& call) {
            if (call.positional.empty()) {  // `torchhub help`: the command's own help
              call.out() << call.command->main_usage;
              return kExitOk;
            }
            if (call.positional.size() == 1 && IsVerb(*call.command, call.positional[0])) {
              return call.Usage(absl::StrCat("help: missing ENTRY (help takes REPO|DIR ENTRY; ",
                                             "for the ", call.positional[0],
                                             " verb's usage, run `torchhub ", call.positional[0],
                                             " --help`)"));
            }
            return RunHubconfVerb("help", 2, 2, run_in_python, call);
          },
          Needs::kPython),
      MakeVerb<LoadFlags>(
          "load", kLoadUsage,
          [run_in_python](const Call<LoadFlags>& call) {
            return RunHubconfVerb("load", 2, SIZE_MAX, run_in_python, call);
          },
          Needs::kPython),
  };
}

absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view text) {
  std::vector<int64_t> shape;
  for (absl::string_view part : absl::StrSplit(text, absl::ByAnyChar("x,"))) {
    int64_t d = 0;
    if (!absl::SimpleAtoi(part, &d) || d < 0 || d > (int64_t{1} << 32)) {
      return absl::InvalidArgumentError(
          absl::StrCat("wants a shape like 1x3x224x224, not \"", text, "\""));
    }
    shape.push_back(d);
  }
  return shape;
}

std::vector<std::string> HubconfRequestArgs(const HubconfRequest& request) {
  std::vector<std::string> args = {"--hub-dir", GetDir(), request.verb, "--source", "local"};
  // Options first: after "--" everything is positional.
  const HubconfFlags& f = request.flags;
  if (f.forward) args.emplace_back("--forward");
  if (f.input.has_value()) args.push_back(absl::StrCat("--input=", *f.input));
  if (f.no_cache) args.emplace_back("--no-cache");
  if (f.no_sandbox) args.emplace_back("--no-sandbox");
  if (f.python_object) args.emplace_back("--python-object");
  if (f.save_torchscript.has_value()) {
    args.push_back(absl::StrCat("--save-torchscript=", *f.save_torchscript));
  }
  if (request.json) args.emplace_back("--json");
  args.emplace_back("--");
  args.push_back(request.repo_dir);
  args.insert(args.end(), request.arguments.begin(), request.arguments.end());
  return args;
}

std::optional<std::string> SandboxedRepoDir(const std::vector<std::string>& handed_off) {
  // {"--hub-dir", DIR, VERB, "--source", "local", OPTIONS..., "--", REPO_DIR, ...}
  if (handed_off.size() < 7 || handed_off[0] != "--hub-dir" ||
      (handed_off[2] != "list" && handed_off[2] != "help" && handed_off[2] != "load") ||
      handed_off[3] != "--source" || handed_off[4] != "local") {
    return std::nullopt;
  }
  for (size_t i = 5; i + 1 < handed_off.size(); ++i) {
    const std::string& a = handed_off[i];
    if (a == "--") return handed_off[i + 1];
    if (a == "--no-sandbox" || a == "--python-object") return std::nullopt;
  }
  return std::nullopt;
}

int PrintEntrypoints(const HubconfRequest& request, const HubconfDescription& description,
                     bool from_cache, std::ostream& out) {
  if (request.json) {
    std::vector<std::string> names;
    names.reserve(description.entrypoints.size());
    for (const std::string& n : description.entrypoints) names.push_back(JsonString(n));
    out << JsonObject()
               .Add("repo_dir", JsonString(request.repo_dir))
               .Add("entrypoints", JsonArray(names))
               .Add("from_cache", JsonBool(from_cache))
               .Build()
        << "\n";
  } else {
    for (const std::string& n : description.entrypoints) out << n << "\n";
  }
  return kExitOk;
}

int PrintHelp(const HubconfRequest& request, const HubconfDescription& description,
              std::ostream& out, std::ostream& err) {
  const std::string& entry = request.arguments.at(0);
  const absl::StatusOr<std::optional<std::string>> doc = HelpFromDescription(description, entry);
  if (!doc.ok()) return Fail(err, doc.status());
  if (request.json) {
    out << JsonObject()
               .Add("entry", JsonString(entry))
               .Add("doc", doc->has_value() ? JsonString(**doc) : JsonNull())
               .Build()
        << "\n";
  } else if (doc->has_value()) {
    out << **doc << "\n";
  } else {
    out << entry << " has no docstring.\n";
  }
  return kExitOk;
}

}  // namespace hub::cli
