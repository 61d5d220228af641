// env and completion: what a bug report needs, and the shell's completion
// generated from the dispatch table itself (so it cannot drift from it).
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/api/hub.h"
#include "hub/base/json.h"
#include "hub/cli/command.h"
#include "hub/cli/verbs.h"

namespace hub::cli {
namespace {

constexpr char kEnvUsage[] = R"(usage: torchhub env [--json]

What a bug report needs: torchhub's version, the hub dir, the OS and
compiler, the libtorch and Python the build used (torchhub-python's; this
binary links neither), the libcurl and libgit2 loaded, the crypto backend,
the CA bundle and proxies downloads use (passwords masked), and whether a
sandbox can start (unprivileged user namespaces: the kernel's switches, and
whether unshare(CLONE_NEWUSER) works here). Paste it into the report.
)";

constexpr char kCompletionUsage[] = R"(usage: torchhub completion bash

Prints a bash completion script for torchhub's verbs and options, made from
this binary's own verb table. Install it with

  torchhub completion bash > ~/.local/share/bash-completion/completions/torchhub

or load it for this shell with: source <(torchhub completion bash)
)";

std::string OrNone(const std::optional<std::string>& v) { return v.value_or("absent"); }

std::string JsonOptional(const std::optional<std::string>& v) {
  return v.has_value() ? JsonString(*v) : JsonNull();
}

int RunEnv(const Call<NoFlags>& call) {
  if (const std::optional<int> usage = call.WantPositionals(0)) return *usage;
  const EnvironmentReport r = DescribeEnvironment();
  const SandboxSupport& s = r.sandbox;
  if (call.json) {
    JsonObject proxies;
    for (const auto& [name, value] : r.proxies) proxies.Add(name, JsonString(value));
    call.out()
        << JsonObject()
               .Add("version", JsonString(r.version))
               .Add("hub_dir", JsonString(r.hub_dir))
               .Add("os", JsonString(r.os))
               .Add("compiler", JsonString(r.compiler))
               .Add("libtorch", JsonObject()
                                    .Add("version", JsonString(r.libtorch_version))
                                    .Add("root", JsonString(r.libtorch_root))
                                    .Add("source", JsonString("build"))
                                    .Build())
               .Add("python", JsonObject()
                                  .Add("version", JsonString(r.python_version))
                                  .Add("executable", JsonString(r.python_executable))
                                  .Add("source", JsonString("build"))
                                  .Build())
               .Add("libcurl", JsonObject()
                                   .Add("version", JsonString(r.libcurl_version))
                                   .Add("tls", JsonString(r.libcurl_tls))
                                   .Build())
               .Add("libgit2", JsonObject().Add("version", JsonString(r.libgit2_version)).Build())
               .Add("crypto_backend", JsonString(r.crypto_backend))
               .Add("ca",
                    JsonObject()
                        .Add("bundle", r.ca_bundle.empty() ? JsonNull() : JsonString(r.ca_bundle))
                        .Add("bundle_source", r.ca_bundle_source.empty()
                                                  ? JsonNull()
                                                  : JsonString(r.ca_bundle_source))
                        .Add("dir", r.ca_dir.empty() ? JsonNull() : JsonString(r.ca_dir))
                        .Build())
               .Add("proxies", proxies.Build())
               .Add("sandbox",
                    JsonObject()
                        .Add("user_namespace", JsonBool(s.user_namespace))
                        .Add("user_namespace_error", s.user_namespace_error.empty()
                                                         ? JsonNull()
                                                         : JsonString(s.user_namespace_error))
                        .Add("unprivileged_userns_clone", JsonOptional(s.unprivileged_userns_clone))
                        .Add("max_user_namespaces", JsonOptional(s.max_user_namespaces))
                        .Build())
               .Build()
        << "\n";
    return kExitOk;
  }
  std::ostream& out = call.out();
  const auto row = [&out](absl::string_view name, absl::string_view value) {
    out << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ') << value << "\n";
  };
  row("torchhub", r.version);
  row("hub dir", r.hub_dir);
  row("os", r.os);
  row("compiler", r.compiler);
  row("libtorch", absl::StrCat(r.libtorch_version, " (built against; ", r.libtorch_root, ")"));
  row("python",
      absl::StrCat(r.python_version, " (built against; interpreter ", r.python_executable, ")"));
  row("libcurl", absl::StrCat(r.libcurl_version, " (", r.libcurl_tls, ")"));
  row("libgit2", r.libgit2_version);
  row("crypto", r.crypto_backend);
  row("CA bundle", r.ca_bundle.empty() ? std::string("none")
                                       : absl::StrCat(r.ca_bundle, " (", r.ca_bundle_source, ")"));
  row("CA dir", r.ca_dir.empty() ? "none" : r.ca_dir);
  if (r.proxies.empty()) row("proxies", "none");
  for (const auto& [name, value] : r.proxies) row("proxy", absl::StrCat(name, "=", value));
  row("sandbox", s.user_namespace
                     ? std::string("yes (unprivileged user namespaces work)")
                     : absl::StrCat("no (unshare(CLONE_NEWUSER): ", s.user_namespace_error, ")"));
  row("  userns_clone", OrNone(s.unprivileged_userns_clone));
  row("  max_userns", OrNone(s.max_user_namespaces));
  return kExitOk;
}

int RunCompletion(const Call<NoFlags>& call) {
  if (const std::optional<int> usage = call.WantPositionals(1)) return *usage;
  if (call.positional[0] != "bash") {
    return call.Usage(absl::StrCat("no completion for \"", call.positional[0], "\": only bash"));
  }
  if (call.command->verbs == nullptr) {
    return call.Fail(absl::FailedPreconditionError(
        "completion needs the verb table: run it through RunCommand (hub/cli/command.h)"));
  }
  call.out() << BashCompletion(*call.command->verbs);
  return kExitOk;
}

// A bash word list: our names are [-a-z0-9], so no quoting is needed; the
// check keeps it so.
std::string Words(const std::vector<std::string>& words) {
  for (const std::string& w : words) {
    for (const char c : w) {
      if (!(absl::ascii_isalnum(c) || c == '-' || c == '_')) return "";
    }
  }
  return absl::StrJoin(words, " ");
}

constexpr char kGlobalOptions[] = "--hub-dir --verbose -v --quiet --version --help";

}  // namespace

std::string BashCompletion(const std::vector<Verb>& verbs) {
  std::vector<std::string> names;
  names.reserve(verbs.size());
  for (const Verb& v : verbs) names.push_back(v.name);
  std::string script = absl::StrCat(
      "# bash completion for torchhub ", Version(),
      ", generated by `torchhub completion bash` from its verb table.\n"
      "_torchhub() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local verb=\"\" i\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case \"${COMP_WORDS[i]}\" in\n"
      "      --hub-dir) ((i++)) ;;\n"
      "      -*) ;;\n"
      "      *) verb=\"${COMP_WORDS[i]}\"; break ;;\n"
      "    esac\n"
      "  done\n"
      "  case \"$prev\" in\n"
      "    --hub-dir|--model-dir) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
      "  esac\n"
      "  local words\n"
      "  case \"$verb\" in\n"
      "    \"\") words=\"",
      Words(names), " ", kGlobalOptions, "\" ;;\n");
  for (const Verb& v : verbs) {
    std::set<std::string> options(v.options.begin(), v.options.end());
    for (const char* common : {"--json", "--help", "--verbose", "--quiet"}) options.insert(common);
    absl::StrAppend(&script, "    ", Words({v.name}), ") words=\"",
                    Words(std::vector<std::string>(options.begin(), options.end())), "\" ;;\n");
  }
  absl::StrAppend(&script,
                  "  esac\n"
                  "  if [[ -z \"$verb\" || \"$cur\" == -* ]]; then\n"
                  "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
                  "  else\n"
                  "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
                  "  fi\n"
                  "}\n"
                  "complete -F _torchhub torchhub torchhub-python\n");
  return script;
}

std::vector<Verb> InfoVerbs() {
  return {MakeVerb<NoFlags>("env", kEnvUsage, &RunEnv),
          MakeVerb<NoFlags>("completion", kCompletionUsage, &RunCompletion)};
}

}  // namespace hub::cli
