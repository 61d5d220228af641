// Example: a hub model in C++, end to end, with torchhub-cpp's facade.
//
//   load_model REPO_OR_DIR ENTRY [WEIGHTS_URL_OR_FILE] [--local] [--no-sandbox]
//
// Lists REPO's entrypoints, prints ENTRY's docstring, loads ENTRY as
// TorchScript (Python runs hubconf.py once, in the sandbox unless
// --no-sandbox: docs/sandbox.md; the module then needs no Python), optionally copies a state dict
// into it by name, and runs it on an input of ones shaped after its first parameter's input
// dimension.
#include <torch/script.h>

#include <iostream>
#include <string>
#include <vector>

#include "hub/api/torch.h"
#include "hub/checkpoint/module_state.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "load_model: " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  hub::HubOptions options;
  options.trust_repo = hub::TrustMode::kTrue;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--local") {
      options.source = "local";
    } else if (a == "--no-sandbox") {
      options.sandbox = false;
    } else {
      args.push_back(a);
    }
  }
  if (args.size() < 2) {
    std::cerr
        << "usage: load_model REPO_OR_DIR ENTRY [WEIGHTS_URL_OR_FILE] [--local] [--no-sandbox]\n";
    return 2;
  }
  const std::string& repo = args[0];
  const std::string& entry = args[1];

  absl::StatusOr<std::vector<std::string>> names = hub::List(repo, options);
  if (!names.ok()) return Fail(names.status());
  std::cout << "entrypoints:";
  for (const std::string& n : *names) std::cout << " " << n;
  std::cout << "\n";

  absl::StatusOr<std::optional<std::string>> doc = hub::Help(repo, entry, options);
  if (!doc.ok()) return Fail(doc.status());
  std::cout << "help: " << doc->value_or("(no docstring)") << "\n";

  absl::StatusOr<hub::LoadedEntry> loaded = hub::Load(repo, entry, {}, options);
  if (!loaded.ok()) return Fail(loaded.status());
  if (loaded->kind != hub::LoadedEntry::Kind::kModule) {
    std::cout << "got " << loaded->type_name << "\n";
    return 0;
  }
  torch::jit::Module& module = *loaded->module;
  std::cout << "module: " << loaded->type_name << " (" << loaded->torchscript_method << ")\n";

  if (args.size() > 2) {
    const std::string& weights = args[2];
    absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> sd;
    if (weights.rfind("http://", 0) == 0 || weights.rfind("https://", 0) == 0) {
      options.progress = false;
      absl::StatusOr<hub::StateDictResult> r = hub::LoadStateDictFromUrl(weights, options);
      if (!r.ok()) return Fail(r.status());
      sd = r->state_dict_status.ok() ? absl::StatusOr<decltype(r->state_dict)>(r->state_dict)
                                     : r->state_dict_status;
    } else {
      absl::StatusOr<hub::checkpoint::Checkpoint> c = hub::checkpoint::LoadCheckpoint(weights);
      if (!c.ok()) return Fail(c.status());
      sd = hub::checkpoint::ExtractStateDict(c->value);
    }
    if (!sd.ok()) return Fail(sd.status());
    absl::StatusOr<hub::checkpoint::LoadReport> report =
        hub::checkpoint::LoadStateDictInto(module, *sd);
    if (!report.ok()) return Fail(report.status());
    std::cout << "weights: " << sd->size() << " tensors loaded\n";
  }

  // An input of ones: [1, in_features] for a first parameter [out, in].
  const std::vector<std::pair<std::string, at::Tensor>> params =
      hub::checkpoint::ModuleStateDict(module);
  if (params.empty() || params[0].second.dim() != 2) return 0;
  const at::Tensor x = torch::ones({1, params[0].second.size(1)});
  const at::Tensor y = module.forward({x}).toTensor();
  std::cout << "forward(ones): " << y.flatten() << "\n";
  return 0;
}
