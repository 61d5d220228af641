// Proves Debian's libarchive links and runs: it writes a zip in memory and
// reads it back.
#include <archive.h>
#include <archive_entry.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

TEST(LibarchiveTest, ZipRoundTrip) {
  std::vector<char> buffer(1 << 16);
  size_t used = 0;
  archive* out = archive_write_new();
  ASSERT_EQ(archive_write_set_format_zip(out), ARCHIVE_OK);
  ASSERT_EQ(archive_write_open_memory(out, buffer.data(), buffer.size(), &used), ARCHIVE_OK);
  const std::string body = "def entry():\n    return 1\n";
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, "top/hubconf.py");
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_size(entry, static_cast<la_int64_t>(body.size()));
  ASSERT_EQ(archive_write_header(out, entry), ARCHIVE_OK);
  ASSERT_EQ(archive_write_data(out, body.data(), body.size()),
            static_cast<la_ssize_t>(body.size()));
  archive_entry_free(entry);
  ASSERT_EQ(archive_write_close(out), ARCHIVE_OK);
  archive_write_free(out);

  archive* in = archive_read_new();
  archive_read_support_format_zip(in);
  ASSERT_EQ(archive_read_open_memory(in, buffer.data(), used), ARCHIVE_OK);
  archive_entry* read_entry = nullptr;
  ASSERT_EQ(archive_read_next_header(in, &read_entry), ARCHIVE_OK);
  EXPECT_STREQ(archive_entry_pathname(read_entry), "top/hubconf.py");
  std::string read_body(body.size(), '\0');
  EXPECT_EQ(archive_read_data(in, read_body.data(), read_body.size()),
            static_cast<la_ssize_t>(body.size()));
  EXPECT_EQ(read_body, body);
  EXPECT_EQ(archive_read_next_header(in, &read_entry), ARCHIVE_EOF);
  archive_read_free(in);
}

}  // namespace
