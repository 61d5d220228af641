// The sandbox's worker: the process that runs a stranger's hubconf.py inside
// bubblewrap (hub/sandbox/sandbox.h starts it) and answers one request.
//
//   int main(int argc, char** argv) {
//     if (hub::sandbox::IsSandboxWorkerCommand(argc, argv)) {
//       return hub::sandbox::SandboxWorkerMain(argc, argv);
//     }
//     ...
//   }
//
// Command line (the parent writes it): --sandbox-worker --fd=N
// --cpu-seconds=N --address-space-bytes=N --file-size-bytes=N.
//
// Before any Python runs it: dies with its parent (PR_SET_PDEATHSIG), sets
// the limits (RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE; RLIMIT_CORE 0), and loads
// a seccomp filter (which sets no_new_privs) that answers EPERM to: a clone
// without CLONE_THREAD or with a CLONE_NEW* flag, fork, vfork, execve,
// execveat; socket and socketpair
// outside AF_UNIX; ptrace, mount, umount2, pivot_root, chroot, unshare,
// setns, bpf, keyctl, add_key, request_key, io_uring_*, userfaultfd,
// perf_event_open, process_vm_readv/writev, kexec and module loading,
// memfd_create (RAM beyond /tmp's cap, not counted in RLIMIT_AS); clone3
// answers ENOSYS so that threads fall back to clone, whose flags the filter
// can read. A syscall of another architecture kills the process.
//
// Then it reads one describe request from fd N (hub/sandbox/protocol.h), runs
// DescribeHubconf (hub/hubconf/hubconf.h) and writes the answer: the
// description, or the error. Exit status 0 when an answer was written.
#ifndef HUB_SANDBOX_WORKER_H_
#define HUB_SANDBOX_WORKER_H_

#include "absl/status/status.h"

namespace hub::sandbox {

// Whether argv[1] is --sandbox-worker.
bool IsSandboxWorkerCommand(int argc, char** argv);

// Runs the worker; returns the process's exit status.
int SandboxWorkerMain(int argc, char** argv);

// The seccomp filter described above, loaded into the calling thread (and the
// threads it starts later). For the worker; exposed for its tests.
absl::Status LoadSeccompFilter();

}  // namespace hub::sandbox

#endif  // HUB_SANDBOX_WORKER_H_
