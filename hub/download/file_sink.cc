#include "hub/download/file_sink.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hub/base/errno_status.h"

namespace hub {

absl::StatusOr<std::unique_ptr<FileSink>> FileSink::Create(int fd, int64_t offset, Sha256 hasher) {
  if (fd < 0) return absl::InvalidArgumentError("FileSink needs an open file descriptor");
  if (offset < 0 || ::lseek(fd, offset, SEEK_SET) != offset) {
    return ErrnoToStatus(errno, absl::StrCat("seeking to byte ", offset, " of the download"));
  }
  return std::unique_ptr<FileSink>(new FileSink(fd, offset, std::move(hasher)));
}

FileSink::FileSink(int fd, int64_t offset, Sha256 hasher)
    : fd_(fd), appended_(offset), written_(offset), hasher_(std::move(hasher)) {
  current_.reserve(kBufferBytes);
  worker_ = std::thread([this] { Run(); });
}

FileSink::~FileSink() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  worker_.join();
}

absl::Status FileSink::Append(const char* data, size_t size) {
  if (finished_) return absl::FailedPreconditionError("FileSink::Append after Finish");
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
  absl::MutexLock lock(&mu_);
  // Wait for a free buffer (or room to make one).
  auto can_swap = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !error_.ok() || !free_.empty() || buffers_out_ < kMaxBuffers;
  };
  mu_.Await(absl::Condition(&can_swap));
  if (!error_.ok()) return error_;
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
  return absl::OkStatus();
}

void FileSink::Run() {
  while (true) {
    std::vector<char> buffer;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stop_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;
      buffer = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    absl::Status status;
    hasher_.Update(buffer.data(), buffer.size());
    const char* p = buffer.data();
    size_t left = buffer.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        status = ErrnoToStatus(errno, "writing the download to disk");
        break;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    absl::MutexLock lock(&mu_);
    written_ += static_cast<int64_t>(buffer.size() - left);
    if (error_.ok() && !status.ok()) error_ = status;
    busy_ = false;
    free_.push_back(std::move(buffer));
    --buffers_out_;
  }
}

absl::Status FileSink::Flush() {
  if (!current_.empty()) {
    if (absl::Status s = Enqueue(); !s.ok()) return s;
  }
  absl::MutexLock lock(&mu_);
  auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return (queue_.empty() && !busy_) || !error_.ok();
  };
  mu_.Await(absl::Condition(&drained));
  return error_;
}

absl::StatusOr<FileSink::Summary> FileSink::Finish() {
  if (finished_) return absl::FailedPreconditionError("FileSink::Finish called twice");
  if (absl::Status s = Flush(); !s.ok()) return s;
  finished_ = true;
  absl::MutexLock lock(&mu_);
  // The worker is idle (drained above) and waits on mu_: hasher_ is ours.
  Summary summary;
  summary.bytes = written_;
  summary.sha256_hex = hasher_.HexDigest();
  return summary;
}

}  // namespace hub
