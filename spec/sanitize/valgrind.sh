#!/bin/sh
# spec/sanitize/valgrind.sh B: memcheck over B/hako (the dynamically linked launcher, arena and
# all) on the paths that make no sandbox: --help, --version, --dry-run of command lines
# with every kind of option, command lines that fail, and a recipe. Each must end with
# no memcheck error and nothing "definitely lost".
#
# Not hako-enter: its first act is to exec a sealed copy of itself (hako.seal) with
# execveat(memfd, "", AT_EMPTY_PATH), which valgrind 3.19 fails with ENOENT, and under
# valgrind /proc/self/exe is never sealed nor read-only. Its parsing runs in make fuzz
# and its C, the same as hako-run's, under ASan in make sanitize.
#
# "Still reachable" and "possibly lost" are allowed: hako exits without lua_close (the
# kernel frees a process at once; closing the state would only cost start-up time), and
# the arena's blocks are pointed into, not at.
set -u
B=${1:?usage: valgrind.sh BUILD_DIR}
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)" >&2; exit 1; }

dir=$(mktemp -d /tmp/hako-valgrind.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/sb/.hako"
cat >"$dir/recipe.lua" <<'EOF'
local hako = require "hako"
local steps = hako.plan{ root = arg[1], command = { "/bin/sh", "-c", "echo hi" },
  mounts = { "/srv:/srv:ro", { tmpfs = "/tmp:1m" } }, env = { "A=1" }, cap_add = { "net_raw" } }
io.write(hako.describe(steps))
local ok, err = pcall(hako.plan, { root = arg[1], mounts = { "/x:/." } })
assert(not ok and hako.failure.is(err), tostring(err))
EOF

failed=0
# check STATUS NAME ARGV...: valgrind's verdict, and the status the command must give.
check() {
	want=$1 name=$2
	shift 2
	log="$dir/log"
	# --error-exitcode: any memcheck error, a definite leak included (--errors-for-leak-kinds),
	# gives status 99 instead of the command's.
	( cd "$dir" && valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite --log-file="$log" "$@" >/dev/null 2>"$dir/stderr" )
	status=$?
	# valgrind 3.19 does not know openat2 (437) nor Landlock's calls (444-446): --dry-run
	# resolves paths with openat2 (and falls back to openat on ENOSYS, as here) and asks the
	# kernel's Landlock ABI; valgrind says so, lines that are not a memcheck finding.
	grep -v -e 'unhandled amd64-linux syscall: \(437\|44[4-6]\)$' -e 'You may be able to write your own handler' \
		-e 'README_MISSING_SYSCALL_OR_IOCTL' -e 'Nevertheless we consider this a bug' \
		-e 'valgrind.org/support/bug_reports' "$log" >"$log.kept"
	mv "$log.kept" "$log"
	if [ "$status" != "$want" ] || [ -s "$log" ]; then
		echo "valgrind: $name: status $status (want $want)" >&2
		cat "$log" "$dir/stderr" >&2
		failed=1
	else
		echo "valgrind: $name: clean"
	fi
}

B=$(cd "$B" && pwd)
check 0 "hako-run --help" "$B/hako-run" --help
check 0 "hako-run --version" "$B/hako-run" --version
check 0 "hako --version" "$B/hako" --version
check 0 "hako --help" "$B/hako" --help
check 0 "hako run --dry-run" "$B/hako" run -n -t /tmp sb /bin/true
check 0 "hako-run --dry-run, every kind of option" "$B/hako-run" -n -m /srv/data:/data:ro -m 'a\:b:/c:rw' \
	-t /tmp:64m --dev-bind /dev/null:/null -R --proc --no-dev --sys -N host -H box -u 1000 -g 100 \
	--cap-add CAP_NET_RAW --keep-fd 3 -e A=1 --keep-env -c /home -p /run/x.pid --as-pid-1 --timeout 1.5 \
	--json-status-fd 3 sb /bin/sh -c 'echo $$'
check 0 "hako-run --dry-run --userns" "$B/hako-run" -n --userns --map-users auto sb
check 125 "hako-run, unknown option" "$B/hako-run" --bogus sb
check 125 "hako-run, bad mount" "$B/hako-run" -n -m '/x:/.' sb
check 125 "hako-run, no target" "$B/hako-run"
check 125 "hako, unknown option" "$B/hako" --bogus
check 0 "hako recipe.lua (a plan, and a failure caught)" "$B/hako" recipe.lua sb
check 125 "hako, a missing recipe" "$B/hako" missing.lua
[ "$failed" = 0 ] && echo "valgrind: no error, nothing definitely lost"
exit "$failed"
