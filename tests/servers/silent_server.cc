#include "tests/servers/silent_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "hub/base/errno_status.h"

namespace hub::testing {
namespace {

int PollMillis(absl::Duration timeout) {
  return static_cast<int>(absl::ToInt64Milliseconds(timeout));
}

// poll() on one descriptor for `events`; > 0 when ready.
int PollOne(int fd, short events, absl::Duration timeout) {  // NOLINT(google-runtime-int)
  pollfd p{fd, events, 0};
  int n = 0;
  do {
    n = ::poll(&p, 1, PollMillis(timeout));
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SilentServer>> SilentServer::Start() {
  std::unique_ptr<SilentServer> server(new SilentServer());
  server->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (server->listen_fd_ < 0) return ErrnoToStatus(errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(server->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(server->listen_fd_, 64) != 0 ||
      ::getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoToStatus(errno, "listening on a loopback port");
  }
  server->port_ = ntohs(addr.sin_port);
  return server;
}

SilentServer::~SilentServer() {
  for (const int fd : connections_) ::close(fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string SilentServer::Url(const std::string& path_and_query) const {
  return absl::StrCat("http://127.0.0.1:", port_, path_and_query);
}

absl::Status SilentServer::AwaitConnection(absl::Duration timeout) {
  const size_t before = connections_.size();
  if (CountConnections() > before) return absl::OkStatus();
  if (PollOne(listen_fd_, POLLIN, timeout) <= 0 || CountConnections() == before) {
    return absl::DeadlineExceededError(absl::StrCat("no client connected to 127.0.0.1:", port_,
                                                    " within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

size_t SilentServer::CountConnections() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) break;
    connections_.push_back(fd);
  }
  return connections_.size();
}

bool SilentServer::ClientHungUp(size_t index, absl::Duration timeout) const {
  if (index >= connections_.size()) return false;
  const int fd = connections_[index];
  if (PollOne(fd, POLLIN | POLLRDHUP, timeout) <= 0) return false;
  char byte = 0;
  // Requests the client sent are still unread: skip them to find the end.
  for (;;) {
    const ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT);
    if (n == 0) return true;                // FIN
    if (n < 0) return errno == ECONNRESET;  // RST
    if (PollOne(fd, POLLIN | POLLRDHUP, timeout) <= 0) return false;
  }
}

absl::StatusOr<int> WaitForExit(pid_t pid, absl::Duration timeout) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return ErrnoToStatus(errno, absl::StrCat("pidfd_open ", pid));
  const int ready = PollOne(pidfd, POLLIN, timeout);
  ::close(pidfd);
  if (ready <= 0) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoToStatus(errno, absl::StrCat("waitpid ", pid));
  }
  if (ready <= 0) {
    return absl::DeadlineExceededError(absl::StrCat("process ", pid, " was still running after ",
                                                    absl::FormatDuration(timeout), "; killed it"));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace hub::testing
