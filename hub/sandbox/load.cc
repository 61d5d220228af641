#include "hub/sandbox/load.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
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
    "load it without the sandbox: --no-sandbox (HubOptions::sandbox = false)";

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

// Node kinds with no schema that only structure the program: constants,
// control flow, attributes, calls into functions (which are checked
// themselves), containers and casts.
bool IsStructural(const std::string& kind) {
  static const absl::flat_hash_set<std::string>* const kinds = new absl::flat_hash_set<std::string>{
      "prim::Constant",
      "prim::If",
      "prim::Loop",
      "prim::GetAttr",
      "prim::SetAttr",
      "prim::CallMethod",
      "prim::CallFunction",
      "prim::ListConstruct",
      "prim::ListUnpack",
      "prim::TupleConstruct",
      "prim::TupleUnpack",
      "prim::TupleIndex",
      "prim::TupleSlice",
      "prim::DictConstruct",
      "prim::CreateObject",
      "prim::Uninitialized",
      "prim::unchecked_cast",
      "prim::isinstance",
      "prim::Return",
      "prim::Param",
      "prim::EnumName",
      "prim::EnumValue",
      "prim::ModuleContainerIndex",
      "prim::Enter",
      "prim::Exit",
      "prim::Store",
      "prim::Load",
  };
  return kinds->contains(kind);
}

// Ops of aten and prim that take a str argument but only compute with it:
// modes, equations, messages, string methods, devices. An op that takes a
// str and is not here (aten::from_file, aten::save) is refused: a str is
// how TorchScript names a file.
bool IsStringOpAllowed(const std::string& kind) {
  static const absl::flat_hash_set<std::string>* const ops = new absl::flat_hash_set<std::string>{
      // Tensor ops with a mode.
      "aten::gelu",
      "aten::div",
      "aten::div_",
      "aten::einsum",
      "aten::pad",
      "aten::_pad_enum",
      "aten::constant_pad_nd",
      "aten::__interpolate",
      "aten::upsample_nearest2d",
      "aten::norm",
      "aten::linalg_norm",
      "aten::linalg_vector_norm",
      "aten::searchsorted",
      "aten::scatter",
      "aten::scatter_",
      "aten::scatter_reduce",
      "aten::index_reduce",
      "aten::segment_reduce",
      "aten::stft",
      "aten::istft",
      "aten::fft_fftn",
      "aten::fft_fft",
      "aten::fft_ifft",
      "aten::fft_rfft",
      "aten::fft_irfft",
      "aten::fft_rfftn",
      "aten::fft_irfftn",
      "aten::fft_fft2",
      "aten::fft_ifft2",
      "aten::grid_sampler",
      "aten::multi_head_attention_forward",
      "aten::_native_multi_head_attention",
      "aten::layer_norm",
      "aten::group_norm",
      "aten::rename",
      "aten::refine_names",
      "aten::align_to",
      "aten::to",
      "aten::device",
      "aten::dtype",
      // Messages and string values.
      "prim::RaiseException",
      "aten::warn",
      "aten::format",
      "aten::str",
      "aten::len",
      "aten::__getitem__",
      "aten::__contains__",
      "aten::eq",
      "aten::ne",
      "aten::lt",
      "aten::gt",
      "aten::le",
      "aten::ge",
      "aten::add",
      "aten::mul",
      "aten::list",
      "aten::join",
      "aten::split",
      "aten::strip",
      "aten::lstrip",
      "aten::rstrip",
      "aten::lower",
      "aten::upper",
      "aten::startswith",
      "aten::endswith",
      "aten::replace",
      "aten::find",
      "aten::count",
      "aten::isdigit",
      "aten::isalpha",
      "aten::isspace",
      "aten::slice",
      "aten::splitlines",
      "aten::zfill",
      "aten::center",
      "aten::ljust",
      "aten::rjust",
      "aten::ord",
      "aten::chr",
      "aten::append",
      "aten::insert",
      "aten::index",
      "aten::_set_item",
      "aten::get",
      "aten::setdefault",
      "aten::keys",
      "aten::values",
      "aten::items",
      "aten::pop",
      "aten::__is__",
      "aten::__isnot__",
      "aten::sorted",
      "aten::sort",
      "aten::hash",
      "aten::Int",
      "aten::Float",
      "aten::Bool",
      "aten::__str__",
      "prim::Print",
      "aten::_unwrap_optional",
      "aten::__not__",
  };
  return ops->contains(kind);
}

bool TakesAString(const c10::TypePtr& type) {
  if (type->kind() == c10::TypeKind::StringType) return true;
  if (const auto optional = type->cast<c10::OptionalType>()) {
    return TakesAString(optional->getElementType());
  }
  if (const auto list = type->cast<c10::ListType>()) return TakesAString(list->getElementType());
  return false;
}

absl::Status CheckNode(const torch::jit::Node& node, const std::string& function) {
  const std::string kind = node.kind().toQualString();
  const auto refuse = [&](absl::string_view why) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the sandboxed hubconf's TorchScript calls ", kind, " in ", function, ", ", why,
        "; refused (only pure tensor and control-flow ops may come out of the sandbox)"));
  };
  if (IsStructural(kind)) return absl::OkStatus();
  if (!node.kind().is_aten() && !node.kind().is_prim()) {
    return refuse("an op outside aten and prim");
  }
  const c10::FunctionSchema* schema = node.maybeSchema();
  if (schema == nullptr) return refuse("an op with no schema");
  for (const c10::Argument& argument : schema->arguments()) {
    if (TakesAString(argument.type()) && !IsStringOpAllowed(kind)) {
      return refuse(absl::StrCat("which takes a string (", argument.name(),
                                 ") and is not on the allow-list of pure ops"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckBlock(const torch::jit::Block& block, const std::string& function) {
  for (const torch::jit::Node* node : block.nodes()) {
    HUB_RETURN_IF_ERROR(CheckNode(*node, function));
    for (const torch::jit::Block* inner : node->blocks()) {
      HUB_RETURN_IF_ERROR(CheckBlock(*inner, function));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFunction(const torch::jit::Function& function) {
  const std::string name = function.qualname().qualifiedName();
  if (!function.isGraphFunction()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the sandboxed hubconf's TorchScript has a function that is not a graph (",
                     name, "); refused"));
  }
  return CheckBlock(*torch::jit::toGraphFunction(function).graph()->block(), name);
}

// The archive, in memory, as libtorch's zip reader reads it: no copy into
// a stream (an archive can be hundreds of megabytes). The same interface in
// libtorch 1.13 and 2.x. Owns the bytes, which never change.
class ArchiveReader : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit ArchiveReader(std::string bytes) : bytes_(std::move(bytes)) {}
  size_t size() const override { return bytes_.size(); }
  size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
    if (pos >= bytes_.size()) return 0;
    const size_t count = std::min<uint64_t>(n, bytes_.size() - pos);
    std::memcpy(buf, bytes_.data() + pos, count);
    return count;
  }

 private:
  const std::string bytes_;
};

// torch::jit::load runs __setstate__ methods while it loads, before any
// check: an archive whose code defines one is refused unloaded. The code
// is read with the zip reader torch::jit::load itself uses, over the same
// bytes, so both see the same entries.
absl::Status RefuseSetstate(const std::shared_ptr<ArchiveReader>& archive) {
  caffe2::serialize::PyTorchStreamReader reader(archive);
  for (const std::string& name : reader.getAllRecords()) {
    if (!absl::EndsWith(name, ".py")) continue;
    const auto [data, size] = reader.getRecord(name);
    const absl::string_view code(static_cast<const char*>(data.get()), size);
    if (absl::StrContains(code, "__setstate__")) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the sandboxed hubconf's TorchScript defines __setstate__ (in ", name,
          "), which torch::jit::load would run before anything could be checked; refused"));
    }
  }
  return absl::OkStatus();
}

// What loading an archive sets up once per process (the TorchScript
// compiler's and importer's first use), done on a tiny module made here
// while the worker works, so that its archive loads as a second load would.
// Only a warm-up: a failure changes nothing.
void WarmUpTorchScriptImport() {
  try {
    torch::jit::Module m("__torch__.TorchhubWarmUp");
    m.define(R"(
def forward(self, x):
    y = torch.conv2d(x, torch.ones([2, 3, 3, 3]), None, [1, 1], [1, 1])
    y = torch.relu(torch.max_pool2d(y, [2, 2]))
    return torch.flatten(torch.adaptive_avg_pool2d(y, [1, 1]), 1) + 1.0
)");
    std::ostringstream out;
    m.save(out);
    std::istringstream in(out.str());
    torch::jit::load(in);
  } catch (const std::exception&) {
  }
}

// Runs optional `work` on a thread of its own (none when no thread can be
// made); joins it when it goes.
class Beside {
 public:
  explicit Beside(void (*work)()) {
    try {
      thread_ = std::thread(work);
    } catch (const std::system_error&) {
    }
  }
  Beside(const Beside&) = delete;
  Beside& operator=(const Beside&) = delete;
  ~Beside() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace

// GCC 12 at -O1 and above reports a stringop-overflow inside libtorch's
// module iterator (an intrusive_ptr to the undefined-tensor singleton,
// inlined into the loop below) that cannot happen; -Werror would stop the
// CMake and `-c opt` builds on it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
absl::StatusOr<torch::jit::Module> LoadUntrustedTorchScript(std::string archive) {
  try {
    const auto reader = std::make_shared<ArchiveReader>(std::move(archive));
    HUB_RETURN_IF_ERROR(RefuseSetstate(reader));
    // RefuseSetstate read it as a zip archive: anything else (a flatbuffer
    // module, which has no code entries to scan; a pickle) was refused there.
    torch::jit::Module module = torch::jit::load(reader);
    for (const torch::jit::Function* function :
         module._ivalue()->compilation_unit()->get_functions()) {
      HUB_RETURN_IF_ERROR(CheckFunction(*function));
    }
    for (const torch::jit::Module& sub : module.modules()) {
      for (const torch::jit::Method& method : sub.get_methods()) {
        HUB_RETURN_IF_ERROR(CheckFunction(method.function()));
      }
    }
    return module;
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("the sandbox's TorchScript does not load: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("the sandbox's TorchScript does not load: ", e.what()));
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

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
  absl::StatusOr<LoadAnswer> answered;
  {
    // The parent is idle until the worker answers.
    const Beside warm_up(&WarmUpTorchScriptImport);
    answered = LoadInSandbox(repo_dir, std::move(request), options);
  }
  HUB_ASSIGN_OR_RETURN(LoadAnswer answer, std::move(answered));
  LoadedEntry loaded;
  loaded.type_name = std::move(answer.type_name);
  switch (answer.kind) {
    case LoadAnswer::Kind::kModule: {
      loaded.kind = LoadedEntry::Kind::kModule;
      loaded.torchscript_method = std::move(answer.method);
      HUB_ASSIGN_OR_RETURN(loaded.module, LoadUntrustedTorchScript(std::move(answer.body)));
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
