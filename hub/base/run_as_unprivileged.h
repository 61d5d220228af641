// Runs part of a test without root's privileges, so that the paths a normal
// user meets (a read-only directory, a file that can't be removed) are tested
// in CI too, which runs as root. Never skip such a test: wrap it.
//
//   ASSERT_EQ(chmod(dir.c_str(), 0555), 0);
//   EXPECT_THAT(hub::testing::RunAsUnprivileged([&] {
//     EXPECT_THAT(WriteSomethingIn(dir), StatusIs(absl::StatusCode::kPermissionDenied));
//   }), IsOk());
//
// As root, `body` runs in a forked child that first gives up every
// capability for good (effective, permitted, inheritable and bounding sets,
// with no_new_privs, so not even a program it execs gets them back) and then
// runs `body`. It stays uid 0 on purpose: without CAP_DAC_OVERRIDE,
// CAP_FOWNER and friends, uid 0 is an ordinary owner who obeys mode bits,
// and the test's files (owned by root, under /root/.cache/bazel, which only
// root may enter) stay reachable, which they would not be for `nobody`.
// gtest assertions work inside `body`: the child prints its failures as
// they happen and exits 1 if there were any; the parent then returns an
// error. Anything `body` changes in memory stays in the child.
//
// Not root: `body` simply runs in this process.
//
// Call it from the test's main thread, with no other threads running: only
// the calling thread exists in the child.

#ifndef HUB_BASE_RUN_AS_UNPRIVILEGED_H_
#define HUB_BASE_RUN_AS_UNPRIVILEGED_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace hub::testing {

// OK when `body` ran without privileges and recorded no gtest failure.
// kInternal when the privileges could not be given up (the child says which
// call failed), or when `body` failed or crashed in the child (the message
// gives its exit status; the failures themselves are above it in the log).
// Not root: OK, whatever `body` recorded (its failures are this test's own).
absl::Status RunAsUnprivileged(absl::FunctionRef<void()> body);

// True when this process has any effective capability: what the child checks
// after giving them up, and what tests may assert inside `body`.
bool HasAnyCapability();

}  // namespace hub::testing

#endif  // HUB_BASE_RUN_AS_UNPRIVILEGED_H_
