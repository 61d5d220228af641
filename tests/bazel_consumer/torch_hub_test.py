#!/usr/bin/python3
"""Python's torch.hub on the hub dir torchhub_hub_dir assembled, offline.

  torch_hub_test.py TORCH_HOME OWNER/NAME:REF WEIGHTS_URL HUBCONF

Every socket connection is refused first, so anything torch.hub tries to
fetch fails the test instead of reaching a server.
"""

import hashlib
import json
import os
import socket
import sys
import unittest
import warnings

import torch

TORCH_HOME, REPO, WEIGHTS_URL, HUBCONF = (os.path.abspath(sys.argv[1]), sys.argv[2],
                                          sys.argv[3], sys.argv[4])
del sys.argv[1:5]

# The values tests/bazel_consumer/run.sh saved.
EXPECTED_WEIGHT = torch.arange(6, dtype=torch.float32).reshape(2, 3) / 8
EXPECTED_BIAS = torch.tensor([0.5, -0.25])


def _no_network(*args, **kwargs):
    raise AssertionError(f"network use in a hermetic test: connect{args}")


# The hub dir is a Bazel output: no __pycache__ in it, even as root.
sys.dont_write_bytecode = True

socket.socket.connect = _no_network
socket.socket.connect_ex = _no_network
socket.create_connection = _no_network


class TorchHubTest(unittest.TestCase):

    def setUp(self):
        os.environ["TORCH_HOME"] = TORCH_HOME
        self.hub_dir = os.path.join(TORCH_HOME, "hub")
        owner_name, ref = REPO.split(":")
        self.repo_dir = os.path.join(self.hub_dir,
                                     "_".join(owner_name.split("/") + [ref.replace("/", "_")]))
        self.weights_file = os.path.join(self.hub_dir, "checkpoints",
                                         WEIGHTS_URL.rsplit("/", 1)[1])

    def test_layout_is_torch_hubs(self):
        self.assertEqual(torch.hub.get_dir(), self.hub_dir)
        self.assertTrue(os.path.isfile(os.path.join(self.repo_dir, "hubconf.py")))
        self.assertTrue(os.path.isfile(os.path.join(self.repo_dir, "tinynet", "layers.py")))
        with open(HUBCONF, "rb") as pinned, open(os.path.join(self.repo_dir, "hubconf.py"),
                                                 "rb") as cached:
            self.assertEqual(pinned.read(), cached.read())
        with open(os.path.join(self.hub_dir, "trusted_list")) as f:
            self.assertIn(REPO.split(":")[0].replace("/", "_"), f.read().split())

    def test_list_help_load_offline(self):
        # trust_repo="check" would prompt (and fail without a terminal) for
        # a repo that neither trusted_list nor the cache vouches for.
        self.assertEqual(torch.hub.list(REPO, trust_repo="check"), ["tiny"])
        self.assertIn("linear layer", torch.hub.help(REPO, "tiny", trust_repo="check"))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no untrusted-repo warning either
            model = torch.hub.load(REPO, "tiny", weights_url=WEIGHTS_URL, trust_repo="check",
                                   verbose=False)
        self.assertTrue(torch.equal(model.weight, EXPECTED_WEIGHT))
        self.assertTrue(torch.equal(model.bias, EXPECTED_BIAS))
        y = model(torch.ones(1, 3))
        # tinynet.layers.scale doubles the linear layer's output.
        self.assertTrue(torch.equal(y, 2 * (EXPECTED_WEIGHT.sum(1) + EXPECTED_BIAS).unsqueeze(0)))

    def test_load_state_dict_from_url_uses_the_pinned_file(self):
        sd = torch.hub.load_state_dict_from_url(WEIGHTS_URL, check_hash=True, progress=False)
        self.assertEqual(list(sd), ["weight", "bias"])
        self.assertTrue(torch.equal(sd["weight"], EXPECTED_WEIGHT))

    def test_download_record_matches_the_file(self):
        name = os.path.basename(self.weights_file)
        with open(os.path.join(self.hub_dir, "checkpoints", f".{name}.source")) as f:
            record = json.load(f)
        with open(self.weights_file, "rb") as f:
            data = f.read()
        self.assertEqual(record, {"url": WEIGHTS_URL, "sha256": hashlib.sha256(data).hexdigest(),
                                  "bytes": len(data)})
        # torch.hub's check_hash rule: the name's "-<hex>." is the hash's prefix.
        self.assertTrue(record["sha256"].startswith(name.rsplit("-", 1)[1].split(".")[0]))


if __name__ == "__main__":
    unittest.main()
