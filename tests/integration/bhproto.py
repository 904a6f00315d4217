"""The control protocol (include/bulkhead/control.h) by hand, for tests that
play a hostile or hand-made client. Scripts under tests/integration import
it with sys.path set to this directory (TOP is exported by run.sh)."""
import fcntl
import os
import socket
import struct

MAGIC, VER = 0x31434842, 1
REPLY, NOTIFY = 0x8000, 0x4000
F_ADD_SEALS, F_SEAL_SHRINK, F_SEAL_GROW = 1033, 0x0002, 0x0004


def hdr(op, ln, magic=MAGIC, ver=VER, seq=7):
    return struct.pack("<IHHII", magic, ver, op, ln, seq)


def conn(path, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        assert c, "closed"
        b += c
    return b


def call(s, op, payload, fd=None, events=None):
    """Send op with payload (and fd, by SCM_RIGHTS); return (status, body).
    Notifications that come first are appended to events, when given, as
    (event, [u32 ...]), else dropped."""
    data = hdr(op, len(payload)) + payload
    if fd is None:
        s.sendall(data)
    else:
        s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("<i", fd))])
    while True:
        _, _, rop, ln, _ = struct.unpack("<IHHII", recv_exact(s, 16))
        body = recv_exact(s, ln)
        if rop & NOTIFY:
            if events is not None:
                events.append((rop & 0xff, [struct.unpack_from("<I", body, i)[0]
                                            for i in range(0, ln - ln % 4, 4)]))
            continue
        assert rop == op | REPLY, (op, rop)
        return struct.unpack("<i", body[:4])[0], body[4:]


def sealed_memfd(pages, name="arena"):
    """A memfd of pages pages that can neither shrink nor grow: an arena."""
    fd = os.memfd_create(name, os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, pages * 4096)
    fcntl.fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)
    return fd
