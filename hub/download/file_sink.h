// Writes a stream of bytes to a file descriptor and hashes them with SHA-256
// on a worker thread, so that writing and hashing run beside the thread that
// receives (and decrypts) the bytes.
//
//   HUB_ASSIGN_OR_RETURN(auto sink, hub::FileSink::Create(fd, /*offset=*/0, hub::Sha256()));
//   sink->Append(data, size);   // copies; returns at once unless the queue is full
//   ...
//   HUB_ASSIGN_OR_RETURN(hub::FileSink::Summary s, sink->Finish());  // s.sha256_hex, s.bytes
//
// Append copies the bytes into 1 MiB buffers; the worker writes each full
// buffer at its offset (pwrite) and then hashes it while it is still in the
// CPU's cache. On two cores that splits a TLS download's client work about
// evenly: the receiving thread reads and decrypts, the worker writes and
// hashes (writing into the page cache costs about what hashing does). At most
// a few buffers are in flight, so memory stays bounded however fast the
// network is. With `start_writeback`, the worker asks the kernel every 8 MiB
// to start writing the file out (sync_file_range), so that the disk works
// while the bytes arrive and a final fsync has little left to do.
// The first error (a failed write) is kept and returned by every later call.
// Bytes appended are in the file after Flush, Finish or the destructor.
//
// Not copyable or movable (the worker points at it). Append, Flush and
// Finish must be called from one thread at a time.

#ifndef HUB_DOWNLOAD_FILE_SINK_H_
#define HUB_DOWNLOAD_FILE_SINK_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hub/hash/sha256.h"

namespace hub {

class FileSink {
 public:
  struct Summary {
    int64_t bytes = 0;  // in the file, including what was there at `offset`
    std::string sha256_hex;
  };

  // Writes at `offset` (the file's bytes before it are kept) into `fd`,
  // which stays the caller's; `hasher` already holds the first `offset`
  // bytes (a fresh Sha256 when offset is 0).
  static absl::StatusOr<std::unique_ptr<FileSink>> Create(int fd, int64_t offset, Sha256 hasher,
                                                          bool start_writeback = false);

  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  // Stops the worker; everything appended is written first (not hashed).
  ~FileSink();

  // Queues a copy of data[0, size). Blocks only while the queue is full.
  absl::Status Append(const char* data, size_t size);

  // Waits until everything appended is written (not fsync'd) and hashed.
  absl::Status Flush();

  // Flush, then the total and the digest. The sink takes no more bytes.
  absl::StatusOr<Summary> Finish();

  // Flush, then the hasher itself, holding every byte appended (to go on
  // hashing what follows them elsewhere: a stream that hands the rest of
  // its file to parallel ranges). The sink takes no more bytes.
  absl::StatusOr<Sha256> TakeHasher();

  // Bytes appended so far, including the starting offset.
  int64_t bytes_appended() const { return appended_; }

 private:
  static constexpr size_t kBufferBytes = 1 << 20;
  static constexpr size_t kMaxBuffers = 8;
  static constexpr int64_t kWritebackBytes = 8 << 20;

  FileSink(int fd, int64_t offset, Sha256 hasher, bool start_writeback);
  void Run();
  absl::Status Enqueue();
  absl::Status WorkerError();

  const int fd_;
  const bool start_writeback_;
  int64_t appended_;
  int64_t hashed_to_;          // the worker's: the file's bytes written and hashed so far
  int64_t writeback_from_;     // the worker's
  std::vector<char> current_;  // filled by Append, owned by the caller's thread
  bool finished_ = false;

  // std::mutex rather than absl::Mutex: Debian's Abseil is a shared library
  // built without ThreadSanitizer, which then can't see its synchronisation.
  std::mutex mu_;
  std::condition_variable changed_;
  // Guarded by mu_:
  std::deque<std::vector<char>> queue_;
  std::vector<std::vector<char>> free_;
  size_t buffers_out_ = 0;  // allocated, not in free_
  bool busy_ = false;       // the worker holds a buffer
  bool stop_ = false;
  absl::Status write_error_;  // the worker's first failed write
  Sha256 hasher_;             // the worker's
  std::thread worker_;
};

}  // namespace hub

#endif  // HUB_DOWNLOAD_FILE_SINK_H_
