#include "hub/download/file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hub/base/errno_status.h"
#include "hub/fs/files.h"

namespace hub {

absl::StatusOr<std::unique_ptr<FileSink>> FileSink::Create(int fd, int64_t offset, Sha256 hasher,
                                                           bool start_writeback) {
  if (fd < 0) return absl::InvalidArgumentError("FileSink needs an open file descriptor");
  if (offset < 0 || ::lseek(fd, offset, SEEK_SET) != offset) {
    return ErrnoToStatus(errno, absl::StrCat("seeking to byte ", offset, " of the download"));
  }
  return std::unique_ptr<FileSink>(new FileSink(fd, offset, std::move(hasher), start_writeback));
}

FileSink::FileSink(int fd, int64_t offset, Sha256 hasher, bool start_writeback)
    : fd_(fd),
      start_writeback_(start_writeback),
      appended_(offset),
      hashed_to_(offset),
      writeback_from_(offset),
      hasher_(std::move(hasher)) {
  current_.reserve(kBufferBytes);
  worker_ = std::thread([this] { Run(); });
}

FileSink::~FileSink() {
  // Bytes appended belong in the file even if they are never hashed: a
  // transfer that stops here is resumed from the file's length.
  if (!current_.empty()) (void)Enqueue();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

absl::Status FileSink::WorkerError() {
  const std::lock_guard<std::mutex> lock(mu_);
  return write_error_;
}

absl::Status FileSink::Append(const char* data, size_t size) {
  if (finished_)
    return absl::FailedPreconditionError("FileSink::Append after Finish or TakeHasher");
  if (absl::Status s = WorkerError(); !s.ok()) return s;
  while (size > 0) {
    const size_t n = std::min(size, kBufferBytes - current_.size());
    current_.insert(current_.end(), data, data + n);
    data += n;
    size -= n;
    appended_ += static_cast<int64_t>(n);
    if (current_.size() == kBufferBytes) {
      if (absl::Status s = Enqueue(); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status FileSink::Enqueue() {
  std::unique_lock<std::mutex> lock(mu_);
  // Wait for a free buffer (or room to make one).
  changed_.wait(lock, [this] { return !free_.empty() || buffers_out_ < kMaxBuffers; });
  std::vector<char> next;
  if (!free_.empty()) {
    next = std::move(free_.back());
    free_.pop_back();
  } else {
    next.reserve(kBufferBytes);
  }
  ++buffers_out_;
  next.clear();
  queue_.push_back(std::move(current_));
  current_ = std::move(next);
  absl::Status error = write_error_;
  lock.unlock();
  changed_.notify_all();
  return error;
}

void FileSink::Run() {
  // After a failed write nothing more is written (the file must not get
  // bytes past a hole) or hashed; the buffers still come back, so Append
  // never waits.
  bool failed = false;
  while (true) {
    std::vector<char> buffer;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] { return !queue_.empty() || stop_; });
      if (queue_.empty()) return;
      buffer = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    absl::Status written;
    if (!failed) {
      written = WriteAllAt(fd_, absl::string_view(buffer.data(), buffer.size()), hashed_to_,
                           "writing the download to disk");
      failed = !written.ok();
    }
    if (!failed) {
      hasher_.Update(buffer.data(), buffer.size());
      hashed_to_ += static_cast<int64_t>(buffer.size());
      if (start_writeback_ && hashed_to_ - writeback_from_ >= kWritebackBytes) {
        // Here, not in Append: starting the writes can block while the disk's
        // queue is full, which must not hold up the receiving thread.
        ::sync_file_range(fd_, writeback_from_, hashed_to_ - writeback_from_,
                          SYNC_FILE_RANGE_WRITE);
        writeback_from_ = hashed_to_;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!written.ok()) write_error_ = std::move(written);
      busy_ = false;
      free_.push_back(std::move(buffer));
      --buffers_out_;
    }
    changed_.notify_all();
  }
}

absl::Status FileSink::Flush() {
  if (!current_.empty()) {
    if (absl::Status s = Enqueue(); !s.ok()) return s;
  }
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return queue_.empty() && !busy_; });
  return write_error_;
}

absl::StatusOr<FileSink::Summary> FileSink::Finish() {
  if (finished_)
    return absl::FailedPreconditionError("FileSink::Finish after Finish or TakeHasher");
  if (absl::Status s = Flush(); !s.ok()) return s;
  finished_ = true;
  const std::lock_guard<std::mutex> lock(mu_);
  // The worker is idle (drained above) and waits on mu_: hasher_ is ours.
  Summary summary;
  summary.bytes = appended_;
  summary.sha256_hex = hasher_.HexDigest();
  return summary;
}

absl::StatusOr<Sha256> FileSink::TakeHasher() {
  if (finished_)
    return absl::FailedPreconditionError("FileSink::TakeHasher after Finish or TakeHasher");
  if (absl::Status s = Flush(); !s.ok()) return s;
  finished_ = true;
  const std::lock_guard<std::mutex> lock(mu_);
  return std::move(hasher_);
}

}  // namespace hub
