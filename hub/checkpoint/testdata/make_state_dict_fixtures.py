"""Checkpoints for state_dict_from_url_test and the load-state-dict CLI test.

  make_state_dict_fixtures.py DIR

Writes into DIR (made if missing):
  sd.pth                a small state dict, torch.save's zip format
  v1/weights.pth        two different checkpoints with one file name
  v2/weights.pth
  sd-<8 hex>.pth        sd.pth named with its own SHA-256 prefix
  sd-00000000.pth       sd.pth named with a wrong one
  legacy.zip            a legacy-format checkpoint zipped by hand (one entry,
                        inner.pth), as torch.hub's _legacy_zip_load expects
  nested.pth            {"model": <state dict>, "epoch": 3}
  not_a_state_dict.pth  {"epoch": 3, "name": "x"}
  manifest.json         {"good_hash_name": ..., "tensors": [{name, dtype,
                        shape, values (flattened, as floats)}...]} of sd.pth
"""

import hashlib
import json
import os
import shutil
import sys
import zipfile

import torch


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "v1"), exist_ok=True)
    os.makedirs(os.path.join(out, "v2"), exist_ok=True)
    torch.manual_seed(0)
    sd = {
        "conv.weight": torch.randn(2, 3, 2),
        "conv.bias": torch.randn(2),
        "bn.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
        "mask": torch.tensor([True, False, True]),
        "half": torch.arange(4, dtype=torch.float16).reshape(2, 2),
    }
    sd_path = os.path.join(out, "sd.pth")
    torch.save(sd, sd_path)
    torch.save({"w": torch.ones(3)}, os.path.join(out, "v1", "weights.pth"))
    torch.save({"w": torch.zeros(5)}, os.path.join(out, "v2", "weights.pth"))
    with open(sd_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    good = "sd-%s.pth" % digest[:8]
    shutil.copy(sd_path, os.path.join(out, good))
    shutil.copy(sd_path, os.path.join(out, "sd-00000000.pth"))
    legacy = os.path.join(out, "inner.pth")
    torch.save(sd, legacy, _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(os.path.join(out, "legacy.zip"), "w") as z:
        z.write(legacy, "inner.pth")
    os.remove(legacy)
    torch.save({"model": sd, "epoch": 3}, os.path.join(out, "nested.pth"))
    torch.save({"epoch": 3, "name": "x"}, os.path.join(out, "not_a_state_dict.pth"))
    loaded = torch.load(sd_path, weights_only=True)
    tensors = [
        {
            "name": k,
            "dtype": str(v.dtype),
            "shape": list(v.shape),
            "values": [float(x) for x in v.reshape(-1).double().tolist()],
        }
        for k, v in loaded.items()
    ]
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"good_hash_name": good, "tensors": tensors}, f)


if __name__ == "__main__":
    main()
