"""Forwards @rules_shell's sh_binary to Bazel 4's native one."""

def sh_binary(**kwargs):
    native.sh_binary(**kwargs)  # buildifier: disable=native-sh-binary
