// SHA-256 of a file that is written out of order (parallel ranges pwrite()n
// in place): a worker thread hashes the contiguous prefix as it grows,
// reading it back from the page cache with pread, so the digest is ready
// when the last byte lands and no second pass over the file is needed.
//
//   download_internal::PrefixHasher hasher(fd);
//   ... bytes [0, 40 MiB) are final:  hasher.Advance(40 << 20);
//   HUB_ASSIGN_OR_RETURN(std::string hex, hasher.Finish(total));
//
// Memory is one 1 MiB buffer whatever the file size. With
// `start_writeback`, the worker also asks the kernel to start writing each
// hashed 8 MiB out to disk (sync_file_range), so that the disk works while
// the bytes arrive and a closing fsync has little left to do.
// Thread-safe: Advance may be called from any thread; Finish from one.
// Not copyable or movable (the worker points at it).

#ifndef HUB_DOWNLOAD_PREFIX_HASHER_H_
#define HUB_DOWNLOAD_PREFIX_HASHER_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hub/hash/sha256.h"

namespace hub::download_internal {

class PrefixHasher {
 public:
  // Hashes the file open on `fd` (the caller's; it must outlive this) from
  // byte 0.
  explicit PrefixHasher(int fd, bool start_writeback = false);
  // Goes on from byte `start`: `hasher` already holds the file's bytes
  // [0, start) (a stream hashed them as they arrived).
  PrefixHasher(int fd, int64_t start, Sha256 hasher, bool start_writeback = false);
  PrefixHasher(const PrefixHasher&) = delete;
  PrefixHasher& operator=(const PrefixHasher&) = delete;
  // Stops the worker (what is not hashed yet is dropped).
  ~PrefixHasher();

  // The file's bytes [0, end) are final and may be hashed. Smaller values
  // than before are ignored.
  void Advance(int64_t end);

  // Waits until [0, end) is hashed and returns the hex digest of exactly
  // those bytes; a read error (or a file shorter than `end`) as a Status.
  absl::StatusOr<std::string> Finish(int64_t end);

  // Bytes hashed so far.
  int64_t hashed() const;

 private:
  static constexpr int64_t kBufferBytes = 1 << 20;
  static constexpr int64_t kWritebackBytes = 8 << 20;
  void Run();

  const int fd_;
  const int64_t start_;
  const bool start_writeback_;
  // std::mutex, not absl::Mutex: see FileSink.
  mutable std::mutex mu_;
  std::condition_variable changed_;
  // Guarded by mu_:
  int64_t target_ = 0;
  int64_t hashed_ = 0;
  bool stop_ = false;
  absl::Status error_;
  Sha256 hasher_;  // the worker's until it stops
  std::thread worker_;
};

}  // namespace hub::download_internal

#endif  // HUB_DOWNLOAD_PREFIX_HASHER_H_
