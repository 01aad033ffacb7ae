#!/usr/bin/env python3
# usage: python3 mdwe-exec.py <program> [arguments…]
#
# Run <program> under the kernel's memory-deny-write-execute rule, the rule systemd's
# MemoryDenyWriteExecute=yes enforces: prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN) (Linux 6.3+) makes
# every mapping that is or was writable unable to become executable, for this process and every
# process it starts. Node has no binding for prctl, hence this helper: set the rule, check that it
# holds, then exec the program in this process.
#
# Exit code 125, and one line on stderr naming the kernel, when the kernel cannot set the rule.

import ctypes
import os
import sys

PR_SET_MDWE = 65
PR_GET_MDWE = 66
PR_MDWE_REFUSE_EXEC_GAIN = 1

if len(sys.argv) < 2:
    sys.stderr.write("usage: mdwe-exec.py <program> [arguments...]\n")
    sys.exit(2)

libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
libc.prctl.restype = ctypes.c_int

if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    err = ctypes.get_errno()
    sys.stderr.write(f"mdwe-exec: prctl(PR_SET_MDWE) failed: {os.strerror(err)}; kernel {os.uname().release} (needs Linux 6.3+)\n")
    sys.exit(125)
state = libc.prctl(PR_GET_MDWE, 0, 0, 0, 0)
if state < 0 or not state & PR_MDWE_REFUSE_EXEC_GAIN:
    sys.stderr.write(f"mdwe-exec: PR_GET_MDWE says {state} after PR_SET_MDWE; kernel {os.uname().release}\n")
    sys.exit(125)

os.execv(sys.argv[1], sys.argv[1:])
