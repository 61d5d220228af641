#include "hub/cli/command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "hub/api/hub.h"
#include "hub/base/cancellation.h"
#include "hub/base/errno_status.h"
#include "hub/base/terminal_text.h"

namespace hub::cli {

namespace {

// A usage text's synopsis: up to its first blank line.
absl::string_view Synopsis(absl::string_view usage) {
  const size_t end = usage.find("\n\n");
  return end == absl::string_view::npos ? usage : usage.substr(0, end + 1);
}

}  // namespace

int Usage(std::ostream& err, absl::string_view message, absl::string_view usage) {
  err << "torchhub: " << EscapeControls(message) << "\n\n" << Synopsis(usage);
  return kExitUsage;
}

int BadValue(std::ostream& err, absl::string_view message) {
  err << "torchhub: " << EscapeControls(message) << "\n";
  return kExitUsage;
}

std::string InCommandWords(const absl::Status& status) {
  // The library speaks to C++ and Python callers (torch.hub's own texts);
  // where it names a parameter, the command names its option.
  static constexpr std::pair<absl::string_view, absl::string_view> kWords[] = {
      {"pass trust_repo=true", "pass --trust-repo true"},
      {"(trust_repo=", "(--trust-repo "},
      {"FetchOptions::offline is set", "--offline"},
      {"please call hub.load() with forked repo directly",
       "name the fork itself as REPO (torchhub fetch FORK_OWNER/NAME:REF)"},
  };
  std::string message(status.message());
  for (const auto& [library, command] : kWords) {
    message = absl::StrReplaceAll(message, {{library, command}});
  }
  // No connection at all: say what to do without one.
  if (status.code() == absl::StatusCode::kUnavailable &&
      (absl::StrContains(message, "Could not resolve host") ||
       absl::StrContains(message, "Couldn't connect to server"))) {
    absl::StrAppend(&message,
                    "; this machine looks offline (or can't reach that host): --offline uses only "
                    "what the hub dir holds, https_proxy names a proxy, and "
                    "TORCHHUB_GITHUB_API_URL and TORCHHUB_GITHUB_URL point at a mirror");
  }
  return message;
}

int Fail(std::ostream& err, const absl::Status& status) {
  // Messages carry repos' and servers' text (Python errors, error pages).
  err << "torchhub: error: " << EscapeControls(InCommandWords(status)) << "\n";
  return kExitFailure;
}

int FailOrInterrupted(std::ostream& err, const absl::Status& status) {
  Fail(err, status);
  return status.code() == absl::StatusCode::kCancelled ? kExitInterrupted : kExitFailure;
}

// NOLINTNEXTLINE(readability-non-const-parameter): ParseOptions writes through it.
OptionTable& OptionTable::Flag(std::string name, bool* field) {
  options_.push_back(Option{std::move(name), field, nullptr});
  return *this;
}

OptionTable& OptionTable::Value(std::string name, std::optional<std::string>* field,
                                ValueCheck check) {
  options_.push_back(Option{std::move(name), nullptr, field, std::move(check)});
  return *this;
}

OptionTable::ValueCheck OneOf(std::vector<std::string> accepted) {
  return [accepted = std::move(accepted)](absl::string_view value) {
    for (const std::string& a : accepted) {
      if (absl::EqualsIgnoreCase(value, a)) return absl::OkStatus();
    }
    std::string forms;
    for (size_t i = 0; i < accepted.size(); ++i) {
      absl::StrAppend(&forms, i == 0 ? "" : (i + 1 == accepted.size() ? " or " : ", "),
                      accepted[i]);
    }
    return absl::InvalidArgumentError(absl::StrCat("wants ", forms, ", not \"", value, "\""));
  };
}

OptionTable::ValueCheck WholeNumberAtLeast(int min) {
  return [min](absl::string_view value) {
    int n = 0;
    if (absl::SimpleAtoi(value, &n) && n >= min) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("wants a whole number >= ", min, ", not \"", value, "\""));
  };
}

namespace {

// Levenshtein distance, for "did you mean".
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string UnknownOption(absl::string_view name, const OptionTable& table) {
  std::vector<std::string> known = {"--json", "--help", "--verbose", "--quiet"};
  for (const OptionTable::Option& o : table.options()) known.push_back(o.name);
  return absl::StrCat("unknown option ", name, DidYouMean(name, known));
}

const OptionTable::Option* Find(const OptionTable& table, absl::string_view name) {
  for (const OptionTable::Option& o : table.options()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

extern "C" void OnInterrupt(int /*signal*/) { RequestCancellation(); }

}  // namespace

std::string DidYouMean(absl::string_view name, const std::vector<std::string>& known) {
  const std::string* best = nullptr;
  size_t best_distance = 3;
  for (const std::string& k : known) {
    const size_t d = EditDistance(name, k);
    if (d < best_distance) {
      best_distance = d;
      best = &k;
    }
  }
  return best == nullptr ? "" : absl::StrCat(" (did you mean ", *best, "?)");
}

absl::Status ParseOptions(const std::vector<std::string>& args, size_t start,
                          const OptionTable& table, CommandLine* line) {
  bool only_positional = false;
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || !absl::StartsWith(a, "-") || a.size() == 1) {
      line->positional.push_back(a);
    } else if (a == "--") {
      only_positional = true;
    } else if (a == "--json") {
      line->json = true;
    } else if (a == "--help" || a == "-h") {
      line->help = true;
    } else if (const OptionTable::Option* flag = Find(table, a);
               flag != nullptr && flag->flag != nullptr) {
      *flag->flag = true;
    } else if (a == "-v" || a == "--verbose") {
      line->verbosity = Verbosity::kVerbose;
    } else if (a == "--quiet") {
      line->verbosity = Verbosity::kQuiet;
    } else {
      const size_t eq = a.find('=');
      const std::string name = a.substr(0, eq);
      const OptionTable::Option* valued = Find(table, name);
      if (valued == nullptr || valued->value == nullptr) {
        return absl::InvalidArgumentError(UnknownOption(name, table));
      }
      if (eq != std::string::npos) {
        *valued->value = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        *valued->value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
      if (valued->check) {
        if (absl::Status s = valued->check(**valued->value); !s.ok()) {
          line->malformed = true;
          return absl::InvalidArgumentError(absl::StrCat(name, " ", s.message()));
        }
      }
    }
  }
  return absl::OkStatus();
}

std::string MissingArguments(absl::string_view usage, size_t have) {
  const absl::string_view first_line = usage.substr(0, usage.find('\n'));
  std::vector<std::string> names;
  for (absl::string_view word : absl::StrSplit(first_line, ' ', absl::SkipEmpty())) {
    if (absl::StartsWith(word, "[") || absl::StartsWith(word, "-")) break;
    // Upper-case words are arguments ("REPO|DIR"); the rest is the command
    // ("usage:", "torchhub", the verb).
    const auto upper = [](char c) { return absl::ascii_isupper(static_cast<unsigned char>(c)); };
    const auto lower = [](char c) { return absl::ascii_islower(static_cast<unsigned char>(c)); };
    if (std::any_of(word.begin(), word.end(), upper) &&
        std::none_of(word.begin(), word.end(), lower)) {
      names.emplace_back(word);
    }
  }
  if (have >= names.size()) return "missing argument";
  return absl::StrCat("missing ", absl::StrJoin(names.begin() + static_cast<std::ptrdiff_t>(have),
                                                names.end(), " and "));
}

Verb HandedOverVerb(std::string name, Needs needs) {
  return Verb{std::move(name), "", needs, nullptr, {}};
}

bool NoProgressEnv() { return EnvironmentFlag("TORCHHUB_NO_PROGRESS"); }

int RunCommand(const std::vector<Verb>& verbs, absl::string_view main_usage,
               const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
               std::function<int(const std::vector<std::string>& args)> hand_off) {
  size_t i = 0;
  Verbosity verbosity = Verbosity::kNormal;
  // Global options come before the verb.
  while (i < args.size() && absl::StartsWith(args[i], "-")) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out << main_usage;
      return kExitOk;
    }
    if (a == "--version") {
      out << "torchhub " << Version() << "\n"
          << "Copyright (c) 2026 The torchhub-cpp Authors. BSD-3-Clause licence.\n";
      return kExitOk;
    }
    if (a == "-v" || a == "--verbose" || a == "--quiet") {
      verbosity = a == "--quiet" ? Verbosity::kQuiet : Verbosity::kVerbose;
      ++i;
      continue;
    }
    if (a == "--hub-dir" || absl::StartsWith(a, "--hub-dir=")) {
      std::string value;
      if (a == "--hub-dir") {
        if (i + 1 >= args.size()) return Usage(err, "--hub-dir needs a directory", main_usage);
        value = args[++i];
      } else {
        value = a.substr(std::string("--hub-dir=").size());
      }
      if (value.empty()) return Usage(err, "--hub-dir needs a directory", main_usage);
      SetDir(value);
      ++i;
      continue;
    }
    return Usage(
        err,
        absl::StrCat("unknown option ", a,
                     DidYouMean(a.substr(0, a.find('=')),
                                {"--hub-dir", "--help", "--version", "--verbose", "--quiet"})),
        main_usage);
  }
  if (i >= args.size()) {
    err << "torchhub: missing verb\n\n" << main_usage;
    return kExitUsage;
  }
  const std::string& name = args[i];
  const auto verb =
      std::find_if(verbs.begin(), verbs.end(), [&](const Verb& v) { return v.name == name; });
  if (verb == verbs.end()) {
    std::vector<std::string> names;
    names.reserve(verbs.size());
    for (const Verb& v : verbs) names.push_back(v.name);
    const std::string unknown = absl::StrCat("unknown verb \"", name, "\"");
    if (const std::string guess = DidYouMean(name, names); !guess.empty()) {
      return BadValue(err, absl::StrCat(unknown, guess, "; `torchhub --help` lists the verbs"));
    }
    // Outside a verb, the whole usage: it lists the verbs.
    err << "torchhub: " << EscapeControls(unknown) << "\n\n" << main_usage;
    return kExitUsage;
  }
  Command command;
  command.args = &args;
  command.out = &out;
  command.err = &err;
  command.main_usage = main_usage;
  command.verbs = &verbs;
  command.verbosity = verbosity;
  command.hand_off = std::move(hand_off);
  if (verb->run) return verb->run(i + 1, command);
  // Known, but implemented in torchhub-python: hand the whole command line
  // over (its usage and --help too).
  if (command.hand_off) return command.hand_off(args);
  return Fail(err,
              absl::FailedPreconditionError(absl::StrCat(
                  "\"", name, "\" needs ", verb->needs == Needs::kLibtorch ? "libtorch" : "Python",
                  ": run it with torchhub-python")));
}

int ExecTorchhubPython(const std::vector<std::string>& cli_args, std::ostream& err) {
  std::string program;
  if (const char* env = std::getenv("TORCHHUB_PYTHON_CLI"); env != nullptr && *env != '\0') {
    program = env;
  } else {
    char self[PATH_MAX];
    if (::realpath("/proc/self/exe", self) == nullptr) {
      return Fail(err, ErrnoToStatus(errno, "this program"));
    }
    const absl::string_view path(self);
    program = absl::StrCat(path.substr(0, path.rfind('/')), "/torchhub-python");
  }
  std::vector<std::string> args = cli_args;
  args.insert(args.begin(), program);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  err.flush();
  ::execv(program.c_str(), argv.data());
  const int error = errno;
  return Fail(err, ErrnoToStatus(error, absl::StrCat("cannot run ", program,
                                                     " (torchhub runs hubconf.py and loads "
                                                     "checkpoints through it; install it beside "
                                                     "torchhub or set TORCHHUB_PYTHON_CLI)")));
}

ScopedInterruptHandler::ScopedInterruptHandler() {
  ResetCancellation();
  struct sigaction action {};
  action.sa_handler = &OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
}

ScopedInterruptHandler::~ScopedInterruptHandler() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

const std::atomic<bool>* ScopedInterruptHandler::flag() const { return CancellationFlag(); }

}  // namespace hub::cli
