#!/bin/sh
# bench.sh BUILD: `make bench`: hako against chroot, unshare, bwrap, crun and nsenter on one
# busybox sandbox, one hyperfine session per table (tables.lua). Root only; never in check.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)

# python3-seccomp: libseccomp's filter for table 5's comparison, never a part of hako.
HAKO_EXTRA_PACKAGES="hyperfine bubblewrap crun time musl-tools python3-seccomp ${HAKO_EXTRA_PACKAGES:-}" \
	sh "$here/../deps.sh"
if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (hako-run, bwrap --bind /, crun and nsenter do)" >&2
	exit 1
fi

# The kernel floor (floor.c): static, like the binaries it is measured against.
mkdir -p "$build/bench"
if command -v musl-gcc >/dev/null; then floor_cc="musl-gcc -static"; else floor_cc="gcc -static"; fi
$floor_cc -O2 -std=c99 -Wall -Wextra -o "$build/bench/floor" "$here/floor.c"

# P6 and the static rows: a dynamically linked build gets the static musl one beside it.
if [ -z "${HAKO_STATIC:-}" ] && [ -f c/static.mk ] && readelf -d "$build/hako" | grep -q NEEDED; then
	if make -s B="$build/musl" CC='musl-gcc -static' >"$build/bench/static-build.log" 2>&1; then
		export HAKO_STATIC="$build/musl"
	else
		echo "bench: the static musl build failed, see $build/bench/static-build.log" >&2
	fi
fi

# crun refuses hosts that mount cgroup v1 and v2 side by side ("cgroups in hybrid mode not
# supported"). Then the whole bench runs in a private mount namespace whose /sys/fs/cgroup
# is the v2 hierarchy alone: set up once, outside every timed command, the same for all.
if [ -z "${HAKO_BENCH_NS:-}" ] && [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] &&
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	exec env HAKO_BENCH_NS=1 unshare --mount --propagation private sh -c '
		umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup ||
			echo "bench: could not make a cgroup2-only /sys/fs/cgroup; crun may fail" >&2
		exec sh "$0" "$@"' "$0" "$@"
fi

# The sandbox: static busybox, the directories hako-run wants, 1000 bind targets.
work=$(mktemp -d /tmp/hako-bench.XXXXXX)
trap 'umount "$work/ro" 2>/dev/null || :; rm -rf --one-file-system "$work"' EXIT
root=$work/root
mkdir -p "$root/.hako" "$root/bin" "$root/proc" "$root/dev" "$root/etc" "$root/tmp" "$work/src"
cp /bin/busybox "$root/bin/busybox"
for applet in true sh sleep; do ln -s busybox "$root/bin/$applet"; done
(cd "$root" && mkdir -p mnt && cd mnt && seq -f b%g 1 1000 | xargs mkdir)

lua5.4 "$here/tables.lua" "$build" "$work" "$build/bench-results.md"
