// The `torchhub` command's frame: typed option parsing, usage errors, exit
// codes, one dispatch table and one hand-off to torchhub-python. The verbs
// live in one file per group (dir_verbs.cc, trust_verbs.cc, ...), each with
// its usage text and a struct of its options:
//
//   struct DownloadFlags {
//     std::optional<std::string> hash_prefix;
//     bool no_progress = false;
//     void Declare(OptionTable& t) {
//       t.Value("--hash-prefix", &hash_prefix).Flag("--no-progress", &no_progress);
//     }
//   };
//   int RunDownload(const Call<DownloadFlags>& call);   // computes via hub/api, prints
//   ... MakeVerb<DownloadFlags>("download", kDownloadUsage, &RunDownload)
//
// RunCommand parses global options (--hub-dir, -v/--verbose, --quiet,
// --version), finds the verb in the table,
// fills the verb's struct from the command line (flags, valued options as
// "--name value" or "--name=value", "--" ending options, --json and --help
// for every verb) and runs it. Usage errors exit 2 and come in two shapes:
//
//   - a malformed value (an option's, or an argument's, e.g. a repo string):
//     one line naming the option and what it accepts, checked before
//     anything is fetched (OptionTable::Value's check; Call::BadValue):
//       torchhub: --trust-repo wants check, true, false or none, not "maybe"
//   - a wrong command line (an unknown verb or option, a missing or extra
//     argument): the message, with "did you mean" for a near miss, then the
//     verb's synopsis (its usage up to the first blank line):
//       torchhub: help: missing ENTRY
//
//       usage: torchhub help REPO|DIR ENTRY [--source github|local] ...
//
// A verb this binary cannot run (it needs libtorch or Python, and the light
// `torchhub` links neither) is handed over, whole command line and all, to
// `torchhub-python` through Command::hand_off: one mechanism for
// load-state-dict and for list, help and load once the entrypoint cache
// cannot answer.
//
// -v/--verbose and --quiet are accepted before the verb and after it (a
// verb's own option of that name wins): Call::verbosity. Verbs that
// download show progress unless --no-progress, --quiet or
// TORCHHUB_NO_PROGRESS (Call::ShowProgress).
//
// Exit codes: 0 success, 1 failure (including "not trusted" for `trust
// check`), 2 a usage error, 130 interrupted. Results go to `out`; messages
// and errors to `err`.
#ifndef HUB_CLI_COMMAND_H_
#define HUB_CLI_COMMAND_H_

#include <csignal>

#include <atomic>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hub::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;  // SIGINT/SIGTERM during a download

// "torchhub: <message>", a blank line and the synopsis of `usage` (up to
// its first blank line) on `err`; kExitUsage.
int Usage(std::ostream& err, absl::string_view message, absl::string_view usage);
// "torchhub: <message>", one line, on `err`; kExitUsage. For a malformed
// value: `message` names the option (or argument) and what it accepts.
int BadValue(std::ostream& err, absl::string_view message);
// `status`'s message as the command says it: the library's parameter
// names become options (trust_repo=true -> --trust-repo true), and a
// failure to reach a host at all says what to do offline.
std::string InCommandWords(const absl::Status& status);
// "torchhub: error: <InCommandWords(status)>" on `err`; kExitFailure.
int Fail(std::ostream& err, const absl::Status& status);
// Fail, but kExitInterrupted when `status` is kCancelled (Ctrl-C).
int FailOrInterrupted(std::ostream& err, const absl::Status& status);

// The options one verb takes, each bound to a field of the verb's struct.
// Not copyable: it holds pointers into that struct.
class OptionTable {
 public:
  OptionTable() = default;
  OptionTable(const OptionTable&) = delete;
  OptionTable& operator=(const OptionTable&) = delete;

  // "--name": sets *field.
  OptionTable& Flag(std::string name, bool* field);
  // Checks a value as it is parsed: OK, or kInvalidArgument saying what the
  // option accepts ("wants check, true, false or none"), without the
  // option's name, which ParseOptions puts in front.
  using ValueCheck = std::function<absl::Status(absl::string_view value)>;

  // "--name VALUE" or "--name=VALUE"; with `check`, a VALUE it refuses is a
  // malformed value (CommandLine::malformed).
  OptionTable& Value(std::string name, std::optional<std::string>* field,
                     ValueCheck check = nullptr);

  struct Option {
    std::string name;
    bool* flag = nullptr;
    std::optional<std::string>* value = nullptr;
    ValueCheck check;
  };
  const std::vector<Option>& options() const { return options_; }

 private:
  std::vector<Option> options_;
};

// Whether TORCHHUB_NO_PROGRESS turns progress displays off (read as every
// boolean TORCHHUB_* switch is: hub::EnvironmentFlag).
bool NoProgressEnv();

// How much a verb says on `err` besides errors.
enum class Verbosity { kQuiet, kNormal, kVerbose };
// ValueChecks for OptionTable::Value.
// One of `accepted` (any case): "wants check, true, false or none, not "x"".
OptionTable::ValueCheck OneOf(std::vector<std::string> accepted);
// A whole number >= `min`.
OptionTable::ValueCheck WholeNumberAtLeast(int min);

// What every verb's command line has besides its own options.
struct CommandLine {
  std::vector<std::string> positional;
  bool json = false;
  bool help = false;
  std::optional<Verbosity> verbosity;  // -v/--verbose or --quiet after the verb
  // Set with ParseOptions' error when it is a value a check refused (one
  // line, BadValue), not a wrong command line (Usage).
  bool malformed = false;
};

// Fills `line` and the fields `table` is bound to from args[start..]; a
// kInvalidArgument naming the option (with a close match, if any) for an
// unknown option or a missing value, or naming the option and what it
// accepts for a value its check refuses.
absl::Status ParseOptions(const std::vector<std::string>& args, size_t start,
                          const OptionTable& table, CommandLine* line);

struct Verb;

// What a verb is run with.
struct Command {
  const std::vector<std::string>* args = nullptr;  // the whole command line
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  absl::string_view main_usage;              // the command's own usage (`torchhub help`)
  const std::vector<Verb>* verbs = nullptr;  // the dispatch table (completion, "did you mean")
  Verbosity verbosity = Verbosity::kNormal;  // global -v/--verbose, --quiet
  // Runs `args` (a command line, without the program name) in
  // torchhub-python; returns its exit code. Empty in torchhub-python itself.
  std::function<int(const std::vector<std::string>& args)> hand_off;
};

// A verb's parsed command line, its typed options, and its streams.
template <typename Flags>
struct Call {
  std::vector<std::string> positional;
  bool json = false;
  Verbosity verbosity = Verbosity::kNormal;
  Flags flags;
  const Command* command = nullptr;
  absl::string_view usage;

  std::ostream& out() const { return *command->out; }
  std::ostream& err() const { return *command->err; }
  int Usage(absl::string_view message) const { return ::hub::cli::Usage(err(), message, usage); }
  int BadValue(absl::string_view message) const { return ::hub::cli::BadValue(err(), message); }
  int Fail(const absl::Status& s) const { return ::hub::cli::Fail(err(), s); }
  bool quiet() const { return verbosity == Verbosity::kQuiet; }
  bool verbose() const { return verbosity == Verbosity::kVerbose; }
  // Whether to show download progress: not with the verb's --no-progress
  // (`no_progress`), --quiet, or TORCHHUB_NO_PROGRESS set to anything but
  // "" or "0".
  bool ShowProgress(bool no_progress) const { return !no_progress && !quiet() && !NoProgressEnv(); }
  // kExitUsage unless there are at least `min` and at most `max`
  // positionals: "missing ENTRY" (the names from the usage's synopsis) or
  // "unexpected argument "x"".
  std::optional<int> WantPositionals(size_t min, size_t max) const;
  std::optional<int> WantPositionals(size_t n) const { return WantPositionals(n, n); }
};

// What a verb needs beyond this library.
enum class Needs { kNothing, kPython, kLibtorch };

// One row of the dispatch table.
struct Verb {
  std::string name;
  std::string usage;
  Needs needs = Needs::kNothing;
  // Parses args[first..] and runs; empty when this binary lacks the verb
  // (then it is handed to torchhub-python).
  std::function<int(size_t first, const Command& command)> run;
  // Its options ("--name"), besides --json and --help: for completion.
  std::vector<std::string> options;
};

// A verb with options `Flags` (a struct with `void Declare(OptionTable&)`).
template <typename Flags>
Verb MakeVerb(std::string name, std::string usage, std::function<int(const Call<Flags>&)> run,
              Needs needs = Needs::kNothing) {
  Verb verb{std::move(name), std::move(usage), needs, nullptr, {}};
  {
    Flags declared;
    OptionTable table;
    declared.Declare(table);
    for (const OptionTable::Option& o : table.options()) verb.options.push_back(o.name);
  }
  verb.run = [run = std::move(run), usage = verb.usage](size_t first, const Command& command) {
    Call<Flags> call;
    call.command = &command;
    call.usage = usage;
    OptionTable table;
    call.flags.Declare(table);
    CommandLine line;
    if (absl::Status s = ParseOptions(*command.args, first, table, &line); !s.ok()) {
      return line.malformed ? call.BadValue(s.message()) : call.Usage(s.message());
    }
    if (line.help) {
      command.out->write(usage.data(), static_cast<std::streamsize>(usage.size()));
      return kExitOk;
    }
    call.positional = std::move(line.positional);
    call.json = line.json;
    call.verbosity = line.verbosity.value_or(command.verbosity);
    return run(call);
  };
  return verb;
}

// A verb only torchhub-python has: `torchhub` hands it over whole.
Verb HandedOverVerb(std::string name, Needs needs);

// For verbs with no options of their own.
struct NoFlags {
  void Declare(OptionTable& /*table*/) {}
};

// Runs the command line `args` (without the program name) against `verbs`:
// global options (--hub-dir DIR, -v/--verbose, --quiet, --version, --help),
// then the verb. `main_usage` is
// printed for --help, `torchhub help` and usage errors outside a verb.
int RunCommand(const std::vector<Verb>& verbs, absl::string_view main_usage,
               const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
               std::function<int(const std::vector<std::string>& args)> hand_off);

// Replaces this process with `torchhub-python` running `args`: the one named
// by TORCHHUB_PYTHON_CLI, else the one beside this executable. Returns only
// on failure.
int ExecTorchhubPython(const std::vector<std::string>& args, std::ostream& err);

// Catches SIGINT and SIGTERM for its lifetime, calling
// hub::RequestCancellation (hub/base/cancellation.h; flag() is that flag):
// every network wait stops, the verb cleans up and exits kExitInterrupted.
// No SA_RESTART, so a blocking system call returns EINTR at once.
class ScopedInterruptHandler {
 public:
  ScopedInterruptHandler();
  ScopedInterruptHandler(const ScopedInterruptHandler&) = delete;
  ScopedInterruptHandler& operator=(const ScopedInterruptHandler&) = delete;
  ~ScopedInterruptHandler();
  const std::atomic<bool>* flag() const;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// " (did you mean X?)" for the closest of `known`, at most two edits away
// from `name`; "" when none is.
std::string DidYouMean(absl::string_view name, const std::vector<std::string>& known);

// "missing ENTRY": the names of the positionals `usage`'s synopsis lists
// from index `have` on (its upper-case words before the first option),
// "missing argument" when it lists none.
std::string MissingArguments(absl::string_view usage, size_t have);

template <typename Flags>
std::optional<int> Call<Flags>::WantPositionals(size_t min, size_t max) const {
  if (positional.size() >= min && positional.size() <= max) return std::nullopt;
  return Usage(positional.size() < min ? MissingArguments(usage, positional.size())
                                       : "unexpected argument \"" + positional[max] + "\"");
}

}  // namespace hub::cli

#endif  // HUB_CLI_COMMAND_H_
