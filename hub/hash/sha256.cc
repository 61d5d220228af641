#include "hub/hash/sha256.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hub/base/errno_status.h"

#if !defined(HUB_CRYPTO_BORINGSSL) && !defined(HUB_CRYPTO_OPENSSL)
#error "Depend on //third_party/crypto (or one of its named backends)."
#endif

namespace hub {

// EVP is the interface both backends share; for SHA-256 it adds one call's
// overhead to each Update, nothing per byte.
struct Sha256::Context {
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};

  void Reset() const {
    if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
      // Only an allocation failure gets here; there is nothing to hash with.
      std::abort();
    }
  }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) { context_->Reset(); }
Sha256::Sha256(Sha256&& other) noexcept = default;
Sha256& Sha256::operator=(Sha256&& other) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t size) {
  if (size == 0) return;
  EVP_DigestUpdate(context_->ctx.get(), data, size);
  bytes_hashed_ += size;
}

Sha256Digest Sha256::Finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->ctx.get(), digest.data(), &length);
  context_->Reset();
  bytes_hashed_ = 0;
  return digest;
}

std::string Sha256::HexDigest() { return ToHex(Finish()); }

std::string ToHex(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * digest.size(), '\0');
  for (size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

std::string Sha256Hex(absl::string_view data) {
  Sha256 hasher;
  hasher.Update(data);
  return hasher.HexDigest();
}

absl::StatusOr<std::string> Sha256FileHex(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("opening ", path, " to hash it"));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> buffer(1 << 20);
  Sha256 hasher;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, absl::StrCat("reading ", path, " to hash it"));
    }
    hasher.Update(buffer.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return hasher.HexDigest();
}

std::string CryptoBackendName() {
#if defined(HUB_CRYPTO_BORINGSSL)
  return "BoringSSL";
#else
  return OpenSSL_version(OPENSSL_VERSION);
#endif
}

}  // namespace hub
