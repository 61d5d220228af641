// Uses torchhub::torch from an installed prefix: reads a torch.save file.
//
//   torch_consumer CHECKPOINT
//   format=zip
//   weight 2x3 sum=6
#include <iostream>

#include "hub/api/torch.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: torch_consumer CHECKPOINT\n";
    return 2;
  }
  absl::StatusOr<hub::StateDictResult> r = hub::LoadStateDictFromFile(argv[1]);
  if (!r.ok()) {
    std::cerr << "LoadStateDictFromFile: " << r.status() << "\n";
    return 1;
  }
  if (!r->state_dict_status.ok()) {
    std::cerr << "no state dict: " << r->state_dict_status << "\n";
    return 1;
  }
  std::cout << "format=" << hub::CheckpointFormatName(*r) << "\n";
  for (const auto& [name, tensor] : r->state_dict) {
    std::cout << name << " ";
    for (int64_t d = 0; d < tensor.dim(); ++d) {
      std::cout << (d ? "x" : "") << tensor.size(d);
    }
    std::cout << " sum=" << tensor.sum().item<double>() << "\n";
  }
  return 0;
}
