#include "hub/checkpoint/module_state.h"

#include <torch/nn/module.h>
#include <torch/script.h>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hub::checkpoint {
namespace {

std::string TorchSize(at::IntArrayRef sizes) {
  return absl::StrCat("torch.Size([", absl::StrJoin(sizes, ", "), "])");
}

std::string Quoted(const std::vector<std::string>& keys) {
  std::vector<std::string> quoted;
  quoted.reserve(keys.size());
  for (const std::string& k : keys) quoted.push_back(absl::StrCat("\"", k, "\""));
  return absl::StrJoin(quoted, ", ");
}

// Module.load_state_dict's checks and copy over the module's own entries.
absl::StatusOr<LoadReport> Load(const StateDict& own, const std::string& module_name,
                                const StateDict& state_dict, bool strict) {
  std::unordered_map<std::string, const at::Tensor*> given;
  given.reserve(state_dict.size());
  for (const auto& [name, tensor] : state_dict) given[name] = &tensor;
  std::unordered_map<std::string, bool> known;
  known.reserve(own.size());
  for (const auto& entry : own) known[entry.first] = true;

  LoadReport report;
  std::vector<std::string> errors;
  std::vector<std::pair<at::Tensor, const at::Tensor*>> copies;
  for (const auto& [name, target] : own) {
    const auto it = given.find(name);
    if (it == given.end()) {
      report.missing_keys.push_back(name);
      continue;
    }
    const at::Tensor& source = *it->second;
    if (!source.defined()) {
      errors.push_back(absl::StrCat("While copying the parameter named \"", name,
                                    "\", the checkpoint holds no tensor."));
      continue;
    }
    if (source.sizes() != target.sizes()) {
      errors.push_back(absl::StrCat(
          "size mismatch for ", name, ": copying a param with shape ", TorchSize(source.sizes()),
          " from checkpoint, the shape in current model is ", TorchSize(target.sizes()), "."));
      continue;
    }
    copies.emplace_back(target, &source);
  }
  for (const auto& [name, tensor] : state_dict) {
    if (known.count(name) == 0) report.unexpected_keys.push_back(name);
  }
  if (strict) {
    if (!report.unexpected_keys.empty()) {
      errors.insert(
          errors.begin(),
          absl::StrCat("Unexpected key(s) in state_dict: ", Quoted(report.unexpected_keys), ". "));
    }
    if (!report.missing_keys.empty()) {
      errors.insert(
          errors.begin(),
          absl::StrCat("Missing key(s) in state_dict: ", Quoted(report.missing_keys), ". "));
    }
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("Error(s) in loading state_dict for ",
                                                   module_name, ":\n\t",
                                                   absl::StrJoin(errors, "\n\t")));
  }
  try {
    at::NoGradGuard no_grad;
    for (auto& [target, source] : copies) target.copy_(*source);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("copying the state dict into ", module_name,
                                                   ": ", e.what_without_backtrace()));
  }
  return report;
}

}  // namespace

StateDict ModuleStateDict(const torch::nn::Module& module) {
  StateDict out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  return out;
}

StateDict ModuleStateDict(const torch::jit::Module& module) {
  StateDict out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    out.emplace_back(item.name, item.value);
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    out.emplace_back(item.name, item.value);
  }
  return out;
}

absl::StatusOr<LoadReport> LoadStateDictInto(torch::nn::Module& module, const StateDict& state_dict,
                                             bool strict) {
  // "torch::nn::LinearImpl" -> "Linear", as Python names the class.
  std::string name = module.name();
  if (const size_t colon = name.rfind("::"); colon != std::string::npos) name.erase(0, colon + 2);
  if (absl::EndsWith(name, "Impl")) name.resize(name.size() - 4);
  return Load(ModuleStateDict(module), name, state_dict, strict);
}

absl::StatusOr<LoadReport> LoadStateDictInto(torch::jit::Module& module,
                                             const StateDict& state_dict, bool strict) {
  std::string name = module.type()->name() ? module.type()->name()->name() : "Module";
  return Load(ModuleStateDict(module), name, state_dict, strict);
}

}  // namespace hub::checkpoint
