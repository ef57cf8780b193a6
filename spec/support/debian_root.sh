#!/bin/sh
# debian_root.sh [DIR]: a minimal Debian root (debootstrap --variant=minbase bookworm), made
# once and kept for later test runs in DIR (default /var/cache/hako-test/bookworm). Made
# beside it and renamed when complete, so an interrupted run leaves no half root behind.
# It needs root, debootstrap and the Debian archive (http://deb.debian.org/debian).
set -eu
dir=${1:-/var/cache/hako-test/bookworm}
mirror=${HAKO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ -f "$dir/.hako-test-complete" ] && exit 0
mkdir -p "$(dirname "$dir")"
new="$dir.new.$$"
trap 'rm -rf --one-file-system "$new"' EXIT
debootstrap --variant=minbase bookworm "$new" "$mirror" >"$new.log" 2>&1 || {
	tail -n 20 "$new.log" >&2
	rm -f "$new.log"
	exit 1
}
rm -f "$new.log"
touch "$new/.hako-test-complete"
rm -rf --one-file-system "$dir"
mv "$new" "$dir"
trap - EXIT
