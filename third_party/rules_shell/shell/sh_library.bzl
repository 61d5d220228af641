"""Forwards @rules_shell's sh_library to Bazel 4's native one."""

def sh_library(**kwargs):
    native.sh_library(**kwargs)  # buildifier: disable=native-sh-library
