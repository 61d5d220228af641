// What a bug report needs to know about the machine and the build:
// torchhub-cpp's version, the hub dir, the libraries it was built with and
// runs on, the CA bundle and proxies downloads use, and whether a sandbox
// (an unprivileged user namespace) can start. `torchhub env` prints it.
//
//   const hub::EnvironmentReport r = hub::DescribeEnvironment();
//   r.version;           // "0.1.0" (the VERSION file)
//   r.libcurl_version;   // "7.88.1" (curl_version_info, the library loaded)
//   r.sandbox.user_namespace;  // unshare(CLONE_NEWUSER) worked in a child
//
// Where each value comes from:
// - libcurl, libgit2: asked at run time (the libraries actually loaded).
// - libtorch, Python: the versions the build compiled against (the
//   repository rules of third_party/libtorch and third_party/python write
//   them down). The light `torchhub` links neither library, and starting
//   torchhub-python only to ask would cost a third of a second and fail in
//   exactly the broken installs a bug report is about; what it would say is
//   what the same build compiled it against. (LD_LIBRARY_PATH can swap a
//   library under a binary; the report cannot see that.)
// - The crypto backend: compiled in (BoringSSL, or OpenSSL with
//   --define=crypto=openssl).
// - The CA bundle: CURL_CA_BUNDLE, else SSL_CERT_FILE (what downloads pass
//   to libcurl), else libcurl's built-in default.
// - Proxies: the variables libcurl reads, with any password in them masked.
//
// Pure inspection: reads /proc and the environment, forks one child that
// exits at once, writes nothing. Thread-safe.
#ifndef HUB_ABOUT_ENVIRONMENT_H_
#define HUB_ABOUT_ENVIRONMENT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hub {

// torchhub-cpp's version, from the VERSION file at build time ("0.1.0").
const char* TorchhubVersion();

struct SandboxSupport {
  // /proc/sys/kernel/unprivileged_userns_clone ("0" or "1"; Debian's and
  // Ubuntu's kernels), nullopt where the file is absent (mainline kernels).
  std::optional<std::string> unprivileged_userns_clone;
  // /proc/sys/user/max_user_namespaces ("0": none allowed), nullopt if absent.
  std::optional<std::string> max_user_namespaces;
  // Whether unshare(CLONE_NEWUSER) succeeded in a forked child: the answer
  // that counts (seccomp, AppArmor and container runtimes can refuse it
  // whatever the files say).
  bool user_namespace = false;
  // Why not, when it failed ("Operation not permitted").
  std::string user_namespace_error;
};

// Reads the files and forks a child that tries unshare(CLONE_NEWUSER).
SandboxSupport ProbeSandbox();

struct EnvironmentReport {
  std::string version;   // TorchhubVersion()
  std::string hub_dir;   // GetDir()
  std::string os;        // uname: "Linux 6.1.0-18-amd64 x86_64"
  std::string compiler;  // the one that built this: "gcc 12.2.0"

  std::string libtorch_version;  // built against: "1.13.0"
  std::string libtorch_root;     // its root at build time: "/usr"
  std::string python_version;    // built against: "3.11.2"
  // The interpreter embedded Python takes its paths from: TORCHHUB_PYTHON,
  // else the build's.
  std::string python_executable;

  std::string libcurl_version;  // loaded: "7.88.1"
  std::string libcurl_tls;      // libcurl's TLS library: "OpenSSL/3.0.11"
  std::string libgit2_version;  // loaded: "1.5.1"
  std::string crypto_backend;   // hashing: "BoringSSL"

  std::string ca_bundle;         // the CA file downloads verify with; "" none
  std::string ca_bundle_source;  // "CURL_CA_BUNDLE", "SSL_CERT_FILE", "libcurl"
  std::string ca_dir;            // SSL_CERT_DIR, else libcurl's CA path; "" none

  // Proxy variables that are set, in libcurl's order, with passwords masked
  // ("http://user:***@proxy:3128").
  std::vector<std::pair<std::string, std::string>> proxies;

  SandboxSupport sandbox;
};

EnvironmentReport DescribeEnvironment();

// `url` with the password of its user info, if any, replaced by "***".
std::string MaskProxyPassword(const std::string& url);

}  // namespace hub

#endif  // HUB_ABOUT_ENVIRONMENT_H_
