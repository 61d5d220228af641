#include "hub/sandbox/worker.h"

#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/csrc/jit/serialization/pickle.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/hubconf/hubconf.h"
#include "hub/hubconf/python_runtime.h"
#include "hub/sandbox/protocol.h"
#include "hub/sandbox/value.h"

// AddressSanitizer maps terabytes of shadow memory, so an address-space
// limit makes every later mmap fail. Under ASan (CI's sanitizer run) the
// worker drops RLIMIT_AS, and ASan's allocator cap below refuses what the
// limit would have (a large allocation is a MemoryError in Python).
#if defined(__SANITIZE_ADDRESS__)
#define HUB_SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HUB_SANDBOX_ASAN 1
#endif
#endif
#ifndef HUB_SANDBOX_ASAN
#define HUB_SANDBOX_ASAN 0
#endif
// ThreadSanitizer's shadow is as large: the same limit is dropped under it
// (there is no allocator cap to stand in; the TSan run is not about limits).
#if defined(__SANITIZE_THREAD__)
#define HUB_SANDBOX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HUB_SANDBOX_TSAN 1
#endif
#endif
#ifndef HUB_SANDBOX_TSAN
#define HUB_SANDBOX_TSAN 0
#endif

#if HUB_SANDBOX_ASAN
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): ASan's hook
extern "C" const char* __asan_default_options() {
  return "allocator_may_return_null=1:max_allocation_size_mb=4096";
}
#endif

namespace hub::sandbox {
namespace {

constexpr char kWorkerFlag[] = "--sandbox-worker";
// A load request carries the arguments and example inputs; anything
// longer is not from our parent.
constexpr uint32_t kMaxRequestBytes = 256 << 20;

struct WorkerFlags {
  int fd = -1;
  int64_t cpu_seconds = 0;
  int64_t address_space_bytes = 0;
  int64_t file_size_bytes = 0;
};

absl::StatusOr<WorkerFlags> ParseFlags(int argc, char** argv) {
  WorkerFlags flags;
  for (int i = 2; i < argc; ++i) {
    absl::string_view arg = argv[i];
    int64_t value = 0;
    const auto number = [&](absl::string_view name, int64_t* out) {
      if (!absl::ConsumePrefix(&arg, name)) return false;
      if (!absl::SimpleAtoi(arg, &value) || value < 0) return false;
      *out = value;
      return true;
    };
    int64_t fd = -1;
    if (number("--fd=", &fd)) {
      flags.fd = static_cast<int>(fd);
    } else if (!number("--cpu-seconds=", &flags.cpu_seconds) &&
               !number("--address-space-bytes=", &flags.address_space_bytes) &&
               !number("--file-size-bytes=", &flags.file_size_bytes)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown worker argument \"", argv[i], "\""));
    }
  }
  if (flags.fd < 0) return absl::InvalidArgumentError("the worker needs --fd=N");
  return flags;
}

absl::Status SetLimit(int resource, int64_t soft, int64_t hard, absl::string_view what) {
  rlimit limit{};
  limit.rlim_cur = soft == 0 ? RLIM_INFINITY : static_cast<rlim_t>(soft);
  limit.rlim_max = hard == 0 ? RLIM_INFINITY : static_cast<rlim_t>(hard);
  if (::setrlimit(resource, &limit) != 0) return hub::ErrnoToStatus(errno, what);
  return absl::OkStatus();
}

absl::Status Confine(const WorkerFlags& flags) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    return hub::ErrnoToStatus(errno, "PR_SET_PDEATHSIG");
  }
  rlimit no_core{};
  if (::setrlimit(RLIMIT_CORE, &no_core) != 0) return hub::ErrnoToStatus(errno, "RLIMIT_CORE");
  // The soft CPU limit sends SIGXCPU (the parent reports it); the hard one,
  // a second later, SIGKILL for a process that ignores it.
  HUB_RETURN_IF_ERROR(SetLimit(RLIMIT_CPU, flags.cpu_seconds,
                               flags.cpu_seconds == 0 ? 0 : flags.cpu_seconds + 1, "RLIMIT_CPU"));
#if !HUB_SANDBOX_ASAN && !HUB_SANDBOX_TSAN
  HUB_RETURN_IF_ERROR(
      SetLimit(RLIMIT_AS, flags.address_space_bytes, flags.address_space_bytes, "RLIMIT_AS"));
#endif
  HUB_RETURN_IF_ERROR(
      SetLimit(RLIMIT_FSIZE, flags.file_size_bytes, flags.file_size_bytes, "RLIMIT_FSIZE"));
  return LoadSeccompFilter();
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return hub::ErrnoToStatus(errno, "writing the answer");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status ReadExactly(int fd, size_t size, std::string* out) {
  out->resize(size);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out->data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::DataLossError("the sandbox's request ended early");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadRequest(int fd) {
  std::string header;
  HUB_RETURN_IF_ERROR(ReadExactly(fd, kFrameHeaderBytes, &header));
  const uint32_t length = DecodeFrameLength(header);
  if (length > kMaxRequestBytes) return absl::DataLossError("the sandbox's request is too long");
  std::string payload;
  HUB_RETURN_IF_ERROR(ReadExactly(fd, length, &payload));
  return payload;
}

absl::Status NeedsNoSandbox(absl::string_view entry, absl::string_view type_name,
                            absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(
      entry, " returned an object of type ", type_name,
      ", which cannot leave the sandbox (only TorchScript modules, tensors, dicts of tensors and "
      "plain values do",
      why,
      "); to get the Python object, load it without the sandbox: --no-sandbox "
      "(HubOptions::sandbox = false)"));
}

// Python helpers the worker runs: torch.save of a tensor or a dict of them,
// detached and on the CPU, as bytes.
//
// _torchhub_forward(fd): torch.hub.load_state_dict_from_url (and
// torch.utils.model_zoo.load_url), torch.hub.download_url_to_file and
// torch.hub.load of a non-local repo ask the parent over fd (a 'U' request,
// hub/sandbox/protocol.h) and use the read-only path it replies with.
constexpr char kWorkerPython[] = R"py(
def _torchhub_forward(fd):
    import os, shutil, struct, torch, torch.hub, torch.utils.model_zoo
    max_reply = 64 << 10

    def text(s):
        b = (s or '').encode('utf-8')
        return struct.pack('>I', len(b)) + b

    def read(n):
        data = b''
        while len(data) < n:
            chunk = os.read(fd, n - len(data))
            if not chunk:
                raise RuntimeError('torchhub sandbox: the parent closed the connection')
            data += chunk
        return data

    def ask(kind, url, file_name='', check_hash=False, hash_prefix='', source=''):
        payload = (b'U' + bytes([kind]) + text(url) + text(file_name) +
                   bytes([1 if check_hash else 0]) + text(hash_prefix) + text(source))
        frame = struct.pack('>I', len(payload)) + payload
        while frame:
            frame = frame[os.write(fd, frame):]
        (n,) = struct.unpack('>I', read(4))
        if n < 2 or n > max_reply:
            raise RuntimeError('torchhub sandbox: a malformed reply from the parent')
        body = read(n)
        if body[:1] != b'r':
            raise RuntimeError('torchhub sandbox: a malformed reply from the parent')
        (size,) = struct.unpack('>I', body[2:6])
        message = body[6:6 + size].decode('utf-8', 'replace')
        if body[1] != 0:
            raise RuntimeError('torchhub (outside the sandbox): ' + message)
        return message

    original_load = torch.hub.load

    def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                                 check_hash=False, file_name=None, **kwargs):
        path = ask(1, url, file_name, check_hash)
        return torch.load(path, map_location=map_location, **kwargs)

    def download_url_to_file(url, dst, hash_prefix=None, progress=True):
        shutil.copyfile(ask(2, url, hash_prefix=hash_prefix), dst)

    def load(repo_or_dir, model, *args, source='github', trust_repo=None, force_reload=False,
             verbose=True, skip_validation=False, **kwargs):
        if source != 'local':
            repo_or_dir = ask(3, repo_or_dir, source=source)
        return original_load(repo_or_dir, model, *args, source='local', **kwargs)

    torch.hub.load_state_dict_from_url = load_state_dict_from_url
    torch.utils.model_zoo.load_url = load_state_dict_from_url
    torch.hub.download_url_to_file = download_url_to_file
    torch.hub.load = load

def _torchhub_save(obj):
    import io, torch
    if isinstance(obj, torch.Tensor):
        obj = obj.detach().cpu()
    else:
        obj = {k: v.detach().cpu() for k, v in obj.items()}
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()
)py";

absl::StatusOr<PyRef> WorkerFunction(const char* name) {
  PyRef globals(PyDict_New());
  if (!globals) return TakePythonError("making the worker's helpers");
  if (PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0) {
    return TakePythonError("making the worker's helpers");
  }
  PyRef done(PyRun_String(kWorkerPython, Py_file_input, globals.get(), globals.get()));
  if (!done) return TakePythonError("making the worker's helpers");
  PyObject* f = PyDict_GetItemString(globals.get(), name);  // borrowed
  if (f == nullptr) return absl::InternalError(absl::StrCat("no worker helper ", name));
  return PyRef::Borrow(f);
}

absl::StatusOr<std::string> TorchSave(const PyObjectHandle& object) {
  GilLock gil;
  HUB_ASSIGN_OR_RETURN(const PyRef save, WorkerFunction("_torchhub_save"));
  PyRef bytes(PyObject_CallFunctionObjArgs(save.get(), object.borrowed(), nullptr));
  if (!bytes) return TakePythonError("saving the tensors");
  char* data = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_AsStringAndSize(bytes.get(), &data, &size) != 0) {
    return TakePythonError("saving the tensors");
  }
  return std::string(data, static_cast<size_t>(size));
}

absl::Status ForwardToParent(int fd) {
  HUB_RETURN_IF_ERROR(EnsurePythonStarted());
  GilLock gil;
  HUB_ASSIGN_OR_RETURN(const PyRef forward, WorkerFunction("_torchhub_forward"));
  PyRef done(PyObject_CallFunction(forward.get(), "i", fd));
  if (!done) return TakePythonError("forwarding torch.hub's downloads to the parent");
  return absl::OkStatus();
}

absl::StatusOr<LoadAnswer> RunLoad(const LoadRequest& request, int fd) {
  HUB_ASSIGN_OR_RETURN(const HubArgs args, ParseArgs(request.args));
  HUB_RETURN_IF_ERROR(ForwardToParent(fd));
  LoadOptions options;
  options.torchscript = request.torchscript;
  // The archive as torch.jit.save wrote it goes to the parent as it is:
  // loading it here and saving it again would only cost time.
  options.torchscript_archive = true;
  if (!request.example_inputs.empty()) {
    try {
      const c10::IValue inputs = torch::jit::pickle_load(
          std::vector<char>(request.example_inputs.begin(), request.example_inputs.end()));
      std::vector<at::Tensor> tensors;
      for (const c10::IValue& t : inputs.toListRef()) tensors.push_back(t.toTensor());
      options.example_inputs = std::move(tensors);
    } catch (const c10::Error& e) {
      return absl::DataLossError(
          absl::StrCat("the sandbox's example inputs: ", e.what_without_backtrace()));
    }
  }
  HUB_ASSIGN_OR_RETURN(LoadedEntry loaded,
                       LoadEntrypoint(request.repo_dir, request.entry, args, options));
  LoadAnswer answer;
  answer.type_name = loaded.type_name;
  switch (loaded.kind) {
    case LoadedEntry::Kind::kModule:
      answer.kind = LoadAnswer::Kind::kModule;
      answer.method = loaded.torchscript_method;
      answer.body = std::move(loaded.torchscript_archive);
      return answer;
    case LoadedEntry::Kind::kTensor:
    case LoadedEntry::Kind::kTensorDict: {
      answer.kind = LoadAnswer::Kind::kTensors;
      HUB_ASSIGN_OR_RETURN(answer.body, TorchSave(loaded.object));
      return answer;
    }
    case LoadedEntry::Kind::kObject:
      break;
  }
  absl::StatusOr<HubValue> value = loaded.object.ToValue();
  if (!value.ok()) return NeedsNoSandbox(request.entry, loaded.type_name, "");
  absl::StatusOr<std::string> encoded = EncodeValue(*value);
  if (!encoded.ok()) {
    return NeedsNoSandbox(request.entry, loaded.type_name,
                          absl::StrCat(": ", encoded.status().message()));
  }
  answer.kind = LoadAnswer::Kind::kValue;
  answer.body = *std::move(encoded);
  return answer;
}

// The answer to one request from the parent, as the bytes to write: a
// frame's head and, for a loaded entry, its body, written after it rather
// than copied into one frame (a module's archive is tens of megabytes).
struct Reply {
  std::string head;
  std::string body;
};

Reply Answer(absl::string_view payload, int fd) {
  if (!payload.empty() && payload[0] == kLoadRequest) {
    const absl::StatusOr<LoadRequest> request = ParseLoadRequest(payload);
    if (!request.ok()) return {EncodeFrame(EncodeError(request.status())), ""};
    absl::StatusOr<LoadAnswer> answer = RunLoad(*request, fd);
    if (!answer.ok()) return {EncodeFrame(EncodeError(answer.status())), ""};
    std::string head = EncodeLoadAnswerFrameHead(*answer);
    return {std::move(head), std::move(answer->body)};
  }
  const absl::StatusOr<std::string> repo_dir = ParseDescribeRequest(payload);
  if (!repo_dir.ok()) return {EncodeFrame(EncodeError(repo_dir.status())), ""};
  const absl::StatusOr<HubconfDescription> description = DescribeHubconf(*repo_dir);
  return {EncodeFrame(description.ok() ? EncodeDescription(*description)
                                       : EncodeError(description.status())),
          ""};
}

}  // namespace

absl::Status LoadSeccompFilter() {
  std::unique_ptr<void, decltype(&seccomp_release)> ctx(seccomp_init(SCMP_ACT_ALLOW),
                                                        &seccomp_release);
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  const auto rule = [&ctx](uint32_t action, int syscall, unsigned count,
                           const scmp_arg_cmp* args) -> absl::Status {
    const int rc = seccomp_rule_add_array(ctx.get(), action, syscall, count, args);
    if (rc != 0)
      return hub::ErrnoToStatus(-rc, absl::StrCat("adding seccomp rule for syscall ", syscall));
    return absl::OkStatus();
  };
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  // memfd_create: RAM outside /tmp's cap and (unmapped) RLIMIT_AS.
  for (const int nr : {SCMP_SYS(fork),
                       SCMP_SYS(vfork),
                       SCMP_SYS(execve),
                       SCMP_SYS(execveat),
                       SCMP_SYS(ptrace),
                       SCMP_SYS(mount),
                       SCMP_SYS(umount2),
                       SCMP_SYS(pivot_root),
                       SCMP_SYS(chroot),
                       SCMP_SYS(unshare),
                       SCMP_SYS(setns),
                       SCMP_SYS(bpf),
                       SCMP_SYS(keyctl),
                       SCMP_SYS(add_key),
                       SCMP_SYS(request_key),
                       SCMP_SYS(io_uring_setup),
                       SCMP_SYS(io_uring_enter),
                       SCMP_SYS(io_uring_register),
                       SCMP_SYS(userfaultfd),
                       SCMP_SYS(perf_event_open),
                       SCMP_SYS(process_vm_readv),
                       SCMP_SYS(process_vm_writev),
                       SCMP_SYS(kexec_load),
                       SCMP_SYS(kexec_file_load),
                       SCMP_SYS(init_module),
                       SCMP_SYS(finit_module),
                       SCMP_SYS(delete_module),
                       SCMP_SYS(memfd_create)}) {
    HUB_RETURN_IF_ERROR(rule(eperm, nr, 0, nullptr));
  }
  // Threads only: a clone must carry CLONE_THREAD.
  const scmp_arg_cmp not_thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);
  HUB_RETURN_IF_ERROR(rule(eperm, SCMP_SYS(clone), 1, &not_thread));
  // ... and no new namespace (a thread may not take CLONE_FS with it, but
  // may take CLONE_NEWNS and others without it).
  for (const uint64_t flag :
       {uint64_t{CLONE_NEWNS}, uint64_t{CLONE_NEWCGROUP}, uint64_t{CLONE_NEWUTS},
        uint64_t{CLONE_NEWIPC}, uint64_t{CLONE_NEWUSER}, uint64_t{CLONE_NEWPID},
        uint64_t{CLONE_NEWNET}}) {
    const scmp_arg_cmp new_namespace = SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag);
    HUB_RETURN_IF_ERROR(rule(eperm, SCMP_SYS(clone), 1, &new_namespace));
  }
  // clone3's flags are behind a pointer the filter cannot read; glibc falls
  // back to clone on ENOSYS.
  HUB_RETURN_IF_ERROR(rule(SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, nullptr));
  const scmp_arg_cmp not_unix = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
  HUB_RETURN_IF_ERROR(rule(eperm, SCMP_SYS(socket), 1, &not_unix));
  HUB_RETURN_IF_ERROR(rule(eperm, SCMP_SYS(socketpair), 1, &not_unix));
  // seccomp_load sets no_new_privs first (SCMP_FLTATR_CTL_NNP is on by
  // default).
  if (const int rc = seccomp_load(ctx.get()); rc != 0) {
    return hub::ErrnoToStatus(-rc, "loading the seccomp filter");
  }
  return absl::OkStatus();
}

bool IsSandboxWorkerCommand(int argc, char** argv) {
  return argc >= 2 && std::strcmp(argv[1], kWorkerFlag) == 0;
}

int SandboxWorkerMain(int argc, char** argv) {
  const absl::StatusOr<WorkerFlags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << "torchhub sandbox worker: " << flags.status().message() << "\n";
    return 2;
  }
  if (absl::Status confined = Confine(*flags); !confined.ok()) {
    // Never run the hubconf half-confined.
    std::cerr << "torchhub sandbox worker: cannot confine itself: " << confined.message() << "\n";
    return 3;
  }
  const absl::StatusOr<std::string> request = ReadRequest(flags->fd);
  if (!request.ok()) {
    std::cerr << "torchhub sandbox worker: " << request.status().message() << "\n";
    return 4;
  }
  const Reply reply = Answer(*request, flags->fd);
  absl::Status written = WriteAll(flags->fd, reply.head);
  if (written.ok()) written = WriteAll(flags->fd, reply.body);
  if (!written.ok()) {
    std::cerr << "torchhub sandbox worker: " << written.message() << "\n";
    return 5;
  }
  return 0;
}

}  // namespace hub::sandbox
