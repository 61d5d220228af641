#include "tests/servers/fault_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/subprocess.h"

namespace hub::testing {
namespace {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Stops `pid`: SIGTERM, then SIGKILL when it is still there after `grace`.
void StopProcess(pid_t pid, absl::Duration grace) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  const absl::Time deadline = absl::Now() + grace;
  while (absl::Now() < deadline) {
    const pid_t done = waitpid(pid, nullptr, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) return;
    absl::SleepFor(absl::Milliseconds(10));
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

absl::StatusOr<FaultServer::Request> ParseRequestLogLine(absl::string_view line) {
  HUB_ASSIGN_OR_RETURN(const JsonValue json, ParseJson(line));
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("a request log line is not an object: ", line));
  }
  FaultServer::Request request;
  const std::pair<const char*, std::string*> strings[] = {
      {"method", &request.method},
      {"path", &request.path},
      {"query", &request.query},
      {"range", &request.range},
      {"host", &request.host},
      {"authorization", &request.authorization},
      {"user_agent", &request.user_agent},
  };
  for (const auto& [name, field] : strings) *field = json.GetString({name}).value_or("");
  auto number = [&json](const char* key) -> int64_t {
    const JsonValue* v = json.Find(key);
    return v != nullptr && v->is_number() ? static_cast<int64_t>(v->number_value()) : 0;
  };
  request.seq = number("seq");
  request.status = static_cast<int>(number("status"));
  request.bytes_sent = number("bytes_sent");
  auto seconds = [&json](const char* key) {
    const JsonValue* v = json.Find(key);
    return v != nullptr && v->is_number() ? absl::Seconds(v->number_value()) : absl::ZeroDuration();
  };
  request.sent = seconds("sent_s");
  request.duration = seconds("duration_s");
  return request;
}

std::string QueryEscape(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

std::string FaultServer::FaultServerPath() { return RunfilePath("tests/servers/fault_server.py"); }

absl::StatusOr<std::unique_ptr<FaultServer>> FaultServer::Start(const Options& options) {
  if (options.root.empty()) return absl::InvalidArgumentError("FaultServer: no root given");
  auto server = std::unique_ptr<FaultServer>(new FaultServer());
  HUB_ASSIGN_OR_RETURN(server->dir_, MakeTempDir("fault_server"));
  server->tls_ = options.tls;
  const std::string& dir = server->dir_;
  const std::string port_file = dir + "/port";
  const std::string output = dir + "/server.out";
  std::vector<std::string> argv = {
      "/usr/bin/python3",     "-B",      FaultServerPath(), "--root",           options.root,
      "--port-file",          port_file, "--log",           server->log_path(), "--arrivals",
      server->arrivals_path()};
  if (options.tls) {
    HUB_ASSIGN_OR_RETURN(server->ca_file_, MakeSelfSignedCertificate(dir));
    argv.insert(argv.end(), {"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"});
  }
  HUB_ASSIGN_OR_RETURN(server->pid_, StartProcess(argv, output));

  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    int port = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFileOrEmpty(port_file)), &port) &&
        port > 0 && CanConnectToLoopback(port)) {
      server->port_ = port;
      return server;
    }
    int status = 0;
    if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
      server->pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("fault_server.py exited (status ", status, "): ", ReadFileOrEmpty(output)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  StopProcess(server->pid_, absl::Seconds(2));
  server->pid_ = -1;
  return absl::DeadlineExceededError(
      absl::StrCat("fault_server.py did not start in 10 s: ", ReadFileOrEmpty(output)));
}

FaultServer::~FaultServer() { StopProcess(pid_, absl::Seconds(2)); }

std::string FaultServer::base_url() const { return UrlOnHost("127.0.0.1", ""); }

std::string FaultServer::Url(const std::string& path_and_query) const {
  return UrlOnHost("127.0.0.1", path_and_query);
}

std::string FaultServer::UrlOnHost(const std::string& host,
                                   const std::string& path_and_query) const {
  return absl::StrCat(tls_ ? "https" : "http", "://", host, ":", port_, path_and_query);
}

namespace {

// The complete lines of a JSON-lines log, parsed and sorted by seq.
absl::StatusOr<std::vector<FaultServer::Request>> ReadRequestLog(const std::string& path) {
  const std::string text = ReadFileOrEmpty(path);
  std::vector<FaultServer::Request> requests;
  // A line without its newline is still being written: leave it for later.
  const size_t end = text.rfind('\n');
  if (end == std::string::npos) return requests;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text).substr(0, end), '\n', absl::SkipEmpty())) {
    HUB_ASSIGN_OR_RETURN(FaultServer::Request request, ParseRequestLogLine(line));
    requests.push_back(std::move(request));
  }
  std::stable_sort(
      requests.begin(), requests.end(),
      [](const FaultServer::Request& a, const FaultServer::Request& b) { return a.seq < b.seq; });
  return requests;
}

}  // namespace

absl::StatusOr<std::vector<FaultServer::Request>> FaultServer::ReadLog() const {
  return ReadRequestLog(log_path());
}

absl::StatusOr<std::vector<FaultServer::Request>> FaultServer::ReadArrivals() const {
  return ReadRequestLog(arrivals_path());
}

absl::StatusOr<std::vector<FaultServer::Request>> FaultServer::WaitForRequests(
    size_t count, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    HUB_ASSIGN_OR_RETURN(std::vector<Request> requests, ReadLog());
    if (requests.size() >= count) return requests;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("the fault server logged ", requests.size(),
                                                      " requests, not ", count, ", in ",
                                                      absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace hub::testing
