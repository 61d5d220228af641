#include "hub/cli/checkpoint_verbs.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
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
#include "hub/base/errno_status.h"
#include "hub/base/json.h"
#include "hub/checkpoint/checkpoint.h"
#include "hub/checkpoint/format.h"
#include "hub/checkpoint/state_dict_from_url.h"
#include "hub/cli/torchhub.h"
#include "hub/fs/files.h"
#include "hub/lock/pinned.h"

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

  --map-location DEV  torch.load's map_location (only "cpu" for now)
  --check-hash        check the download against the hash in its file name
                      ("name-<hex>.pth"); warn when the name has none
  --file-name NAME    the cached file's name (URL only)
  --model-dir DIR     where checkpoints are cached (URL only)
  --lock FILE         only the file FILE pins for the URL (see `torchhub lock`),
                      checked against its whole SHA-256, cached or downloaded;
                      default $TORCHHUB_LOCK (URL only)
  --no-progress       no download progress on stderr (URL only)

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

int RunLoadStateDict(const Invocation& inv, std::ostream& out, std::ostream& err) {
  if (inv.positional.size() != 1) {
    return Usage(err,
                 inv.positional.empty()
                     ? "missing URL or FILE"
                     : absl::StrCat("unexpected argument \"", inv.positional[1], "\""),
                 kLoadStateDictUsage);
  }
  const std::string& source = inv.positional[0];
  const bool url = IsUrl(source);
  if (!url) {
    for (const char* option :
         {"--check-hash", "--file-name", "--model-dir", "--no-progress", "--lock"}) {
      if (inv.Has(option)) {
        return Usage(err, absl::StrCat(option, " is for a URL, and \"", source, "\" is not one"),
                     kLoadStateDictUsage);
      }
    }
  }
  const std::string map_location = inv.Value("--map-location").value_or("cpu");

  std::string path;
  std::optional<bool> downloaded;
  checkpoint::Checkpoint ckpt;
  if (url) {
    checkpoint::LoadStateDictOptions options;
    options.model_dir = inv.Value("--model-dir").value_or("");
    options.file_name = inv.Value("--file-name").value_or("");
    options.check_hash = inv.Has("--check-hash");
    const absl::StatusOr<std::optional<LockedFile>> pin =
        FilePin(source, options.file_name, inv.Value("--lock").value_or(""));
    if (!pin.ok()) return Fail(err, pin.status());
    if (pin->has_value()) {
      options.file_name = (*pin)->file_name;
      options.expected_sha256 = (*pin)->sha256;
    }
    options.progress = !inv.Has("--no-progress");
    options.map_location = map_location;
    options.download.progress_stream = &err;
    options.err = &err;
    ScopedInterruptHandler interrupts;
    options.download.cancel = interrupts.flag();
    absl::StatusOr<checkpoint::StateDictFromUrl> r =
        checkpoint::LoadStateDictFromUrl(source, options);
    if (!r.ok()) {
      Fail(err, r.status());
      return r.status().code() == absl::StatusCode::kCancelled ? kExitInterrupted : kExitFailure;
    }
    path = r->path;
    downloaded = r->downloaded;
    ckpt = std::move(r->checkpoint);
  } else {
    checkpoint::LoadOptions options;
    options.map_location = map_location;
    std::string file = source;
    std::string scratch;
    // A zipped legacy checkpoint: its one file, extracted to a scratch dir
    // (legacy checkpoints load by copying, so it can go right after).
    if (const absl::StatusOr<checkpoint::Format> format = checkpoint::DetectFormat(source);
        format.ok() && *format == checkpoint::Format::kLegacyZip) {
      const char* tmp = std::getenv("TMPDIR");
      std::string scratch_template = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                                  "/torchhub-legacy-zip.XXXXXX");
      if (::mkdtemp(scratch_template.data()) == nullptr) {
        return Fail(err, ErrnoToStatus(errno, "making a scratch directory"));
      }
      scratch = scratch_template;
      absl::StatusOr<std::string> extracted = checkpoint::ExtractLegacyZip(source, scratch);
      if (!extracted.ok()) {
        (void)RemoveTree(scratch);
        return Fail(err, extracted.status());
      }
      file = *extracted;
    }
    absl::StatusOr<checkpoint::Checkpoint> r = checkpoint::LoadCheckpoint(file, options);
    if (!scratch.empty()) (void)RemoveTree(scratch);
    if (!r.ok()) return Fail(err, r.status());
    path = source;
    ckpt = std::move(*r);
  }

  const absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> sd =
      checkpoint::ExtractStateDict(ckpt.value);
  absl::uint128 total_bytes = 0;
  if (sd.ok()) {
    for (const auto& [name, tensor] : *sd) total_bytes += TensorBytes(tensor);
  }
  if (inv.json) {
    JsonObject json;
    json.Add("path", JsonString(path))
        .Add("format", JsonString(checkpoint::FormatName(ckpt.format)));
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
          .Add("value", JsonString(ckpt.value.DebugString()));
    }
    out << json.Build() << "\n";
    return kExitOk;
  }
  out << "path: " << path << "\n";
  out << "format: " << checkpoint::FormatName(ckpt.format) << "\n";
  if (downloaded.has_value())
    out << "downloaded: " << (*downloaded ? "yes" : "no (cached)") << "\n";
  if (!sd.ok()) {
    out << "no state dict (" << sd.status().message() << "); the checkpoint:\n"
        << ckpt.value.DebugString() << "\n";
    return kExitOk;
  }
  for (const auto& [name, tensor] : *sd) {
    out << name << "\t" << PythonDtypeName(tensor.scalar_type()) << "\t["
        << absl::StrJoin(tensor.sizes(), ", ") << "]\n";
  }
  out << sd->size() << (sd->size() == 1 ? " tensor, " : " tensors, ") << total_bytes << " bytes\n";
  return kExitOk;
}

void RegisterCheckpointVerbs() {
  RegisterVerb("load-state-dict", kLoadStateDictUsage, &RunLoadStateDict,
               VerbOptions{{"--check-hash", "--no-progress"},
                           {"--map-location", "--file-name", "--model-dir", "--lock"}});
}

}  // namespace hub::cli
