#include "hub/cli/checkpoint_verbs.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/api/torch.h"
#include "hub/base/json.h"
#include "hub/cli/command.h"

namespace hub::cli {
namespace {

constexpr char kLoadStateDictUsage[] =
    R"(usage: torchhub load-state-dict URL|FILE [--map-location DEV] [--check-hash]
                         [--file-name NAME] [--model-dir DIR] [--lock FILE] [--no-progress]
                         [--json]

Loads a checkpoint without Python and lists its state dict: each entry's
name, dtype and shape, then the tensor count and total bytes. Formats:
torch.save's zip and legacy formats, and safetensors; only tensors, numbers,
strings and containers load (torch.load(weights_only=True)), nothing pickled
runs. A checkpoint that holds no state dict (also not under "state_dict",
"model", ...) is printed whole.

A URL (http:// or https://) goes through torch.hub.load_state_dict_from_url:
downloaded once into <hub_dir>/checkpoints (or --model-dir) under the URL's
file name (or --file-name), then loaded from there. A cached file that came
from another URL with the same file name is refused (exit 1). Anything else
is a local file.

  --map-location DEV  torch.load's map_location: cpu (the default here), cuda,
                      cuda:N, none (torch.load's None: where each tensor
                      was saved; HubOptions' default), or SAVED=DEV,...
                      (cuda:1=cpu); CUDA needs a libtorch built with it
  --check-hash        check the download against the hash in its file name
                      ("name-<hex>.pth"); warn when the name has none
  --file-name NAME    the cached file's name (URL only)
  --model-dir DIR     where checkpoints are cached (URL only)
  --lock FILE         only the file FILE pins for the URL (see `torchhub lock`),
                      checked against its whole SHA-256, cached or downloaded;
                      default $TORCHHUB_LOCK (URL only)
  --no-progress       no download progress on stderr (URL only); also off
                      with --quiet or TORCHHUB_NO_PROGRESS=1

Ctrl-C stops a download and cleans up (exit 130).
)";

std::string JsonShape(const at::Tensor& t) {
  std::vector<std::string> dims;
  for (const int64_t d : t.sizes()) dims.push_back(JsonInt(d));
  return JsonArray(dims);
}

// A tensor's bytes as Python counts them, numel() * element_size(), exact.
// An expanded tensor (stride 0) over a few stored elements can count more
// than int64 holds: numel is below 2^63 and an element at most 16 bytes, so
// one tensor fits in 67 bits and any sum of them in 128.
absl::uint128 TensorBytes(const at::Tensor& t) {
  return absl::uint128(static_cast<uint64_t>(t.numel())) * static_cast<uint64_t>(t.element_size());
}

// `n` in decimal: a JSON number, as Python's json writes big ints.
std::string Decimal(absl::uint128 n) {
  std::ostringstream s;
  s << n;
  return s.str();
}

bool IsUrl(const std::string& s) {
  const std::string lower = absl::AsciiStrToLower(s);
  return absl::StartsWith(lower, "http://") || absl::StartsWith(lower, "https://");
}

// A checkpoint in the cache that can't be read (corrupt, cut short, or
// another file under the same name): how to check it and get it again.
absl::Status WithCacheAdvice(const absl::Status& status, const HubOptions& options) {
  const std::string dir =
      options.model_dir.empty() ? absl::StrCat(GetDir(), "/checkpoints") : options.model_dir;
  const bool unreadable = status.code() == absl::StatusCode::kInvalidArgument ||
                          status.code() == absl::StatusCode::kDataLoss;
  if (!unreadable || !absl::StrContains(status.message(), absl::StrCat(dir, "/"))) return status;
  return absl::Status(
      status.code(),
      absl::StrCat(status.message(),
                   "; if the cached file is damaged, `torchhub cache verify` re-hashes it "
                   "against its download record, and `torchhub cache rm NAME` (or deleting it "
                   "from ",
                   dir, ") makes the next run download it again"));
}

}  // namespace

std::string PythonDtypeName(c10::ScalarType type) {
  switch (type) {
    case c10::ScalarType::Float:
      return "torch.float32";
    case c10::ScalarType::Double:
      return "torch.float64";
    case c10::ScalarType::Half:
      return "torch.float16";
    case c10::ScalarType::BFloat16:
      return "torch.bfloat16";
    case c10::ScalarType::Byte:
      return "torch.uint8";
    case c10::ScalarType::Char:
      return "torch.int8";
    case c10::ScalarType::Short:
      return "torch.int16";
    case c10::ScalarType::Int:
      return "torch.int32";
    case c10::ScalarType::Long:
      return "torch.int64";
    case c10::ScalarType::Bool:
      return "torch.bool";
    case c10::ScalarType::ComplexHalf:
      return "torch.complex32";
    case c10::ScalarType::ComplexFloat:
      return "torch.complex64";
    case c10::ScalarType::ComplexDouble:
      return "torch.complex128";
    default:
      return absl::StrCat("torch.", absl::AsciiStrToLower(c10::toString(type)));
  }
}

namespace {

struct LoadStateDictFlags {
  std::optional<std::string> map_location;
  bool check_hash = false;
  std::optional<std::string> file_name;
  std::optional<std::string> model_dir;
  std::optional<std::string> lock;
  bool no_progress = false;

  void Declare(OptionTable& table) {
    table.Flag("--check-hash", &check_hash)
        .Flag("--no-progress", &no_progress)
        .Value("--map-location", &map_location,
               [](absl::string_view text) -> absl::Status {
                 if (ValidMapLocation(text)) return absl::OkStatus();
                 return absl::InvalidArgumentError(
                     absl::StrCat("wants cpu, cuda, cuda:N, none (where each tensor was saved) or "
                                  "SAVED=DEV,... (e.g. cuda:1=cpu), not \"",
                                  text, "\""));
               })
        .Value("--file-name", &file_name)
        .Value("--model-dir", &model_dir)
        .Value("--lock", &lock);
  }
};

int RunLoadStateDict(const Call<LoadStateDictFlags>& call) {
  std::ostream& out = call.out();
  std::ostream& err = call.err();
  const LoadStateDictFlags& flags = call.flags;
  if (call.positional.size() != 1) {
    return call.Usage(call.positional.empty()
                          ? std::string("missing URL or FILE")
                          : absl::StrCat("unexpected argument \"", call.positional[1], "\""));
  }
  const std::string& source = call.positional[0];
  const bool url = IsUrl(source);
  if (!url) {
    for (const auto& [option, given] :
         std::vector<std::pair<const char*, bool>>{{"--check-hash", flags.check_hash},
                                                   {"--file-name", flags.file_name.has_value()},
                                                   {"--model-dir", flags.model_dir.has_value()},
                                                   {"--no-progress", flags.no_progress},
                                                   {"--lock", flags.lock.has_value()}}) {
      if (given) {
        return call.Usage(absl::StrCat(option, " is for a URL, and \"", source, "\" is not one"));
      }
    }
  }
  HubOptions options;
  options.map_location = flags.map_location.value_or("cpu");
  std::optional<bool> downloaded;
  absl::StatusOr<StateDictResult> loaded;
  if (url) {
    options.model_dir = flags.model_dir.value_or("");
    options.file_name = flags.file_name.value_or("");
    options.check_hash = flags.check_hash;
    options.lock_file = flags.lock.value_or("");
    options.progress = call.ShowProgress(flags.no_progress);
    options.fetch.download.progress_stream = &err;
    options.fetch.err = &err;
    ScopedInterruptHandler interrupts;
    options.fetch.download.cancel = interrupts.flag();
    loaded = LoadStateDictFromUrl(source, options);
    if (!loaded.ok()) return FailOrInterrupted(err, WithCacheAdvice(loaded.status(), options));
    downloaded = loaded->downloaded;
  } else {
    loaded = LoadStateDictFromFile(source, options);
    if (!loaded.ok()) return call.Fail(loaded.status());
  }
  const std::string& path = loaded->path;
  const absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> sd =
      loaded->state_dict_status.ok()
          ? absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>>(loaded->state_dict)
          : absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>>(
                loaded->state_dict_status);
  absl::uint128 total_bytes = 0;
  if (sd.ok()) {
    for (const auto& [name, tensor] : *sd) total_bytes += TensorBytes(tensor);
  }
  if (call.json) {
    JsonObject json;
    json.Add("path", JsonString(path)).Add("format", JsonString(CheckpointFormatName(*loaded)));
    if (downloaded.has_value()) json.Add("downloaded", JsonBool(*downloaded));
    if (sd.ok()) {
      std::vector<std::string> entries;
      for (const auto& [name, tensor] : *sd) {
        entries.push_back(JsonObject()
                              .Add("name", JsonString(name))
                              .Add("dtype", JsonString(PythonDtypeName(tensor.scalar_type())))
                              .Add("shape", JsonShape(tensor))
                              .Add("bytes", Decimal(TensorBytes(tensor)))
                              .Build());
      }
      json.Add("state_dict", JsonArray(entries))
          .Add("tensors", JsonInt(static_cast<int64_t>(sd->size())))
          .Add("bytes", Decimal(total_bytes));
    } else {
      json.Add("state_dict", JsonNull())
          .Add("not_a_state_dict", JsonString(sd.status().message()))
          .Add("value", JsonString(loaded->checkpoint.value.DebugString()));
    }
    out << json.Build() << "\n";
    return kExitOk;
  }
  out << "path: " << path << "\n";
  out << "format: " << CheckpointFormatName(*loaded) << "\n";
  if (downloaded.has_value())
    out << "downloaded: " << (*downloaded ? "yes" : "no (cached)") << "\n";
  if (!sd.ok()) {
    out << "no state dict (" << sd.status().message() << "); the checkpoint:\n"
        << loaded->checkpoint.value.DebugString() << "\n";
    return kExitOk;
  }
  for (const auto& [name, tensor] : *sd) {
    out << name << "\t" << PythonDtypeName(tensor.scalar_type()) << "\t["
        << absl::StrJoin(tensor.sizes(), ", ") << "]\n";
  }
  out << sd->size() << (sd->size() == 1 ? " tensor, " : " tensors, ") << total_bytes << " bytes\n";
  return kExitOk;
}

}  // namespace

std::vector<Verb> CheckpointVerbs() {
  return {MakeVerb<LoadStateDictFlags>("load-state-dict", kLoadStateDictUsage, &RunLoadStateDict,
                                       Needs::kLibtorch)};
}

}  // namespace hub::cli
