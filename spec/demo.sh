#!/bin/sh
# demo.sh HAKO_RUN: make a tiny busybox sandbox and show what is isolated in it.
set -eu
hako_run=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(mktemp -d /tmp/hako-demo.XXXXXX)
trap 'rm -rf --one-file-system "$root"' EXIT
mkdir -p "$root/.hako" "$root/bin" "$root/proc"
cp /bin/busybox "$root/bin/busybox"
for applet in sh echo hostname ls mount ps cat id grep cut sed; do ln -s busybox "$root/bin/$applet"; done

echo "== on the host: pid $$, hostname $(hostname), / has $(ls / | wc -l) entries"
echo "== $ hako-run $root /bin/sh -c '...'"
"$hako_run" "$root" /bin/sh -c '
	echo "my pid: $$"
	echo "hostname: $(hostname)"
	echo "/ holds:" /* /.[!.]*
	echo "/.hako (where the host root was) holds: [$(ls -A /.hako)]"
	echo "I am $(id -u) here, with capabilities $(grep CapEff /proc/self/status | cut -f2)"
	mount -t tmpfs x /bin 2>&1 | sed "s/^/even so: /"
	echo "processes I can see (1 is hako'"'"'s init, I am its child):"
	ps -o pid,user,comm
	echo "host files? $(cat /etc/os-release 2>&1)"
'
echo "== exit status $?; the host is unchanged: hostname $(hostname)"
