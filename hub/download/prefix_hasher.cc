#include "hub/download/prefix_hasher.h"

#include <fcntl.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hub/fs/files.h"

namespace hub::download_internal {

PrefixHasher::PrefixHasher(int fd, bool start_writeback)
    : PrefixHasher(fd, 0, Sha256(), start_writeback) {}

PrefixHasher::PrefixHasher(int fd, int64_t start, Sha256 hasher, bool start_writeback)
    : fd_(fd),
      start_(start),
      start_writeback_(start_writeback),
      target_(start),
      hashed_(start),
      hasher_(std::move(hasher)) {
  worker_ = std::thread([this] { Run(); });
}

PrefixHasher::~PrefixHasher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void PrefixHasher::Advance(int64_t end) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (end <= target_) return;
    target_ = end;
  }
  changed_.notify_all();
}

int64_t PrefixHasher::hashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hashed_;
}

void PrefixHasher::Run() {
  std::vector<char> buffer(kBufferBytes);
  int64_t writeback_from = start_;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stop_ || (error_.ok() && hashed_ < target_); });
    if (stop_) return;
    const int64_t from = hashed_;
    const int64_t want = std::min(kBufferBytes, target_ - from);
    lock.unlock();
    // Only this thread moves hashed_ and uses hasher_: no lock needed here.
    const absl::StatusOr<size_t> read = ReadAllAt(fd_, buffer.data(), static_cast<size_t>(want),
                                                  from, "reading the download back to hash it");
    const int64_t got = read.ok() ? static_cast<int64_t>(*read) : 0;
    absl::Status error = read.status();
    if (error.ok() && got < want) {
      error = absl::DataLossError(absl::StrCat("the download ends at byte ", from + got,
                                               ", before the ", want - got,
                                               " bytes that were written after it"));
    }
    hasher_.Update(buffer.data(), static_cast<size_t>(got));
    if (start_writeback_ && from + got - writeback_from >= kWritebackBytes) {
      ::sync_file_range(fd_, writeback_from, from + got - writeback_from, SYNC_FILE_RANGE_WRITE);
      writeback_from = from + got;
    }
    lock.lock();
    hashed_ += got;
    if (!error.ok()) error_ = error;
    lock.unlock();
    changed_.notify_all();
    lock.lock();
  }
}

absl::StatusOr<std::string> PrefixHasher::Finish(int64_t end) {
  Advance(end);
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return !error_.ok() || hashed_ >= end; });
  if (!error_.ok()) return error_;
  if (hashed_ != end) {
    return absl::InternalError(
        absl::StrCat("hashed ", hashed_, " bytes of the download, more than its ", end));
  }
  // The worker waits for more and never touches hasher_ again.
  return hasher_.HexDigest();
}

}  // namespace hub::download_internal
