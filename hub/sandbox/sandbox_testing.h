// For tests of the sandbox: whether bubblewrap can make its namespaces on
// this machine. Where it can't, sandbox tests assert the sandbox's refusal
// instead of skipping.
#ifndef HUB_SANDBOX_SANDBOX_TESTING_H_
#define HUB_SANDBOX_SANDBOX_TESTING_H_

namespace hub::sandbox {

// Runs /usr/bin/bwrap once with the namespaces the sandbox asks for; the
// answer is kept for the process.
bool BwrapNamespacesAvailable();

}  // namespace hub::sandbox

#endif  // HUB_SANDBOX_SANDBOX_TESTING_H_
