"""What the example workspace pins. run.sh writes this file into its copy of
the workspace with real values: the fixture repo's commit and the SHA-256s of
its archive and weight file, made at test time, and the loopback server's
URLs. The values committed here are placeholders, which torchhub_repository
refuses with a message saying what to give."""

PINS = struct(
    # Where torchhub-cpp's checkout is (absolute, or relative to this workspace).
    torchhub_cpp_path = "../..",
    repo = "torchhub-test/tiny",
    ref = "v1.0",
    commit = "<written by run.sh: 40 lowercase hex digits>",
    archive_sha256 = "",
    github_url = "https://github.com",
    weights_url = "https://example.com/models/tiny.pth",
    weights_sha256 = "",
)
