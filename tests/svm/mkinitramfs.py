#!/usr/bin/env python3
"""Build the nested lane's L1 initramfs (a newc cpio) from an unpacked Debian
kernel package, the static busybox and tests/svm/init.

    mkinitramfs.py MODULES_DIR BUSYBOX INIT OUT MODULE...

MODULES_DIR is the package's lib/modules/VERSION. Each MODULE named is put in
with the modules it depends on (their .modinfo "depends="), decompressed
(6.12's are .ko.xz), and listed in load order in /modules.order. Modules that
the kernel has built in (modules.builtin) are left out. Written in Python so
that it needs neither kmod nor cpio on the machine.
"""
import lzma
import os
import re
import sys


def norm(name):
    return name.replace("-", "_")


def index_modules(mdir):
    found = {}
    for root, _, files in os.walk(os.path.join(mdir, "kernel")):
        for f in files:
            m = re.match(r"(.+)\.ko(\.xz)?$", f)
            if m:
                found[norm(m.group(1))] = os.path.join(root, f)
    builtin = set()
    with open(os.path.join(mdir, "modules.builtin")) as fh:
        for line in fh:
            builtin.add(norm(os.path.basename(line.strip())[: -len(".ko")]))
    return found, builtin


def module_bytes(path):
    with open(path, "rb") as fh:
        data = fh.read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def resolve(wanted, found, builtin):
    order, seen, blobs = [], set(), {}

    def visit(name):
        name = norm(name)
        if name in seen or name in builtin:
            return
        seen.add(name)
        if name not in found:
            sys.exit(f"mkinitramfs: module {name} is neither in the package nor built in")
        data = module_bytes(found[name])
        m = re.search(rb"(?:^|\0)depends=([^\0]*)", data)
        for dep in (m.group(1).decode().split(",") if m and m.group(1) else []):
            visit(dep)
        order.append(name)
        blobs[name] = data

    for w in wanted:
        visit(w)
    return order, blobs


class Cpio:
    def __init__(self, fh):
        self.fh, self.ino = fh, 1

    def entry(self, name, mode, data=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join(
            "%08x" % v
            for v in (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                      len(name_b), 0)
        )
        self.ino += 1
        self.fh.write(hdr.encode() + name_b)
        self.fh.write(b"\0" * ((4 - (110 + len(name_b)) % 4) % 4))
        self.fh.write(data)
        self.fh.write(b"\0" * ((4 - len(data) % 4) % 4))

    def trailer(self):
        self.entry("TRAILER!!!", 0)


def main():
    mdir, busybox, init, out, *wanted = sys.argv[1:]
    found, builtin = index_modules(mdir)
    order, blobs = resolve(wanted, found, builtin)
    tmp = out + ".tmp"
    with open(tmp, "wb") as fh:
        c = Cpio(fh)
        for d in ("bin", "dev", "proc", "sys", "host", "rw", "newroot", "lib", "lib/modules"):
            c.entry(d, 0o40755)
        c.entry("dev/console", 0o20600, rdev=(5, 1))
        with open(busybox, "rb") as b:
            c.entry("bin/busybox", 0o100755, b.read())
        with open(init, "rb") as i:
            c.entry("init", 0o100755, i.read())
        for name in order:
            c.entry(f"lib/modules/{name}.ko", 0o100644, blobs[name])
        c.entry("modules.order", 0o100644, "".join(n + "\n" for n in order).encode())
        c.trailer()
    os.replace(tmp, out)
    print(" ".join(order))


if __name__ == "__main__":
    main()
