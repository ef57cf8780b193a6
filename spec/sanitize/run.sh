#!/bin/sh
# spec/sanitize/run.sh B: make check's whole suite against the sanitizer build in B
# (make sanitize builds it), each spec run by B/hako itself as a recipe (but see
# interpreter.sh), so that hako.core and the launcher run under AddressSanitizer and
# UBSan in every test, and so does every hako-run and hako-enter the tests start. A
# report from any process fails the run, even where its test passed.
#
# Why not lua5.4 with the ASan hako.core: ASan must be the first library of a process,
# so a stock lua5.4 needs LD_PRELOAD, which every shell, make and gcc the tests start
# would inherit (and gcc leaks by design); tests that run lua5.4 under env -i could not
# have it at all. B/lib/hako/core.so, which those tests load into lua5.4, is built with
# UBSan only: its runtime may come late.
set -u
B=${1:?usage: run.sh BUILD_DIR}

# Every process writes its reports to a file of its own, PREFIX.PID, kept whatever its
# test says. World-writable (and sticky): rootless tests run hako as nobody. Where the
# file cannot be opened, in a sandbox after pivot_root and in hako-enter once it has
# taken the sandbox's root, a report is lost and the process exits 1: a test that checks
# the command's status or output fails, and the same C runs on the host in the unit
# tests and the fuzzer, where every report is kept.
logs=$(mktemp -d /tmp/hako-sanitize.XXXXXX)
chmod 1777 "$logs"
# detect_leaks=0 in the suite: at exit LeakSanitizer clones a tracer to stop the
# process's threads, and in hako-enter, which has joined the sandbox's PID namespace,
# that tracer sees parent pid 0, takes it for its parent's death and quits, and the
# process waits for it for ever. Leaks are looked for below, where LSan can run, and by
# make valgrind. detect_stack_use_after_return: hako.core hands out no pointer into its
# stack frames, this checks that it never does.
asan="log_path=$logs/asan:detect_stack_use_after_return=1"
export ASAN_OPTIONS="$asan:detect_leaks=0"
# UBSan in the ASan build reports through its own runtime: the same directory.
# print_stacktrace: where, not only what; halt_on_error: -fno-sanitize-recover=all made
# every check fatal already, this says so at run time too.
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1"

LUA_PATH="lua/?.lua;lua/?/init.lua;$B/gen/?.lua;spec/?.lua;;" LUA_CPATH="$B/lib/?.so;;" HAKO_BUILD=$B \
	prove --exec "sh spec/sanitize/interpreter.sh" spec/*_spec.lua
status=$?

# LeakSanitizer where it works: hako-run's own process, which stays on the host, around
# a real sandbox (as root), a dry run and a failure; and a recipe. The sandbox's side
# ends in exec or _exit: nothing of it outlives it.
export ASAN_OPTIONS="$asan:detect_leaks=1"
sb=$(mktemp -d /tmp/hako-sanitize-sb.XXXXXX)
mkdir -p "$sb/.hako" "$sb/bin" "$sb/mnt" "$sb/tmp"
if [ "$(id -u)" = 0 ] && cp /bin/busybox "$sb/bin/busybox" 2>/dev/null; then
	"$B/hako-run" -m /etc:/mnt:ro -t /tmp "$sb" /bin/busybox true || status=1
fi
"$B/hako-run" -n -u 1000 -g 100 -e A=1 "$sb" /bin/sh >/dev/null || status=1
"$B/hako-run" -m '/x:/.' "$sb" 2>/dev/null
printf 'local hako = require "hako"\nio.write(hako.describe(hako.plan{ root = arg[1] }))\n' >"$sb/recipe.lua"
"$B/hako" "$sb/recipe.lua" "$sb" >/dev/null || status=1
rm -rf "$sb"

reports=$(find "$logs" -type f -size +0c | sort)
if [ -n "$reports" ]; then
	for f in $reports; do
		echo "=== $f" >&2
		cat "$f" >&2
	done
	echo "sanitize: reports from $(echo "$reports" | wc -l) processes (kept in $logs)" >&2
	exit 1
fi
rm -rf "$logs"
[ "$status" = 0 ] || { echo "sanitize: the tests failed" >&2; exit 1; }
echo "sanitize: no report from any process"
