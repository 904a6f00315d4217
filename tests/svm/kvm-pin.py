#!/usr/bin/env python3
"""Hold one idle KVM VM (in-kernel irqchip, one vCPU that never runs) for as
long as L1 lives, then touch READY_FILE.

Why: creating the first VM and vCPU, and destroying the last, flips static
keys in L1's kernel (preempt notifiers, the LAPIC's hw/sw-disabled keys),
which live-patches code that the other CPU may be running (__schedule). Under
QEMU 7.2's multi-threaded TCG that other vCPU can still execute the patch's
transient int3 afterwards, and L1 oopses ("Oops: int3" in __schedule, seen
with the 6.12 kernel). With this VM held, the keys stay on while the tests
create and destroy domains. lane.sh starts it while L1 has one CPU online.
"""
import fcntl
import os
import signal
import sys

KVM_CREATE_VM = 0xAE01
KVM_CREATE_VCPU = 0xAE41
KVM_CREATE_IRQCHIP = 0xAE60

kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
fcntl.ioctl(vm, KVM_CREATE_IRQCHIP, 0)
vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
with open(sys.argv[1], "w"):
    pass
while True:
    signal.pause()
