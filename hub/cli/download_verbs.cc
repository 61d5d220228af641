// download: torch.hub.download_url_to_file.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "hub/api/hub.h"
#include "hub/base/json.h"
#include "hub/cli/command.h"
#include "hub/cli/fetch_flags.h"
#include "hub/cli/verbs.h"

namespace hub::cli {
namespace {

constexpr char kDownloadUsage[] =
    R"(usage: torchhub download URL DST [--hash-prefix HEX] [--no-progress] [--keep]
                         [--max-attempts N] [--connect-timeout T]
                         [--stall-timeout T] [--tries N] [--json]

torch.hub.download_url_to_file(URL, DST, hash_prefix, progress): streams URL
into a temp file beside DST, checks its SHA-256 against --hash-prefix, and
renames it onto DST; on any failure DST is untouched and no temp file is
left. Beyond torch.hub: a short body is an error; connection errors, 429 and
5xx are retried (--max-attempts, default 5) and resumed with Range where the
server allows it; several processes downloading one DST make one transfer.

  --hash-prefix HEX   the start of the file's SHA-256 (lowercase hex)
  --no-progress       no progress display (default: a bar on a terminal,
                      sparse lines otherwise, on stderr; also off with
                      --quiet or TORCHHUB_NO_PROGRESS=1)
  --keep              if DST exists, keep it (checked against --hash-prefix)
  --max-attempts N    transfers to try in all (1: no retries; as --tries)
)" HUB_CLI_NETWORK_FLAGS_TEXT R"(
Honours GITHUB_TOKEN (sent only to the GitHub API host, TORCHHUB_GITHUB_API_URL
or api.github.com), http_proxy, https_proxy, no_proxy, CURL_CA_BUNDLE,
SSL_CERT_FILE and SSL_CERT_DIR. Ctrl-C stops the transfer and cleans up
(exit 130). With TORCHHUB_OFFLINE=1 nothing is downloaded (exit 1).
)";

struct DownloadFlags {
  std::optional<std::string> hash_prefix;
  bool no_progress = false;
  bool keep = false;
  std::optional<std::string> max_attempts;
  NetworkFlags network;

  void Declare(OptionTable& table) {
    network.Declare(table);
    table.Flag("--no-progress", &no_progress)
        .Flag("--keep", &keep)
        .Value("--hash-prefix", &hash_prefix, &CheckHashPrefix)
        .Value("--max-attempts", &max_attempts, WholeNumberAtLeast(1));
  }

  // What ValidateHashPrefix (hub/hash) refuses, said before any transfer.
  static absl::Status CheckHashPrefix(absl::string_view hex) {
    if (!hex.empty() && hex.size() <= 64 && IsLowercaseHex(hex)) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("wants the start of the file's SHA-256: 1 to 64 lowercase hex digits "
                     "(0-9, a-f), not \"",
                     hex, "\""));
  }
};

bool IsHttpUrl(absl::string_view url) {
  for (absl::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(url, scheme) && url.size() > scheme.size()) return true;
  }
  return false;
}

int RunDownload(const Call<DownloadFlags>& call) {
  if (const std::optional<int> usage = call.WantPositionals(2)) return *usage;
  if (!IsHttpUrl(call.positional[0])) {
    return call.BadValue(absl::StrCat("download: URL wants http://... or https://..., not \"",
                                      call.positional[0], "\" (the order is URL DST)"));
  }
  DownloadOptions options;
  options.hash_prefix = call.flags.hash_prefix;
  options.progress = call.ShowProgress(call.flags.no_progress);
  options.progress_stream = &call.err();
  if (call.flags.keep) options.if_exists = DownloadOptions::IfExists::kKeep;
  if (const absl::Status network =
          ApplyNetworkFlags(call.flags.network, call.err(), &options, nullptr);
      !network.ok()) {
    return call.Usage(network.message());
  }
  if (const std::optional<std::string>& n = call.flags.max_attempts) {
    if (!absl::SimpleAtoi(*n, &options.max_attempts)) {
      return call.BadValue(absl::StrCat("--max-attempts: \"", *n, "\" is out of range"));
    }
  }
  ScopedInterruptHandler interrupts;
  options.cancel = interrupts.flag();
  const absl::StatusOr<DownloadResult> result =
      DownloadUrlToFile(call.positional[0], call.positional[1], options);
  if (!result.ok()) return FailOrInterrupted(call.err(), result.status());
  if (call.verbose()) {
    call.err() << "torchhub: " << result->bytes << " bytes from " << result->final_url << " in "
               << result->attempts << (result->attempts == 1 ? " attempt" : " attempts") << " ("
               << result->resumed_bytes << " resumed)" << (result->reused ? ", reused" : "")
               << "\n";
  }
  if (call.json) {
    call.out() << JsonObject()
                      .Add("path", JsonString(result->path))
                      .Add("sha256",
                           result->sha256.empty() ? JsonNull() : JsonString(result->sha256))
                      .Add("bytes", JsonInt(result->bytes))
                      .Add("attempts", JsonInt(result->attempts))
                      .Add("resumed_bytes", JsonInt(result->resumed_bytes))
                      .Add("reused", JsonBool(result->reused))
                      .Add("final_url", JsonString(result->final_url))
                      .Build()
               << "\n";
  } else {
    call.out() << result->path << "\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<Verb> DownloadVerbs() {
  return {MakeVerb<DownloadFlags>("download", kDownloadUsage, &RunDownload)};
}

}  // namespace hub::cli
