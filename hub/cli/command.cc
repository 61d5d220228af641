#include "hub/cli/command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "hub/api/hub.h"
#include "hub/base/cancellation.h"
#include "hub/base/errno_status.h"
#include "hub/base/terminal_text.h"
#include "hub/fs/files.h"

namespace hub::cli {

int Usage(std::ostream& err, absl::string_view message, absl::string_view usage) {
  err << "torchhub: " << EscapeControls(message) << "\n\n" << usage;
  return kExitUsage;
}

int Fail(std::ostream& err, const absl::Status& status) {
  // Messages carry repos' and servers' text (Python errors, error pages).
  err << "torchhub: error: " << EscapeControls(status.message()) << "\n";
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

OptionTable& OptionTable::Value(std::string name, std::optional<std::string>* field) {
  options_.push_back(Option{std::move(name), nullptr, field});
  return *this;
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
  std::vector<std::string> known = {"--json", "--help"};
  for (const OptionTable::Option& o : table.options()) known.push_back(o.name);
  const std::string* best = nullptr;
  size_t best_distance = 3;  // at most two edits away
  for (const std::string& k : known) {
    const size_t d = EditDistance(name, k);
    if (d < best_distance) {
      best_distance = d;
      best = &k;
    }
  }
  std::string message = absl::StrCat("unknown option ", name);
  if (best != nullptr) absl::StrAppend(&message, " (did you mean ", *best, "?)");
  return message;
}

const OptionTable::Option* Find(const OptionTable& table, absl::string_view name) {
  for (const OptionTable::Option& o : table.options()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

extern "C" void OnInterrupt(int /*signal*/) { RequestCancellation(); }

}  // namespace

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
    }
  }
  return absl::OkStatus();
}

Verb HandedOverVerb(std::string name, Needs needs) {
  return Verb{std::move(name), "", needs, nullptr};
}

int RunCommand(const std::vector<Verb>& verbs, absl::string_view main_usage,
               const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
               std::function<int(const std::vector<std::string>& args)> hand_off) {
  size_t i = 0;
  // Global options come before the verb.
  while (i < args.size() && absl::StartsWith(args[i], "-")) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out << main_usage;
      return kExitOk;
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
    return Usage(err, absl::StrCat("unknown option ", a), main_usage);
  }
  if (i >= args.size()) return Usage(err, "missing verb", main_usage);
  const std::string& name = args[i];
  const auto verb =
      std::find_if(verbs.begin(), verbs.end(), [&](const Verb& v) { return v.name == name; });
  if (verb == verbs.end()) {
    return Usage(err, absl::StrCat("unknown verb \"", name, "\""), main_usage);
  }
  Command command;
  command.args = &args;
  command.out = &out;
  command.err = &err;
  command.main_usage = main_usage;
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
    absl::StatusOr<std::string> self = RealPath("/proc/self/exe", "this program");
    if (!self.ok()) return Fail(err, self.status());
    program = absl::StrCat(DirName(*self), "/torchhub-python");
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
