// torch.hub.load in the sandbox, the parent's half: asks the worker
// (hub/sandbox/sandbox.h) to run the entrypoint, and turns its untrusted
// answer into a LoadedEntry (hub/hubconf/hubconf.h) without running any of
// the worker's code in this process.
//
//   hub::sandbox::SandboxOptions sandbox;
//   sandbox.read_only_dirs = {hub::GetDir()};
//   HUB_ASSIGN_OR_RETURN(hub::LoadedEntry e,
//                        hub::sandbox::LoadEntrypointInSandbox(dir, "resnet18", args, {},
//                        sandbox));
//   e.module->forward({torch::ones({1, 3, 224, 224})});
//
// What comes back:
//   - an nn.Module: TorchScript (scripted in the worker, else traced with
//     LoadOptions::example_inputs), checked by LoadUntrustedTorchScript;
//   - a tensor or a dict of str -> tensor: sent as a torch.save file, read
//     by hub/checkpoint's weights-only loader (never an unrestricted pickle);
//   - plain data (None, bools, numbers, strings, lists, dicts): in
//     LoadedEntry::value (hub/sandbox/value.h), kind kObject;
//   - anything else: kFailedPrecondition saying to load it unsandboxed
//     (HubOptions::sandbox = false). LoadedEntry::object is always empty.
// LoadOptions::torchscript = false (a Python object wanted) is refused the
// same way before the sandbox starts.
//
// Thread-safe: every call starts its own worker.
#ifndef HUB_SANDBOX_LOAD_H_
#define HUB_SANDBOX_LOAD_H_

#include <string>

#include <torch/csrc/jit/api/module.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/hubconf/hubconf.h"
#include "hub/sandbox/sandbox.h"

namespace hub::sandbox {

absl::StatusOr<LoadedEntry> LoadEntrypointInSandbox(absl::string_view repo_dir,
                                                    absl::string_view entry,
                                                    const HubArgs& args = {},
                                                    const LoadOptions& load = {},
                                                    const SandboxOptions& options = {});

// A TorchScript archive from an untrusted source, loaded only when it is
// safe to: its code defines no __setstate__ (torch::jit::load runs those
// while loading, before anything could be checked), and every node of every
// function in its compilation unit (all methods of the module and its
// submodules, and the functions they call, blocks included) is an op on the
// allow-list of pure tensor and control-flow ops. kPermissionDenied naming
// the op and the function otherwise ("aten::from_file in forward");
// kDataLoss for an archive that does not load (only the zip format does).
// The bytes are read in place, never copied into a stream.
absl::StatusOr<torch::jit::Module> LoadUntrustedTorchScript(std::string archive);

}  // namespace hub::sandbox

#endif  // HUB_SANDBOX_LOAD_H_
