#include "hub/about/environment.h"

#include <curl/curl.h>
#include <git2.h>
#include <sched.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "hub/about/version.h"
#include "hub/cache/hub_dir.h"
#include "hub/download/curl_common.h"
#include "hub/hash/sha256.h"
#include "torchhub_libtorch_version.h"
#include "torchhub_python_version.h"

namespace hub {
namespace {

std::optional<std::string> ReadSysctl(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string value;
  std::getline(in, value);
  return std::string(absl::StripAsciiWhitespace(value));
}

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string Compiler() {
#if defined(__clang__)
  return absl::StrCat("clang ", __clang_major__, ".", __clang_minor__, ".", __clang_patchlevel__);
#elif defined(__GNUC__)
  return absl::StrCat("gcc ", __GNUC__, ".", __GNUC_MINOR__, ".", __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace

const char* TorchhubVersion() { return kTorchhubVersion; }

std::string MaskProxyPassword(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t user_start = scheme == std::string::npos ? 0 : scheme + 3;
  // The user info ends at the authority's last '@' (a password may hold one).
  const size_t path = url.find('/', user_start);
  const size_t at = url.rfind('@', path == std::string::npos ? std::string::npos : path);
  if (at == std::string::npos || at < user_start) return url;
  const size_t colon = url.find(':', user_start);
  if (colon == std::string::npos || colon > at) return url;
  return absl::StrCat(url.substr(0, colon + 1), "***", url.substr(at));
}

SandboxSupport ProbeSandbox() {
  SandboxSupport s;
  s.unprivileged_userns_clone = ReadSysctl("/proc/sys/kernel/unprivileged_userns_clone");
  s.max_user_namespaces = ReadSysctl("/proc/sys/user/max_user_namespaces");
  // In a child, so this process keeps its own namespaces. The child only
  // calls async-signal-safe functions (fork from a threaded program).
  const pid_t child = ::fork();
  if (child < 0) {
    s.user_namespace_error = absl::StrCat("fork: ", std::strerror(errno));
    return s;
  }
  if (child == 0) _exit(::unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    s.user_namespace = true;
  } else if (WIFEXITED(status)) {
    s.user_namespace_error = std::strerror(WEXITSTATUS(status));
  } else {
    s.user_namespace_error = "the probing child did not exit normally";
  }
  return s;
}

EnvironmentReport DescribeEnvironment() {
  EnvironmentReport r;
  r.version = kTorchhubVersion;
  r.hub_dir = GetDir();
  if (struct utsname u{}; ::uname(&u) == 0) {
    r.os = absl::StrCat(u.sysname, " ", u.release, " ", u.machine);
  }
  r.compiler = Compiler();

  r.libtorch_version = TORCHHUB_LIBTORCH_VERSION;
  r.libtorch_root = TORCHHUB_LIBTORCH_ROOT;
  r.python_version = TORCHHUB_PYTHON_VERSION;
  r.python_executable = Getenv("TORCHHUB_PYTHON");
  if (r.python_executable.empty()) r.python_executable = TORCHHUB_PYTHON_EXECUTABLE;

  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  r.libcurl_version = curl->version != nullptr ? curl->version : "";
  r.libcurl_tls = curl->ssl_version != nullptr ? curl->ssl_version : "";
  int major = 0;
  int minor = 0;
  int revision = 0;
  git_libgit2_version(&major, &minor, &revision);
  r.libgit2_version = absl::StrCat(major, ".", minor, ".", revision);
  r.crypto_backend = CryptoBackendName();

  // What ApplyTlsOptions (hub/download/curl_common.cc) passes to libcurl.
  for (const char* name : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
    if (r.ca_bundle.empty() && !Getenv(name).empty()) {
      r.ca_bundle = Getenv(name);
      r.ca_bundle_source = name;
    }
  }
  r.ca_dir = Getenv("SSL_CERT_DIR");
  download_internal::CurlGlobalInit();
  if (download_internal::CurlEasy easy(curl_easy_init()); easy != nullptr) {
    char* value = nullptr;
    if (r.ca_bundle.empty() && curl_easy_getinfo(easy.get(), CURLINFO_CAINFO, &value) == CURLE_OK &&
        value != nullptr) {
      r.ca_bundle = value;
      r.ca_bundle_source = "libcurl";
    }
    value = nullptr;
    if (r.ca_dir.empty() && curl_easy_getinfo(easy.get(), CURLINFO_CAPATH, &value) == CURLE_OK &&
        value != nullptr) {
      r.ca_dir = value;
    }
  }

  // libcurl reads the lowercase http_proxy only (HTTP_PROXY could be set by
  // a CGI request); the others in either case.
  for (const char* name : {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                           "no_proxy", "NO_PROXY"}) {
    if (const std::string value = Getenv(name); !value.empty()) {
      r.proxies.emplace_back(name, MaskProxyPassword(value));
    }
  }

  r.sandbox = ProbeSandbox();
  return r;
}

}  // namespace hub
