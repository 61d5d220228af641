// Runs a repo's hubconf.py for `list`, `help` and `load` in a worker that can
// compute and nothing else (the default of HubOptions::sandbox and of
// `torchhub list|help|load`; `--no-sandbox` opts out; docs/sandbox.md has
// the threat model).
//
//   hub::sandbox::SandboxOptions options;
//   options.read_only_dirs = {hub::GetDir()};       // cached weights
//   HUB_ASSIGN_OR_RETURN(hub::HubconfDescription d,
//                        hub::sandbox::DescribeHubconfInSandbox(repo_dir, options));
//
// The worker (`torchhub-python --sandbox-worker`, hub/sandbox/worker.h) is
// started through bubblewrap (/usr/bin/bwrap) with new user, mount, PID,
// network, IPC, UTS and cgroup namespaces: no network at all; /usr (and the
// /bin, /lib* links into it) and a few /etc files read-only; the repo dir and
// `read_only_dirs` read-only at their own paths; a private /tmp and /dev/shm
// of tmp_bytes each (the only writable places); a private /proc and a
// private /dev, read-only otherwise (its devices work); nothing else of the
// host's file system, so nothing of $HOME and no target for a symlink that
// leads out of the repo. It runs as uid 65534 with no capabilities, cannot
// make user namespaces of its own, holds no descriptor of the parent's but
// its end of the socketpair, and dies with its parent. Inside, before
// Python starts, it limits its address space, CPU time and file size, turns
// off core dumps, sets no_new_privs and loads a seccomp filter: threads yes,
// new processes and exec no; AF_UNIX sockets only; no ptrace, mount, unshare,
// setns, bpf, keyctl, io_uring, userfaultfd or memfd_create. The parent keeps
// a wall-clock time-out and kills the worker when it passes.
//
// Why bubblewrap rather than our own clone/pivot_root code: it is small,
// audited and used by Flatpak for exactly this (the corner cases of mount
// propagation, /proc, setgroups and uid maps are its everyday work), and it is
// one Debian package; the cost is a run-time dependency, which a library user
// who never turns the sandbox on does not pay.
//
// What crosses back are messages on a socketpair, each capped
// (max_message_bytes for answers to list and help and for the worker's
// requests, max_answer_bytes for a load's answer) and parsed strictly
// (hub/sandbox/protocol.h).
//
// Errors (the sandbox never falls back to running the hubconf unsandboxed):
//   kFailedPrecondition  bwrap or the worker program is missing, or the kernel
//                        refuses the namespaces (the message says how to run
//                        without the sandbox);
//   kDeadlineExceeded    no answer within `timeout`;
//   kResourceExhausted   the answer is over max_message_bytes, or the worker
//                        was killed for CPU time;
//   kDataLoss            a malformed answer;
//   kAborted             the worker ended without an answer (its output's
//                        end is in the message);
//   otherwise the hubconf's own error, as DescribeHubconf reports it.
//
// Thread-safety: every call starts its own worker; calls may run at once.
#ifndef HUB_SANDBOX_SANDBOX_H_
#define HUB_SANDBOX_SANDBOX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hub/hubconf/entry_cache.h"
#include "hub/sandbox/protocol.h"

namespace hub::sandbox {

// Names the worker program when SandboxOptions::worker_program is empty.
inline constexpr char kWorkerEnv[] = "TORCHHUB_SANDBOX_WORKER";

struct SandboxOptions {
  // The bubblewrap binary.
  std::string bwrap_program = "/usr/bin/bwrap";
  // The program run as `PROGRAM --sandbox-worker ...` inside the sandbox;
  // "": $TORCHHUB_SANDBOX_WORKER, else torchhub-python beside the running
  // program (/proc/self/exe).
  std::string worker_program;
  // Mounted read-only at their own paths (the hub dir, for cached weights);
  // missing ones are skipped.
  std::vector<std::string> read_only_dirs;

  absl::Duration timeout = absl::Seconds(120);     // wall clock, kept by the parent
  int64_t cpu_seconds = 60;                        // RLIMIT_CPU
  int64_t address_space_bytes = int64_t{4} << 30;  // RLIMIT_AS
  int64_t file_size_bytes = int64_t{64} << 20;     // RLIMIT_FSIZE
  int64_t tmp_bytes = int64_t{256} << 20;          // /tmp and /dev/shm, each (RAM)
  size_t max_message_bytes = size_t{1} << 20;      // list/help answers, worker requests
  size_t max_answer_bytes = size_t{2} << 30;       // a load's answer (a module's bytes)
  int max_requests = 64;                           // worker requests in one load

  // Does what the worker asks for mid-load (a download, another repo) with
  // the parent's rules, and returns the path of the result, which must lie
  // in the repo dir or a read-only dir (the worker sees nothing else; any
  // other path is refused). Unset: every request is refused.
  std::function<absl::StatusOr<std::string>(const WorkerRequest&)> on_request;
};

// torch.hub's list and help answers for `repo_dir` (DescribeHubconf,
// hub/hubconf/hubconf.h), computed in the sandbox.
absl::StatusOr<HubconfDescription> DescribeHubconfInSandbox(absl::string_view repo_dir,
                                                            const SandboxOptions& options = {});

// torch.hub.load's work in the sandbox: the worker runs `request.entry` of
// the hubconf in `repo_dir` (request.repo_dir is set here) and answers with
// untrusted bytes: hub/sandbox/load.h checks and decodes them. Requests the
// worker makes meanwhile go to options.on_request, one at a time, at most
// options.max_requests; the time they take does not count against
// options.timeout. Errors as above.
absl::StatusOr<LoadAnswer> LoadInSandbox(absl::string_view repo_dir, LoadRequest request,
                                         const SandboxOptions& options = {});

// Starting the worker early. A worker's start-up (libtorch, libpython, then
// `import torch`) is most of a second, and so is that of torchhub-python,
// the parent. The `torchhub` command, about to exec torchhub-python for a
// sandboxed load, starts the worker first, so that the two start-ups run
// side by side. The worker sees `dirs` read-only (as it would see the repo
// and SandboxOptions::read_only_dirs) and waits for its request; its
// descriptors are left open across exec and named in $TORCHHUB_SANDBOX_EARLY.
// The first sandbox call after the exec (in the same process: the worker is
// its child) takes that worker over when it was started with the same
// options and sees exactly the dirs the call would give it; otherwise that
// worker is stopped and the call starts its own. So starting early is never
// needed for correctness, and a mismatch costs only the time it would have
// saved. Errors: the worker could not be started (nothing is left behind).
inline constexpr char kEarlyWorkerEnv[] = "TORCHHUB_SANDBOX_EARLY";
absl::Status StartWorkerBeforeExec(const std::vector<std::string>& dirs,
                                   const SandboxOptions& options = {});

// How many sandbox calls in this process took over an early worker.
int64_t EarlyWorkersAdopted();

}  // namespace hub::sandbox

#endif  // HUB_SANDBOX_SANDBOX_H_
