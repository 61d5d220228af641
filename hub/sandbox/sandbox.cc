#include "hub/sandbox/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/fs/files.h"
#include "hub/sandbox/protocol.h"

namespace hub::sandbox {
namespace {

constexpr char kOptOut[] =
    "to run this hubconf without a sandbox, in this process with all your rights, pass "
    "--no-sandbox (HubOptions::sandbox = false)";
// Where the worker program is mounted inside the sandbox.
constexpr char kWorkerInside[] = "/run/torchhub/worker";
// The worker's end of the socketpair, inside the sandbox.
constexpr int kWorkerFd = 3;
// How much of the worker's own output (stdout and stderr) is kept for errors.
constexpr size_t kMaxOutputBytes = 16 << 10;
// How far ahead of the bytes received a message of known length is given
// room (each byte of it is zero-filled once, then read into).
constexpr size_t kReadStepBytes = size_t{4} << 20;

// Closes a file descriptor once.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  // Gives the descriptor up without closing it.
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// The started bwrap process; killed and reaped unless Wait() reaped it.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { KillAndWait(); }

  // Kills the sandbox (bwrap takes its children with it: --die-with-parent)
  // and returns the wait status.
  int KillAndWait() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGKILL);
    return Wait();
  }
  // Gives the process up: neither killed nor reaped here.
  pid_t Release() {
    const pid_t pid = pid_;
    pid_ = -1;
    return pid;
  }
  int Wait() {
    if (pid_ <= 0) return status_;
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status_;
  }

 private:
  pid_t pid_;
  int status_ = 0;
};

absl::StatusOr<std::string> WorkerProgram(const SandboxOptions& options) {
  std::string program = options.worker_program;
  if (program.empty()) {
    if (const char* env = std::getenv(kWorkerEnv); env != nullptr && *env != '\0') program = env;
  }
  if (program.empty()) {
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
      const std::string exe(self, static_cast<size_t>(n));
      program = absl::StrCat(exe.substr(0, exe.rfind('/') + 1), "torchhub-python");
    }
  }
  if (program.empty() || ::access(program.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the sandbox worker program \"", program,
        "\" is not an executable file: set SandboxOptions::worker_program or $", kWorkerEnv,
        " to torchhub-python (or another program that runs "
        "hub::sandbox::SandboxWorkerMain); or, ",
        kOptOut));
  }
  return RealPath(program, "the sandbox worker program");
}

// bwrap's command line for the worker.
std::vector<std::string> BwrapArgs(const SandboxOptions& options, const std::string& worker,
                                   const std::string& repo_dir,
                                   const std::vector<std::string>& read_only_dirs) {
  // --unshare-all makes user, mount, pid, net, ipc, uts and cgroup
  // namespaces, but only tries the user one: --unshare-user requires it.
  std::vector<std::string> a = {options.bwrap_program, "--unshare-all",     "--unshare-user",
                                "--disable-userns",    "--die-with-parent", "--new-session"};
  a.insert(a.end(),
           {"--uid", "65534", "--gid", "65534", "--clearenv", "--ro-bind", "/usr", "/usr"});
  // Debian's merged /usr: /bin, /lib* are links into it; elsewhere they may
  // be directories of their own.
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    struct stat st;
    if (::lstat(top, &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      const ssize_t n = ::readlink(top, target, sizeof(target) - 1);
      if (n <= 0) continue;
      a.insert(a.end(), {"--symlink", std::string(target, static_cast<size_t>(n)), top});
    } else if (S_ISDIR(st.st_mode)) {
      a.insert(a.end(), {"--ro-bind", top, top});
    }
  }
  // What the dynamic loader, BLAS's alternatives and Python read from /etc.
  for (const char* etc :
       {"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
        "/etc/localtime", "/etc/python3", "/etc/python3.11"}) {
    a.insert(a.end(), {"--ro-bind-try", etc, etc});
  }
  // /tmp, and /dev/shm (POSIX shared memory: multiprocessing's locks,
  // share_memory_()), each a tmpfs of tmp_bytes.
  a.insert(a.end(),
           {"--proc", "/proc", "--dev", "/dev", "--size", absl::StrCat(options.tmp_bytes),
            "--tmpfs", "/tmp", "--size", absl::StrCat(options.tmp_bytes), "--tmpfs", "/dev/shm"});
  for (const std::string& dir : read_only_dirs) a.insert(a.end(), {"--ro-bind", dir, dir});
  a.insert(a.end(), {"--ro-bind", repo_dir, repo_dir, "--ro-bind", worker, kWorkerInside});
  // The root is bwrap's own tmpfs: read-only too, and so is the tmpfs --dev
  // makes (uncapped; its device nodes still work), so /tmp and /dev/shm are
  // the only places to write.
  a.insert(a.end(), {"--remount-ro", "/", "--remount-ro", "/dev"});
  a.insert(a.end(), {"--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp", "--setenv", "PATH",
                     "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8", "--setenv",
                     "PYTHONDONTWRITEBYTECODE", "1", "--chdir", "/tmp"});
  for (const char* env : {"TORCHHUB_PYTHON", "TORCHHUB_PYTHON_HOME", "TORCHHUB_PYTHONPATH"}) {
    if (const char* v = std::getenv(env); v != nullptr) a.insert(a.end(), {"--setenv", env, v});
  }
  a.insert(a.end(), {"--", kWorkerInside, "--sandbox-worker", absl::StrCat("--fd=", kWorkerFd),
                     absl::StrCat("--cpu-seconds=", options.cpu_seconds),
                     absl::StrCat("--address-space-bytes=", options.address_space_bytes),
                     absl::StrCat("--file-size-bytes=", options.file_size_bytes)});
  return a;
}

// Starts `argv` with `socket_fd` as fd 3 and stdout and stderr into
// `output_fd`. Everything the child runs between fork and exec is
// async-signal-safe.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, int socket_fd, int output_fd) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  Fd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd.get() < 0) return hub::ErrnoToStatus(errno, "opening /dev/null");
  const pid_t pid = ::fork();
  if (pid < 0) return hub::ErrnoToStatus(errno, "starting the sandbox");
  if (pid == 0) {
    // dup2 clears close-on-exec on the copy; a descriptor already in place
    // needs it cleared by hand.
    if (socket_fd == kWorkerFd) {
      ::fcntl(kWorkerFd, F_SETFD, 0);
    } else if (::dup2(socket_fd, kWorkerFd) < 0) {
      ::_exit(127);
    }
    if (::dup2(null_fd.get(), 0) < 0 || ::dup2(output_fd, 1) < 0 || ::dup2(output_fd, 2) < 0) {
      ::_exit(127);
    }
    // bwrap hands every open descriptor on to the worker: close whatever
    // else this process had open without close-on-exec (another thread's
    // file, a connection).
    if (::close_range(kWorkerFd + 1, ~0U, 0) != 0) {
      for (int fd = kWorkerFd + 1; fd < 65536; ++fd) ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::string OutputTail(const std::string& output) {
  if (output.empty()) return "";
  return absl::StrCat("; its output ends: ", output);
}

// What the sandbox's end without an answer means.
absl::Status NoAnswer(int wait_status, const std::string& output, const SandboxOptions& options) {
  if (absl::StartsWith(output, "bwrap:")) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start the hubconf sandbox (", absl::StripSuffix(output, "\n"),
                     "); it needs user namespaces, which this kernel or its settings may refuse "
                     "(kernel.unprivileged_userns_clone, user.max_user_namespaces, an AppArmor "
                     "or container policy); ",
                     kOptOut));
  }
  // bwrap exits with 128 + the signal that ended the worker.
  const int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  if (code == 128 + SIGXCPU) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the sandboxed hubconf used up its CPU time (", options.cpu_seconds,
        " s) and was stopped; raise SandboxOptions::cpu_seconds if it is honest work"));
  }
  if (code == 127 && output.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", options.bwrap_program, " (install bubblewrap); ", kOptOut));
  }
  return absl::AbortedError(absl::StrCat("the sandboxed hubconf ended without an answer (",
                                         WIFEXITED(wait_status)
                                             ? absl::StrCat("exit status ", code)
                                             : absl::StrCat("signal ", WTERMSIG(wait_status)),
                                         ")", OutputTail(output)));
}

// A worker started before exec (StartWorkerBeforeExec), as
// $TORCHHUB_SANDBOX_EARLY names it: "v1 PID SOCKET OUTPUT CPU AS FSIZE TMP",
// then bwrap's path, the worker's, and the dirs it sees, a line each.
struct EarlyWorker {
  pid_t pid = -1;
  int socket_fd = -1;
  int output_fd = -1;
  int64_t cpu_seconds = 0;
  int64_t address_space_bytes = 0;
  int64_t file_size_bytes = 0;
  int64_t tmp_bytes = 0;
  std::string bwrap;
  std::string worker;
  std::vector<std::string> dirs;
};

std::atomic<int64_t> early_workers_adopted{0};

std::string EncodeEarlyWorker(const EarlyWorker& w) {
  return absl::StrCat("v1 ", w.pid, " ", w.socket_fd, " ", w.output_fd, " ", w.cpu_seconds, " ",
                      w.address_space_bytes, " ", w.file_size_bytes, " ", w.tmp_bytes, "\n",
                      w.bwrap, "\n", w.worker, "\n", absl::StrJoin(w.dirs, "\n"));
}

std::optional<EarlyWorker> DecodeEarlyWorker(absl::string_view spec) {
  const std::vector<absl::string_view> lines = absl::StrSplit(spec, '\n');
  if (lines.size() < 4) return std::nullopt;
  const std::vector<absl::string_view> numbers = absl::StrSplit(lines[0], ' ');
  EarlyWorker w;
  int64_t pid = 0;
  if (numbers.size() != 8 || numbers[0] != "v1" || !absl::SimpleAtoi(numbers[1], &pid) ||
      !absl::SimpleAtoi(numbers[2], &w.socket_fd) || !absl::SimpleAtoi(numbers[3], &w.output_fd) ||
      !absl::SimpleAtoi(numbers[4], &w.cpu_seconds) ||
      !absl::SimpleAtoi(numbers[5], &w.address_space_bytes) ||
      !absl::SimpleAtoi(numbers[6], &w.file_size_bytes) ||
      !absl::SimpleAtoi(numbers[7], &w.tmp_bytes) || pid <= 0 || w.socket_fd < 0 ||
      w.output_fd < 0) {
    return std::nullopt;
  }
  w.pid = static_cast<pid_t>(pid);
  w.bwrap = std::string(lines[1]);
  w.worker = std::string(lines[2]);
  for (size_t i = 3; i < lines.size(); ++i) w.dirs.emplace_back(lines[i]);
  return w;
}

bool IsFileType(int fd, mode_t type) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

bool Under(const std::string& path, const std::string& dir) {
  return path == dir || absl::StartsWith(path, absl::StrCat(dir, "/"));
}

// One worker in its sandbox, and the conversation with it.
class Session {
 public:
  explicit Session(const SandboxOptions& options) : options_(options) {}

  absl::Status Start(absl::string_view repo_dir) {
    if (::access(options_.bwrap_program.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("the hubconf sandbox needs bubblewrap, and ", options_.bwrap_program,
                       " is not an executable file: install it (Debian: apt-get install "
                       "bubblewrap); or, ",
                       kOptOut));
    }
    HUB_ASSIGN_OR_RETURN(const std::string worker, WorkerProgram(options_));
    HUB_ASSIGN_OR_RETURN(repo_dir_, RealPath(repo_dir, "the repo dir"));
    for (const std::string& d : options_.read_only_dirs) {
      if (IsDirectory(d)) {
        HUB_ASSIGN_OR_RETURN(std::string real, RealPath(d, "a read-only dir"));
        read_only_dirs_.push_back(std::move(real));
      }
    }
    // Outer directories first, so an inner one is mounted over them.
    std::sort(read_only_dirs_.begin(), read_only_dirs_.end(),
              [](const std::string& x, const std::string& y) { return x.size() < y.size(); });

    if (AdoptEarlyWorker(worker)) return absl::OkStatus();

    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      return hub::ErrnoToStatus(errno, "creating the sandbox's socketpair");
    }
    parent_end_ = std::make_unique<Fd>(pair[0]);
    Fd worker_end(pair[1]);
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return hub::ErrnoToStatus(errno, "creating a pipe");
    output_read_ = std::make_unique<Fd>(pipe_fds[0]);
    Fd output_write(pipe_fds[1]);

    HUB_ASSIGN_OR_RETURN(const pid_t pid,
                         Spawn(BwrapArgs(options_, worker, repo_dir_, read_only_dirs_),
                               worker_end.get(), output_write.get()));
    child_ = std::make_unique<Child>(pid);
    deadline_ = absl::Now() + options_.timeout;
    return absl::OkStatus();
  }

  const std::string& repo_dir() const { return repo_dir_; }

  // Takes over the worker this process started before it exec'd
  // ($TORCHHUB_SANDBOX_EARLY, read once) when it is this process's running
  // child, was started with these options, and sees exactly what this
  // session's worker would (the repo and the read-only dirs, nothing more).
  // Otherwise that worker is stopped and false returned: the caller starts
  // its own.
  bool AdoptEarlyWorker(const std::string& worker) {
    const char* env = std::getenv(kEarlyWorkerEnv);
    if (env == nullptr) return false;
    const std::optional<EarlyWorker> early = DecodeEarlyWorker(env);
    ::unsetenv(kEarlyWorkerEnv);
    if (!early.has_value()) return false;
    int status = 0;
    // Only a running child of this process is ours to take or stop.
    if (::waitpid(early->pid, &status, WNOHANG) != 0) return false;
    Child child(early->pid);  // stopped unless adopted
    if (!IsFileType(early->socket_fd, S_IFSOCK) || !IsFileType(early->output_fd, S_IFIFO)) {
      return false;
    }
    Fd socket_fd(early->socket_fd);
    Fd output_fd(early->output_fd);
    if (early->bwrap != options_.bwrap_program || early->worker != worker ||
        early->cpu_seconds != options_.cpu_seconds ||
        early->address_space_bytes != options_.address_space_bytes ||
        early->file_size_bytes != options_.file_size_bytes ||
        early->tmp_bytes != options_.tmp_bytes) {
      return false;
    }
    std::vector<std::string> needed = read_only_dirs_;
    needed.push_back(repo_dir_);
    for (const std::string& dir : needed) {
      if (std::none_of(early->dirs.begin(), early->dirs.end(),
                       [&dir](const std::string& seen) { return Under(dir, seen); })) {
        return false;
      }
    }
    for (const std::string& seen : early->dirs) {
      if (std::find(needed.begin(), needed.end(), seen) == needed.end()) return false;
    }
    if (::fcntl(socket_fd.get(), F_SETFD, FD_CLOEXEC) != 0 ||
        ::fcntl(output_fd.get(), F_SETFD, FD_CLOEXEC) != 0) {
      return false;
    }
    parent_end_ = std::make_unique<Fd>(socket_fd.Release());
    output_read_ = std::make_unique<Fd>(output_fd.Release());
    child_ = std::make_unique<Child>(child.Release());
    deadline_ = absl::Now() + options_.timeout;
    early_workers_adopted.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // Whether `path` lies in what the worker sees read-only (the repo, the
  // read-only dirs).
  bool Visible(const std::string& path) const {
    const auto under = [&path](const std::string& dir) {
      return path == dir || absl::StartsWith(path, absl::StrCat(dir, "/"));
    };
    if (under(repo_dir_)) return true;
    return std::any_of(read_only_dirs_.begin(), read_only_dirs_.end(), under);
  }

  // The worker reads a message before its hubconf runs; a worker that died
  // first shows up in Receive as an end without an answer.
  absl::Status Send(absl::string_view payload) {
    const std::string frame = EncodeFrame(payload);
    absl::string_view rest = frame;
    while (!rest.empty()) {
      const ssize_t n = ::send(parent_end_->get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EPIPE || errno == ECONNRESET) return absl::OkStatus();
        return hub::ErrnoToStatus(errno, "sending a message to the sandbox");
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  // The worker's next message: its payload, at most `request_cap` bytes when
  // it is a request ('U') and `answer_cap` otherwise. Nothing may follow it
  // (the worker waits for a reply, or is done).
  absl::StatusOr<std::string> Receive(size_t request_cap, size_t answer_cap) {
    char buffer[64 << 10];
    while (true) {
      if (filled_ >= kFrameHeaderBytes) {
        const uint32_t length = DecodeFrameLength(received_);
        // The cap depends on the kind, the payload's first byte; until it
        // is here, the larger cap holds.
        const bool kind_known = filled_ > kFrameHeaderBytes;
        const bool request = kind_known && received_[kFrameHeaderBytes] == kWorkerRequest;
        const size_t cap = !kind_known ? std::max(request_cap, answer_cap)
                           : request   ? request_cap
                                       : answer_cap;
        if (length > cap) return TooLong(request ? "request" : "answer", length, cap);
        if (kind_known && frame_bytes_ == 0) {
          // Under the cap: room for all of it (address space; pages are
          // used as the bytes arrive), so that it is read in place, in
          // large reads, and never copied to grow.
          frame_bytes_ = kFrameHeaderBytes + size_t{length};
          try {
            received_.reserve(frame_bytes_);
          } catch (const std::exception&) {
            return absl::ResourceExhaustedError(
                absl::StrCat("no memory for the sandboxed hubconf's ", length, "-byte answer"));
          }
        }
        if ((kind_known || length == 0) && filled_ - kFrameHeaderBytes >= length) {
          char more = 0;
          if (filled_ != kFrameHeaderBytes + length ||
              ::recv(parent_end_->get(), &more, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
            return absl::DataLossError(
                "the sandboxed hubconf sent a second message without waiting for a reply");
          }
          received_.resize(filled_);
          received_.erase(0, kFrameHeaderBytes);
          std::string payload = std::move(received_);
          received_.clear();
          filled_ = 0;
          frame_bytes_ = 0;
          return payload;
        }
      }
      // Both ends closed: every process in the sandbox has ended.
      if (!socket_open_ && !output_open_) return NoAnswer(child_->Wait(), output_, options_);
      const absl::Duration left = deadline_ - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(absl::StrCat(
            "the sandboxed hubconf gave no answer within ", absl::FormatDuration(options_.timeout),
            " and was stopped (SandboxOptions::timeout)"));
      }
      // poll() skips entries whose descriptor is negative.
      pollfd fds[2] = {{socket_open_ ? parent_end_->get() : -1, POLLIN, 0},
                       {output_open_ ? output_read_->get() : -1, POLLIN, 0}};
      const int ready =
          ::poll(fds, 2,
                 static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, INT_MAX)));
      if (ready < 0) {
        if (errno == EINTR) continue;
        return hub::ErrnoToStatus(errno, "waiting for the sandbox");
      }
      if (fds[1].revents != 0) {
        const ssize_t n = ::read(output_read_->get(), buffer, sizeof(buffer));
        if (n == 0 || (n < 0 && errno != EINTR)) output_open_ = false;
        if (n > 0 && output_.size() < kMaxOutputBytes) {
          output_.append(buffer,
                         std::min(static_cast<size_t>(n), kMaxOutputBytes - output_.size()));
        }
      }
      if (fds[0].revents != 0) {
        ssize_t n = 0;
        if (frame_bytes_ > filled_) {
          // Straight into the frame, never past its end. The string grows
          // (zero-filled once) a step ahead of the bytes that arrive.
          if (received_.size() == filled_) {
            received_.resize(std::min(frame_bytes_, filled_ + kReadStepBytes));
          }
          n = ::read(parent_end_->get(), received_.data() + filled_, received_.size() - filled_);
          if (n > 0) filled_ += static_cast<size_t>(n);
        } else {
          n = ::read(parent_end_->get(), buffer, sizeof(buffer));
          if (n > 0) {
            received_.resize(filled_);
            received_.append(buffer, static_cast<size_t>(n));
            filled_ += static_cast<size_t>(n);
          }
        }
        if (n == 0 || (n < 0 && errno != EINTR)) socket_open_ = false;
      }
    }
  }

  static absl::Status TooLong(absl::string_view what, uint32_t length, size_t cap) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the sandboxed hubconf's ", what, " is ", length, " bytes, over the cap of ", cap,
        " (SandboxOptions::max_message_bytes, max_answer_bytes); refused unread"));
  }

  // The parent's own work for the worker does not count against its time.
  void ExtendDeadline(absl::Duration by) { deadline_ += by; }

  // The conversation is over: the worker has nothing left to do.
  void Finish() { child_->KillAndWait(); }

 private:
  const SandboxOptions& options_;
  std::string repo_dir_;
  std::vector<std::string> read_only_dirs_;
  std::unique_ptr<Fd> parent_end_;
  std::unique_ptr<Fd> output_read_;
  std::unique_ptr<Child> child_;  // declared last: killed before the fds close
  absl::Time deadline_;
  // The frame being received: its first filled_ bytes (received_ may be
  // longer, room the next read fills); frame_bytes_ its whole length,
  // header included, once known (else 0).
  std::string received_;
  size_t filled_ = 0;
  size_t frame_bytes_ = 0;
  std::string output_;
  bool socket_open_ = true;
  bool output_open_ = true;
};

// The worker's own error, marked as coming from the sandbox; kDataLoss (our
// parser's verdict) as it is.
absl::Status FromWorker(const absl::Status& status) {
  if (status.ok() || status.code() == absl::StatusCode::kDataLoss) return status;
  return absl::Status(status.code(), absl::StrCat("in the sandbox: ", status.message()));
}

}  // namespace

absl::StatusOr<HubconfDescription> DescribeHubconfInSandbox(absl::string_view repo_dir,
                                                            const SandboxOptions& options) {
  Session session(options);
  HUB_RETURN_IF_ERROR(session.Start(repo_dir));
  HUB_RETURN_IF_ERROR(session.Send(EncodeDescribeRequest(session.repo_dir())));
  HUB_ASSIGN_OR_RETURN(const std::string payload,
                       session.Receive(options.max_message_bytes, options.max_message_bytes));
  session.Finish();
  absl::StatusOr<HubconfDescription> answer = ParseAnswer(payload);
  if (!answer.ok()) return FromWorker(answer.status());
  return answer;
}

absl::StatusOr<LoadAnswer> LoadInSandbox(absl::string_view repo_dir, LoadRequest request,
                                         const SandboxOptions& options) {
  Session session(options);
  HUB_RETURN_IF_ERROR(session.Start(repo_dir));
  request.repo_dir = session.repo_dir();
  HUB_RETURN_IF_ERROR(session.Send(EncodeLoadRequest(request)));
  for (int requests = 0;; ++requests) {
    HUB_ASSIGN_OR_RETURN(std::string payload,
                         session.Receive(options.max_message_bytes, options.max_answer_bytes));
    if (payload.empty() || payload[0] != kWorkerRequest) {
      session.Finish();
      absl::StatusOr<LoadAnswer> answer = ParseLoadAnswerTakingBody(std::move(payload));
      if (!answer.ok()) return FromWorker(answer.status());
      return answer;
    }
    if (requests >= options.max_requests) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the sandboxed hubconf made more than ", options.max_requests,
                       " requests (downloads, nested loads) and was stopped "
                       "(SandboxOptions::max_requests)"));
    }
    HUB_ASSIGN_OR_RETURN(const WorkerRequest worker_request, ParseWorkerRequest(payload));
    const absl::Time began = absl::Now();
    absl::StatusOr<std::string> path = absl::PermissionDeniedError(
        "this sandbox forwards no downloads or loads (SandboxOptions::on_request is not set)");
    if (options.on_request) path = options.on_request(worker_request);
    if (path.ok()) {
      absl::StatusOr<std::string> real = RealPath(*path, "the forwarded request's result");
      if (!real.ok() || !session.Visible(*real)) {
        path = absl::PermissionDeniedError(
            absl::StrCat("the parent's answer ", *path,
                         " is outside what the sandbox sees (the repo and the hub dir); refused"));
      } else {
        path = *std::move(real);
      }
    }
    session.ExtendDeadline(absl::Now() - began);
    HUB_RETURN_IF_ERROR(session.Send(EncodeReply(path)));
  }
}

absl::Status StartWorkerBeforeExec(const std::vector<std::string>& dirs,
                                   const SandboxOptions& options) {
  if (std::getenv(kEarlyWorkerEnv) != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("a sandbox worker was already started early ($", kEarlyWorkerEnv, ")"));
  }
  if (::access(options.bwrap_program.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(options.bwrap_program, " is not an executable file"));
  }
  HUB_ASSIGN_OR_RETURN(const std::string worker, WorkerProgram(options));
  std::vector<std::string> real_dirs;
  for (const std::string& d : dirs) {
    HUB_ASSIGN_OR_RETURN(std::string real, RealPath(d, "a dir for the sandbox"));
    if (absl::StrContains(real, '\n')) {
      return absl::InvalidArgumentError("a dir for the sandbox has a newline in its path");
    }
    if (std::find(real_dirs.begin(), real_dirs.end(), real) == real_dirs.end()) {
      real_dirs.push_back(std::move(real));
    }
  }
  if (real_dirs.empty()) return absl::InvalidArgumentError("no dirs for the sandbox to see");
  std::sort(real_dirs.begin(), real_dirs.end(),
            [](const std::string& x, const std::string& y) { return x.size() < y.size(); });
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return hub::ErrnoToStatus(errno, "creating the sandbox's socketpair");
  }
  Fd parent_end(pair[0]);
  Fd worker_end(pair[1]);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return hub::ErrnoToStatus(errno, "creating a pipe");
  Fd output_read(pipe_fds[0]);
  Fd output_write(pipe_fds[1]);
  const std::vector<std::string> read_only(real_dirs.begin() + 1, real_dirs.end());
  HUB_ASSIGN_OR_RETURN(const pid_t pid, Spawn(BwrapArgs(options, worker, real_dirs[0], read_only),
                                              worker_end.get(), output_write.get()));
  // The parent's ends outlive the exec that follows.
  if (::fcntl(parent_end.get(), F_SETFD, 0) != 0 || ::fcntl(output_read.get(), F_SETFD, 0) != 0) {
    absl::Status failed = hub::ErrnoToStatus(errno, "keeping the sandbox's descriptors");
    Child(pid).KillAndWait();
    return failed;
  }
  EarlyWorker early;
  early.pid = pid;
  early.socket_fd = parent_end.Release();
  early.output_fd = output_read.Release();
  early.cpu_seconds = options.cpu_seconds;
  early.address_space_bytes = options.address_space_bytes;
  early.file_size_bytes = options.file_size_bytes;
  early.tmp_bytes = options.tmp_bytes;
  early.bwrap = options.bwrap_program;
  early.worker = worker;
  early.dirs = real_dirs;
  ::setenv(kEarlyWorkerEnv, EncodeEarlyWorker(early).c_str(), 1);
  return absl::OkStatus();
}

int64_t EarlyWorkersAdopted() { return early_workers_adopted.load(std::memory_order_relaxed); }

}  // namespace hub::sandbox
