#include "tests/servers/fault_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
#include "hub/base/status_macros.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/subprocess.h"

namespace hub::testing {
namespace {

bool CanConnect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool IsFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
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

// --- A reader for the log's flat JSON objects --------------------------------

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// A JSON value that is a string, an integer, a boolean or null.
struct FlatValue {
  enum class Kind { kNull, kString, kInteger, kBool } kind = Kind::kNull;
  std::string text;
  int64_t integer = 0;
};

class FlatJsonReader {
 public:
  explicit FlatJsonReader(absl::string_view text) : text_(text) {}

  // Calls `field(key, value)` for each member of the object that `text` is.
  template <typename Fn>
  absl::Status ReadObject(Fn field) {
    SkipSpace();
    if (!Consume('{')) return Error("expected '{'");
    SkipSpace();
    if (Consume('}')) return AtEnd();
    while (true) {
      SkipSpace();
      std::string key;
      HUB_RETURN_IF_ERROR(ReadString(&key));
      SkipSpace();
      if (!Consume(':')) return Error("expected ':'");
      SkipSpace();
      FlatValue value;
      HUB_RETURN_IF_ERROR(ReadValue(&value));
      field(key, value);
      SkipSpace();
      if (Consume(',')) continue;
      if (Consume('}')) return AtEnd();
      return Error("expected ',' or '}'");
    }
  }

 private:
  absl::Status AtEnd() {
    SkipSpace();
    return pos_ == text_.size() ? absl::OkStatus() : Error("text after the object");
  }

  absl::Status Error(absl::string_view what) const {
    return absl::DataLossError(
        absl::StrCat("fault server log: ", what, " at offset ", pos_, " in: ", text_));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\n')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool ConsumeWord(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status ReadValue(FlatValue* value) {
    if (pos_ >= text_.size()) return Error("expected a value");
    const char c = text_[pos_];
    if (c == '"') {
      value->kind = FlatValue::Kind::kString;
      return ReadString(&value->text);
    }
    if (ConsumeWord("null")) {
      value->kind = FlatValue::Kind::kNull;
      return absl::OkStatus();
    }
    if (ConsumeWord("true")) {
      value->kind = FlatValue::Kind::kBool;
      value->integer = 1;
      return absl::OkStatus();
    }
    if (ConsumeWord("false")) {
      value->kind = FlatValue::Kind::kBool;
      return absl::OkStatus();
    }
    const size_t start = pos_;
    if (c == '-') ++pos_;
    while (pos_ < text_.size() && absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    value->kind = FlatValue::Kind::kInteger;
    if (!absl::SimpleAtoi(text_.substr(start, pos_ - start), &value->integer)) {
      pos_ = start;
      return Error("expected a string, an integer or null");
    }
    return absl::OkStatus();
  }

  absl::Status ReadHex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return Error("short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        return Error("bad \\u escape");
      }
    }
    *out = v;
    return absl::OkStatus();
  }

  absl::Status ReadString(std::string* out) {
    if (!Consume('"')) return Error("expected a string");
    out->clear();
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return absl::OkStatus();
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t code_point = 0;
          HUB_RETURN_IF_ERROR(ReadHex4(&code_point));
          // A surrogate pair stands for one code point; a lone surrogate
          // (Python writes one for undecodable bytes) is kept as it is.
          if (code_point >= 0xD800 && code_point < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
            const size_t saved = pos_;
            pos_ += 2;
            uint32_t low = 0;
            HUB_RETURN_IF_ERROR(ReadHex4(&low));
            if (low >= 0xDC00 && low < 0xE000) {
              code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = saved;
            }
          }
          AppendUtf8(code_point, out);
          break;
        }
        default:
          return Error("bad escape");
      }
    }
    return Error("unterminated string");
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<FaultServer::Request> ParseRequestLogLine(absl::string_view line) {
  FaultServer::Request request;
  FlatJsonReader reader(line);
  HUB_RETURN_IF_ERROR(reader.ReadObject([&request](const std::string& key, const FlatValue& value) {
    const std::pair<const char*, std::string*> strings[] = {
        {"method", &request.method},
        {"path", &request.path},
        {"query", &request.query},
        {"range", &request.range},
        {"host", &request.host},
        {"authorization", &request.authorization},
        {"user_agent", &request.user_agent},
    };
    for (const auto& [name, field] : strings) {
      if (key == name) *field = value.text;
    }
    if (key == "seq") request.seq = value.integer;
    if (key == "status") request.status = static_cast<int>(value.integer);
    if (key == "bytes_sent") request.bytes_sent = value.integer;
  }));
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

std::string FaultServer::FaultServerPath() {
  constexpr char kScript[] = "tests/servers/fault_server.py";
  std::vector<std::string> candidates;
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* runfiles = std::getenv(var);
    if (runfiles == nullptr || *runfiles == '\0') continue;
    const char* workspace = std::getenv("TEST_WORKSPACE");
    if (workspace != nullptr && *workspace != '\0') {
      candidates.push_back(absl::StrCat(runfiles, "/", workspace, "/", kScript));
    }
    // This repository's name when another workspace uses it.
    candidates.push_back(absl::StrCat(runfiles, "/torchhub_cpp/", kScript));
  }
  candidates.emplace_back(kScript);  // run from the source tree
  for (const std::string& path : candidates) {
    if (IsFile(path)) return path;
  }
  return candidates.front();
}

absl::StatusOr<std::unique_ptr<FaultServer>> FaultServer::Start(const Options& options) {
  if (options.root.empty()) return absl::InvalidArgumentError("FaultServer: no root given");
  auto server = std::unique_ptr<FaultServer>(new FaultServer());
  HUB_ASSIGN_OR_RETURN(server->dir_, MakeTempDir("fault_server"));
  server->tls_ = options.tls;
  const std::string& dir = server->dir_;
  const std::string port_file = dir + "/port";
  const std::string output = dir + "/server.out";
  std::vector<std::string> argv = {"/usr/bin/python3", "-B",         FaultServerPath(),
                                   "--root",           options.root, "--port-file",
                                   port_file,          "--log",      server->log_path()};
  if (options.tls) {
    HUB_ASSIGN_OR_RETURN(server->ca_file_, MakeSelfSignedCertificate(dir));
    argv.insert(argv.end(), {"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"});
  }
  HUB_ASSIGN_OR_RETURN(server->pid_, StartProcess(argv, output));

  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    int port = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFileOrEmpty(port_file)), &port) &&
        port > 0 && CanConnect(port)) {
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

absl::StatusOr<std::vector<FaultServer::Request>> FaultServer::ReadLog() const {
  const std::string text = ReadFileOrEmpty(log_path());
  std::vector<Request> requests;
  // A line without its newline is still being written: leave it for later.
  const size_t end = text.rfind('\n');
  if (end == std::string::npos) return requests;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text).substr(0, end), '\n', absl::SkipEmpty())) {
    HUB_ASSIGN_OR_RETURN(Request request, ParseRequestLogLine(line));
    requests.push_back(std::move(request));
  }
  std::stable_sort(requests.begin(), requests.end(),
                   [](const Request& a, const Request& b) { return a.seq < b.seq; });
  return requests;
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
