// A whole file mapped into memory, copy-on-write.
//
//   HUB_ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
//   absl::string_view bytes = file->data();
//
// Shared so tensors made straight from the mapping (from_blob) can keep it
// alive. Pages are private and writable: writing into such a tensor copies
// the page and never changes the file. A file truncated by someone else while
// mapped raises SIGBUS on access, as with any mapping. Thread-safe (const).

#ifndef HUB_CHECKPOINT_INTERNAL_MAPPED_FILE_H_
#define HUB_CHECKPOINT_INTERNAL_MAPPED_FILE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub::checkpoint_internal {

class MappedFile {
 public:
  // kNotFound etc. from open(2); kFailedPrecondition when `path` is not a
  // regular file.
  static absl::StatusOr<std::shared_ptr<const MappedFile>> Open(const std::string& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  absl::string_view data() const { return {static_cast<const char*>(addr_), size_}; }
  // Writable (copy-on-write) address of byte `offset`.
  void* mutable_data(size_t offset) const { return static_cast<char*>(addr_) + offset; }
  size_t size() const { return size_; }

 private:
  MappedFile(void* addr, size_t size) : addr_(addr), size_(size) {}
  void* addr_;
  size_t size_;
};

}  // namespace hub::checkpoint_internal

#endif  // HUB_CHECKPOINT_INTERNAL_MAPPED_FILE_H_
