#include "tests/servers/nginx_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "tests/servers/subprocess.h"

namespace hub::testing {
namespace {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("writing ", path));
  return absl::OkStatus();
}

constexpr char kConfigTemplate[] = R"(
worker_processes 1;
$USER
error_log $DIR/error.log warn;
pid $DIR/nginx.pid;
events { worker_connections 256; }
http {
  log_format hub '$$request $$status $$body_bytes_sent $$msec $$request_time';
  access_log $DIR/access.log hub;
  client_body_temp_path $DIR/tmp/body;
  proxy_temp_path $DIR/tmp/proxy;
  fastcgi_temp_path $DIR/tmp/fastcgi;
  uwsgi_temp_path $DIR/tmp/uwsgi;
  scgi_temp_path $DIR/tmp/scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 30;
  default_type application/octet-stream;
  $HTTP_EXTRA
  server {
    listen 127.0.0.1:$PORT$SSL;
    server_name localhost 127.0.0.1;
    $TLS
    root $ROOT;
    $EXTRA
  }
}
)";

}  // namespace

absl::StatusOr<std::string> MakeSelfSignedCertificate(const std::string& dir) {
  const std::string cert = dir + "/cert.pem";
  const std::string key = dir + "/key.pem";
  HUB_ASSIGN_OR_RETURN(CommandResult r,
                       RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                   "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
                                   cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                                   "subjectAltName=IP:127.0.0.1,DNS:localhost"}));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("openssl req failed: ", r.output));
  }
  return cert;
}

absl::StatusOr<std::unique_ptr<NginxServer>> NginxServer::Start(const Options& options) {
  auto server = std::unique_ptr<NginxServer>(new NginxServer());
  HUB_ASSIGN_OR_RETURN(server->dir_, MakeTempDir("nginx"));
  server->tls_ = options.tls;
  const std::string& dir = server->dir_;
  HUB_ASSIGN_OR_RETURN(CommandResult mk, RunCommand({"mkdir", "-p", dir + "/tmp"}));
  if (mk.exit_code != 0) return absl::InternalError(mk.output);
  std::string tls_config;
  if (options.tls) {
    HUB_ASSIGN_OR_RETURN(server->ca_file_, MakeSelfSignedCertificate(dir));
    tls_config =
        absl::StrCat("ssl_certificate ", dir, "/cert.pem; ssl_certificate_key ", dir, "/key.pem;");
  }
  // A port picked here may be taken before nginx binds it: try a few.
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    HUB_ASSIGN_OR_RETURN(server->port_, PickFreePort());
    const std::string config =
        absl::StrReplaceAll(kConfigTemplate, {{"$$", "$"},
                                              {"$USER", geteuid() == 0 ? "user root root;" : ""},
                                              {"$DIR", dir},
                                              {"$PORT", absl::StrCat(server->port_)},
                                              {"$SSL", options.tls ? " ssl" : ""},
                                              {"$TLS", tls_config},
                                              {"$ROOT", options.root},
                                              {"$EXTRA", options.extra_server_config},
                                              {"$HTTP_EXTRA", options.extra_http_config}});
    HUB_RETURN_IF_ERROR(WriteFile(dir + "/nginx.conf", config));
    HUB_ASSIGN_OR_RETURN(server->pid_, StartProcess({"/usr/sbin/nginx", "-p", dir, "-c",
                                                     dir + "/nginx.conf", "-g", "daemon off;"},
                                                    dir + "/nginx.out"));
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (CanConnectToLoopback(server->port_)) return server;
      int status = 0;
      if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
        server->pid_ = -1;
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    last_error = ReadFileOrEmpty(dir + "/nginx.out") + ReadFileOrEmpty(dir + "/error.log");
    if (server->pid_ > 0) {
      kill(server->pid_, SIGKILL);
      waitpid(server->pid_, nullptr, 0);
      server->pid_ = -1;
    }
  }
  return absl::UnavailableError(absl::StrCat("nginx did not start: ", last_error));
}

NginxServer::~NginxServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::string NginxServer::base_url() const {
  return absl::StrCat(tls_ ? "https" : "http", "://127.0.0.1:", port_);
}

std::string NginxServer::Url(const std::string& path) const { return base_url() + path; }

std::string NginxServer::ReadAccessLog() const { return ReadFileOrEmpty(access_log_path()); }

}  // namespace hub::testing
