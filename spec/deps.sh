#!/bin/sh
# deps.sh: make sure the Debian packages hako needs to build and test are there.
# As root on Debian/Ubuntu it installs what is missing; otherwise it prints the command.
set -u
PACKAGES="make gcc pkg-config lua5.4 liblua5.4-dev lua-unit lua-check busybox-static musl-tools patch xz-utils uidmap perl procps util-linux iproute2 ${HAKO_EXTRA_PACKAGES:-}"
# The launcher embeds Debian's dkjson, the JSON parser of OCI seccomp profiles.
PACKAGES="$PACKAGES lua-dkjson"
# spec/terminal_spec.lua drives a pseudo-terminal with Python's pty module.
PACKAGES="$PACKAGES python3"
# spec/seccomp_programs_spec.lua: real programs from the host under the syscall policy.
PACKAGES="$PACKAGES git perl apt"
# spec/package_spec.lua: make deb, lintian, man -w; spec/rockspec_spec.lua: luarocks make.
PACKAGES="$PACKAGES debhelper dpkg-dev lintian man-db luarocks"
# hako.syscalls (c/gen_syscalls.lua): the kernel's system call numbers of every ABI, the
# arm family's from Debian's cross headers.
PACKAGES="$PACKAGES linux-libc-dev linux-libc-dev-arm64-cross linux-libc-dev-armhf-cross"
# spec/debian_spec.lua: a Debian root made once (spec/support/debian_root.sh).
PACKAGES="$PACKAGES debootstrap"
# make sanitize and make valgrind: memcheck (ASan and UBSan come with gcc).
PACKAGES="$PACKAGES valgrind"
# spec/launcher_spec.lua: the launcher's own system calls (its arena's madvise).
PACKAGES="$PACKAGES strace"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq$missing >/dev/null && exit 0
	echo "deps: apt-get install failed" >&2
	exit 1
fi
echo "deps: missing packages; run: sudo apt-get install -y$missing" >&2
exit 1
