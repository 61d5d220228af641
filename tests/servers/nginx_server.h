// A real nginx on 127.0.0.1 for tests, with a TLS certificate made at start.
//
//   HUB_ASSERT_OK_AND_ASSIGN(auto server,
//                            NginxServer::Start({.root = docroot}));
//   std::string url = server->Url("/weights.pth");  // https://127.0.0.1:PORT/...
//   curl_easy_setopt(curl, CURLOPT_CAINFO, server->ca_file().c_str());
//
// Each server gets its own directory under $TEST_TMPDIR with its
// configuration, certificate, logs and pid file. The destructor stops it.
// Needs Debian's nginx-light and the openssl CLI (tools/setup.sh).

#ifndef TESTS_SERVERS_NGINX_SERVER_H_
#define TESTS_SERVERS_NGINX_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace hub::testing {

class NginxServer {
 public:
  struct Options {
    // The directory served at "/".
    std::string root;
    // HTTPS with a certificate for 127.0.0.1 and localhost, else plain HTTP.
    bool tls = true;
    // Inserted into the server {} block, e.g. "location /x { return 404; }".
    std::string extra_server_config;
    // Inserted into the http {} block before the server, e.g. a
    // proxy_cache_path or a whole second server {} (one on its own port).
    std::string extra_http_config;
  };

  static absl::StatusOr<std::unique_ptr<NginxServer>> Start(const Options& options);

  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;
  ~NginxServer();

  int port() const { return port_; }
  // "https://127.0.0.1:PORT" (or http://), no trailing slash.
  std::string base_url() const;
  // base_url() + path; `path` starts with "/".
  std::string Url(const std::string& path) const;
  // The certificate to trust (PEM); empty for plain HTTP.
  const std::string& ca_file() const { return ca_file_; }
  // nginx's access log, one line per request when it ends:
  // "$request $status $body_bytes_sent $msec $request_time", the last two
  // nginx's own clock ("SECONDS.MMM"): when the request ended and how long
  // it took from its first byte read.
  std::string access_log_path() const { return dir_ + "/access.log"; }
  std::string ReadAccessLog() const;

 private:
  NginxServer() = default;

  std::string dir_;
  std::string ca_file_;
  bool tls_ = true;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Makes a self-signed certificate for 127.0.0.1 and localhost in `dir`
// (cert.pem, key.pem) with the openssl CLI. Returns the certificate's path.
absl::StatusOr<std::string> MakeSelfSignedCertificate(const std::string& dir);

}  // namespace hub::testing

#endif  // TESTS_SERVERS_NGINX_SERVER_H_
