#include "hub/sandbox/load.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <c10/util/Exception.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/checkpoint/checkpoint.h"
#include "hub/checkpoint/value.h"
#include "hub/sandbox/protocol.h"
#include "hub/sandbox/value.h"

namespace hub::sandbox {
namespace {

constexpr char kNoSandbox[] =
    "load it without the sandbox (leave out --sandbox; HubOptions::sandbox = false)";

// Writes `bytes` to a new private file under $TMPDIR, removed when this goes.
class ScratchFile {
 public:
  ScratchFile() = default;
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ~ScratchFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  absl::Status Write(absl::string_view bytes) {
    const char* tmp = std::getenv("TMPDIR");
    std::string name = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                    "/torchhub-sandbox-answer.XXXXXX");
    const int fd = ::mkstemp(name.data());
    if (fd < 0) return hub::ErrnoToStatus(errno, "making a scratch file for the sandbox's answer");
    path_ = name;
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int e = errno;
        ::close(fd);
        return hub::ErrnoToStatus(e, absl::StrCat("writing ", path_));
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    if (::close(fd) != 0) return hub::ErrnoToStatus(errno, absl::StrCat("writing ", path_));
    return absl::OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The worker's tensors, through the weights-only loader.
absl::Status ReadTensors(const std::string& body, LoadedEntry& loaded) {
  ScratchFile file;
  HUB_RETURN_IF_ERROR(file.Write(body));
  checkpoint::LoadOptions options;
  options.zero_copy = false;  // the file goes right after
  absl::StatusOr<checkpoint::Checkpoint> c = checkpoint::LoadCheckpoint(file.path(), options);
  if (!c.ok()) {
    return absl::DataLossError(
        absl::StrCat("the sandbox's tensors do not load: ", c.status().message()));
  }
  if (c->value.is_tensor()) {
    loaded.kind = LoadedEntry::Kind::kTensor;
    loaded.tensor = c->value.tensor();
    return absl::OkStatus();
  }
  if (!c->value.is_dict()) {
    return absl::DataLossError("the sandbox's tensors are neither a tensor nor a dict");
  }
  loaded.kind = LoadedEntry::Kind::kTensorDict;
  for (const auto& [key, value] : c->value.entries()) {
    if (!key.is_string() || !value.is_tensor()) {
      return absl::DataLossError("the sandbox's dict of tensors holds something else");
    }
    loaded.tensors.emplace_back(key.string_value(), value.tensor());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodeExampleInputs(const std::vector<at::Tensor>& inputs) {
  try {
    c10::List<at::Tensor> list;
    for (const at::Tensor& t : inputs) list.push_back(t);
    const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(list));
    return std::string(bytes.begin(), bytes.end());
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("the example inputs: ", e.what_without_backtrace()));
  }
}

}  // namespace

absl::StatusOr<torch::jit::Module> LoadUntrustedTorchScript(const std::string& archive) {
  try {
    std::istringstream in(archive);
    return torch::jit::load(in);
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("the sandbox's TorchScript does not load: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("the sandbox's TorchScript does not load: ", e.what()));
  }
}

absl::StatusOr<LoadedEntry> LoadEntrypointInSandbox(absl::string_view repo_dir,
                                                    absl::string_view entry, const HubArgs& args,
                                                    const LoadOptions& load,
                                                    const SandboxOptions& options) {
  if (!load.torchscript) {
    return absl::FailedPreconditionError(
        absl::StrCat("a Python object cannot leave the sandbox: to get ", entry,
                     " as one (--python-object, LoadOptions::torchscript = false), ", kNoSandbox));
  }
  LoadRequest request;
  request.entry = std::string(entry);
  absl::StatusOr<std::string> encoded = EncodeArgs(args);
  if (!encoded.ok()) {
    return absl::Status(encoded.status().code(),
                        absl::StrCat("the arguments to ", entry, ": ", encoded.status().message(),
                                     "; to pass them, ", kNoSandbox));
  }
  request.args = *std::move(encoded);
  request.torchscript = load.torchscript;
  if (load.example_inputs.has_value()) {
    HUB_ASSIGN_OR_RETURN(request.example_inputs, EncodeExampleInputs(*load.example_inputs));
  }
  HUB_ASSIGN_OR_RETURN(LoadAnswer answer, LoadInSandbox(repo_dir, std::move(request), options));
  LoadedEntry loaded;
  loaded.type_name = std::move(answer.type_name);
  switch (answer.kind) {
    case LoadAnswer::Kind::kModule: {
      loaded.kind = LoadedEntry::Kind::kModule;
      loaded.torchscript_method = std::move(answer.method);
      HUB_ASSIGN_OR_RETURN(loaded.module, LoadUntrustedTorchScript(answer.body));
      break;
    }
    case LoadAnswer::Kind::kTensors:
      HUB_RETURN_IF_ERROR(ReadTensors(answer.body, loaded));
      break;
    case LoadAnswer::Kind::kValue: {
      loaded.kind = LoadedEntry::Kind::kObject;
      HUB_ASSIGN_OR_RETURN(loaded.value, ParseValue(answer.body));
      break;
    }
  }
  return loaded;
}

}  // namespace hub::sandbox
