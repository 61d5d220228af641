"""Forwards @rules_shell's sh_test to Bazel 4's native one."""

def sh_test(**kwargs):
    native.sh_test(**kwargs)  # buildifier: disable=native-sh-test
