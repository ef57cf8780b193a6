-- tables.lua BUILD WORK OUT: the four tables of `make bench` and the targets of
-- doc/PERFORMANCE.md (targets.lua), printed as markdown and written to OUT. Run by bench.sh,
-- which made WORK/root (a busybox sandbox with /mnt/b1..b1000), WORK/src (the bind source)
-- and BUILD/bench/floor (floor.c, the kernel's own cost, every target's yardstick).
--
-- hako rows that need an option this build lacks say "n/a (not built yet)" instead of
-- failing, so the bench works on every branch; any other row that fails says why.
-- BENCH_HAKO_RUN_ARGS is put after hako-run in every hako-run row: by default
-- "--userns host", so that hako is timed like the floor, which has no user namespace;
-- table 1's row "root's default" times the user namespace with idmapped mounts beside it.

package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local m = require "measure"
local filters = require "filters"

local build, work, out_path = arg[1], arg[2], arg[3]
local pwd = m.sh("pwd"):gsub("\n$", "")
if build:sub(1, 1) ~= "/" then build = pwd .. "/" .. build end
local root, src, dir = work .. "/root", work .. "/src", build .. "/bench"
local HAKO, HAKO_ENTER = build .. "/hako", build .. "/hako-enter"
local RUN_ARGS = os.getenv("BENCH_HAKO_RUN_ARGS") or "--userns host"
local HAKO_RUN = build .. "/hako-run" .. (RUN_ARGS ~= "" and " " .. RUN_ARGS or "")
local FLOOR = dir .. "/floor"
local NA = "n/a (not built yet)"

local help = m.sh(build .. "/hako-run --help 2>&1")
-- na_unless("--net", ...) -> nil if hako-run has every option, else the n/a text.
local function na_unless(...)
  for _, option in ipairs({ ... }) do
    if not help:find(option, 1, true) then return NA end
  end
end

-- An OCI bundle for crun: pid/ipc/uts/mount namespaces, /proc, a tmpfs /dev (crun fills
-- it with the usual devices), and n read-only binds of src onto /mnt/b1..bn.
local function crun_bundle(name, n)
  local bundle = work .. "/" .. name
  local mounts = { '{"destination": "/proc", "type": "proc", "source": "proc"}',
    '{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}' }
  for i = 1, n do
    mounts[#mounts + 1] = string.format(
      '{"destination": "/mnt/b%d", "type": "bind", "source": "%s", "options": ["bind", "ro"]}', i, src)
  end
  os.execute("mkdir -p " .. bundle)
  local f = assert(io.open(bundle .. "/config.json", "w"))
  f:write(string.format([[
{ "ociVersion": "1.0.0",
  "process": { "terminal": false, "user": { "uid": 0, "gid": 0 }, "args": ["/bin/true"], "cwd": "/" },
  "root": { "path": "%s" },
  "mounts": [ %s ],
  "linux": { "namespaces": [ {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"} ] } }
]], root, table.concat(mounts, ",\n    ")))
  f:close()
  return "crun run --bundle " .. bundle .. " hako-bench-" .. name
end

local BWRAP = "bwrap --unshare-pid --unshare-ipc --unshare-uts --bind " .. root .. " / --proc /proc --dev /dev"
local BWRAP_NAME = "bwrap (pid ipc uts /proc /dev)"
local HAKO_NET_HOST = HAKO_RUN .. " -N host"
local report = {}
local function say(text)
  io.stdout:write(text, "\n")
  io.stdout:flush()
  report[#report + 1] = text
end

-- Table 1 ---------------------------------------------------------------------------
-- The network namespace rows come last: a dead netns is cleaned up by a kernel worker
-- after its command has returned, and that work would slow the rows timed after it.
-- A dynamically linked build gets the static musl one beside it (bench.sh makes it).
local STATIC = os.getenv("HAKO_STATIC")
local t1 = {
  { name = "direct exec (no sandbox)", cmd = root .. "/bin/true" },
  { name = "chroot", cmd = "chroot " .. root .. " /bin/true" },
  { name = "unshare -m -p -i -u --fork --root", cmd = "unshare --mount --pid --ipc --uts --fork --root="
    .. root .. " /bin/true" },
  { name = BWRAP_NAME, cmd = BWRAP .. " /bin/true", ref = true },
  { name = "crun run (minimal config)", cmd = crun_bundle("minimal", 0) },
  { name = "floor (kernel work of -N host)", cmd = FLOOR .. " " .. root .. " /bin/true" },
  { name = "hako-run -N host", cmd = HAKO_NET_HOST .. " " .. root .. " /bin/true", na = na_unless("--net") },
  -- Root's default is a user namespace of its own with idmapped mounts (issue 19); the rows
  -- above take BENCH_HAKO_RUN_ARGS (default --userns host), like the floor, which has none.
  { name = "hako-run -N host (root's default: own user namespace)", na = na_unless("--net", "[auto|host]"),
    cmd = build .. "/hako-run -N host " .. root .. " /bin/true" },
}
if STATIC then
  t1[#t1 + 1] = { name = "hako-run -N host (static musl build)", na = na_unless("--net"),
    cmd = STATIC .. "/hako-run " .. RUN_ARGS .. " -N host " .. root .. " /bin/true" }
end
t1[#t1 + 1] = { name = "floor -n (netns and lo up)", cmd = FLOOR .. " -n " .. root .. " /bin/true" }
t1[#t1 + 1] = { name = "hako-run default (new netns)", cmd = HAKO_RUN .. " " .. root .. " /bin/true",
  na = na_unless("--net") }
t1[#t1 + 1] = { name = "bwrap --unshare-net", cmd = "bwrap --unshare-net" .. BWRAP:sub(6) .. " /bin/true" }
m.hyperfine("table1", t1, dir)

-- Table 2 ---------------------------------------------------------------------------
local COUNTS = { 0, 1, 10, 100, 1000 }
local function binds(n, fmt)
  local parts = {}
  for i = 1, n do parts[i] = string.format(fmt, src, "/mnt/b" .. i) end
  return table.concat(parts, " ")
end
local t2 = {}
local hako_base = help:find("--net", 1, true) and HAKO_NET_HOST or HAKO_RUN
for _, n in ipairs(COUNTS) do
  t2[#t2 + 1] = { name = "hako-run " .. n .. " binds", tool = "hako-run", n = n, na = na_unless("--mount"),
    cmd = hako_base .. " " .. binds(n, "--mount %s:%s:ro") .. " " .. root .. " /bin/true" }
end
for _, n in ipairs(COUNTS) do
  t2[#t2 + 1] = { name = "floor " .. n .. " binds", tool = "floor", n = n,
    cmd = FLOOR .. " " .. binds(n, "-b %s:%s") .. " " .. root .. " /bin/true" }
end
for _, n in ipairs(COUNTS) do
  t2[#t2 + 1] = { name = "bwrap " .. n .. " binds", tool = "bwrap", n = n,
    cmd = BWRAP .. " " .. binds(n, "--ro-bind %s %s") .. " /bin/true" }
end
for _, n in ipairs(COUNTS) do
  t2[#t2 + 1] = { name = "crun " .. n .. " binds", tool = "crun", n = n, cmd = crun_bundle("binds" .. n, n) }
end
m.hyperfine("table2", t2, dir, { warmup = 3, min_runs = 20, max_runs = m.RUNS })
local function zero_of(row)
  for _, r in ipairs(t2) do
    if r.tool == row.tool and r.n == 0 then return r end
  end
end
local function extra_ms(row)
  local zero = zero_of(row)
  if row.n > 0 and row.median and zero and zero.median then return row.median - zero.median end
end

-- Table 3 ---------------------------------------------------------------------------
-- A sandbox to enter: its PID 1, from --pid-file, or else hako-run's only child.
local run_pid_file, sandbox_pid_file = work .. "/hako-run.pid", work .. "/sandbox.pid"
local pid_option = help:find("--pid-file", 1, true) and "--pid-file " .. sandbox_pid_file .. " " or ""
os.execute(HAKO_RUN .. " " .. pid_option .. root .. " /bin/sleep 100000 >/dev/null 2>&1 & echo $! >" .. run_pid_file)
local hako_run_pid = m.sh("cat " .. run_pid_file):match("%d+")
local target
for _ = 1, 200 do
  target = m.sh(pid_option ~= "" and "cat " .. sandbox_pid_file .. " 2>/dev/null" or
    "cat /proc/" .. hako_run_pid .. "/task/" .. hako_run_pid .. "/children 2>/dev/null"):match("%d+")
  if target and os.execute("nsenter -a -t " .. target .. " /bin/true 2>/dev/null") then break end
  target = nil
  os.execute("sleep 0.01")
end
local t3 = {
  { name = "nsenter -a -t PID /bin/true", cmd = "nsenter -a -t " .. tostring(target) .. " /bin/true", ref = true },
  { name = "hako-enter PID /bin/true", cmd = HAKO_ENTER .. " " .. tostring(target) .. " /bin/true",
    na = not m.exists(HAKO_ENTER) and NA or nil },
}
-- hako-enter re-execs from a sealed copy of its binary unless that is on a read-only
-- mount (doc/THREATS.md 18): the same binaries again, from a read-only bind mount.
local ro = work .. "/ro"
local setup = { "mkdir -p " .. ro .. "/static", "cp " .. HAKO .. " " .. ro .. "/hako",
  "ln -sf hako " .. ro .. "/hako-enter" }
if STATIC then
  setup[#setup + 1] = "cp " .. STATIC .. "/hako " .. ro .. "/static/hako"
  setup[#setup + 1] = "ln -sf hako " .. ro .. "/static/hako-enter"
end
setup[#setup + 1] = "mount --bind " .. ro .. " " .. ro
setup[#setup + 1] = "mount -o remount,bind,ro " .. ro
local ro_ok = m.exists(HAKO_ENTER) and os.execute(table.concat(setup, " && "))
if ro_ok then
  t3[#t3 + 1] = { name = "hako-enter (binary on a read-only mount)",
    cmd = ro .. "/hako-enter " .. tostring(target) .. " /bin/true" }
end
if STATIC and m.exists(HAKO_ENTER) then
  t3[#t3 + 1] = { name = "static musl hako-enter", cmd = STATIC .. "/hako-enter " .. tostring(target) .. " /bin/true" }
  if ro_ok then
    t3[#t3 + 1] = { name = "static musl hako-enter (read-only mount)",
      cmd = ro .. "/static/hako-enter " .. tostring(target) .. " /bin/true" }
  end
end
if not target then
  for _, row in ipairs(t3) do row.na = row.na or "no sandbox to enter: hako-run did not start" end
end
m.hyperfine("table3", t3, dir)
if ro_ok then os.execute("umount " .. ro) end
-- Its PID 1 ignores SIGTERM (no handler): kill it, and hako-run ends and cleans up.
os.execute("kill -KILL " .. (target or hako_run_pid) .. " 2>/dev/null")
for _ = 1, 200 do
  if not m.exists("/proc/" .. hako_run_pid) then break end
  os.execute("sleep 0.01")
end

-- Table 4 ---------------------------------------------------------------------------
local t4 = {
  { name = "/bin/true", cmd = "/bin/true", ref = true },
  { name = "hako --version", cmd = HAKO .. " --version" },
  { name = "hako-run --version", cmd = HAKO_RUN .. " --version" },
}
if STATIC then t4[#t4 + 1] = { name = "static musl hako --version", cmd = STATIC .. "/hako --version" } end
m.hyperfine("table4", t4, dir, { runs = 3 * m.RUNS, warmup = 3 * m.WARMUP })
local RSS_RUNS = 21
local rss = {
  { "hako-run -N host ROOT /bin/true", m.peak_rss(HAKO_NET_HOST .. " " .. root .. " /bin/true", RSS_RUNS) },
  { BWRAP_NAME .. " /bin/true", m.peak_rss(BWRAP .. " /bin/true", RSS_RUNS) },
  { "floor ROOT /bin/true", m.peak_rss(FLOOR .. " " .. root .. " /bin/true", RSS_RUNS) },
  { "hako --version", m.peak_rss(HAKO .. " --version", RSS_RUNS) },
  { "/bin/true", m.peak_rss("/bin/true", RSS_RUNS) },
}
if STATIC then
  rss[#rss + 1] = { "static musl hako-run -N host ROOT /bin/true",
    m.peak_rss(STATIC .. "/hako-run " .. RUN_ARGS .. " -N host " .. root .. " /bin/true", RSS_RUNS) }
end

local function binary(path)
  local size = tonumber(m.sh("stat -L -c %s " .. m.quote(path) .. " 2>/dev/null"):match("%d+"))
  local dynamic = m.sh("readelf -d " .. m.quote(path) .. " 2>/dev/null"):find("NEEDED", 1, true)
  return size, not dynamic
end

-- Report ----------------------------------------------------------------------------
local cpu = m.sh("grep -m1 'model name' /proc/cpuinfo"):match(":%s*(.-)%s*$") or "?"
say("# hako bench, " .. os.date("!%Y-%m-%d %H:%M UTC"))
say(string.format("\nMachine: %s, %s CPUs, %s MiB, Linux %s; %s -N. A median is the median of "
  .. "%d sessions' medians (%d runs each; table 2: ~3 s a command, 20 runs at least); min and max are over all runs.",
  cpu, m.sh("nproc"):match("%d+"), m.sh("free -m"):match("Mem:%s+(%d+)"),
  m.sh("uname -r"):gsub("%s+$", ""), m.sh("hyperfine --version"):gsub("%s+$", ""), m.ROUNDS, m.RUNS))
say("\n## 1. /bin/true in a sandbox\n")
say(m.table_of(t1))
say("## 2. Read-only binds (cost per bind)\n")
say(m.table_of(t2, {
  { "+ms over 0 binds", function(row) return m.fmt(extra_ms(row)) end },
  { "µs per bind", function(row)
    local extra = extra_ms(row)
    return extra and m.fmt(extra * 1000 / row.n, 0)
  end } }))
say("## 3. Entering a running sandbox\n")
say(m.table_of(t3))
say("## 4. The launcher\n")
say(m.table_of(t4, { { "+ms over /bin/true", function(row) return m.fmt(row.median - t4[1].median) end } }))
say("| peak RSS (/usr/bin/time -f %M, median of " .. RSS_RUNS .. ") | KiB |\n|---|---|")
for _, r in ipairs(rss) do say("| " .. r[1] .. " | " .. r[2] .. " |") end
local size, static = binary(HAKO)
say(string.format("\n%s: %d bytes (%.0f KiB), %s", HAKO, size or 0, (size or 0) / 1024,
  static and "static" or "dynamically linked"))

-- Targets ---------------------------------------------------------------------------
say("\n## 5. A system call under a seccomp filter (a process's own timing)\n")
say(filters.run(build, root, dir, HAKO_RUN))
require("targets").report(say, {
  t1 = t1, t2 = t2, t3 = t3, t4 = t4, rss = rss, extra_ms = extra_ms, dir = dir, binary = binary,
  hako = HAKO, static = STATIC, bwrap = BWRAP_NAME,
})
local function ratio(a, b)
  if a and b and a.median and b.median then return a.median / b.median end
end
local own_userns = ratio(m.by_name(t1, "hako-run -N host (root's default: own user namespace)"),
  m.by_name(t1, "hako-run -N host"))
say("- Root's user namespace with idmapped mounts (the default) / --userns host: "
  .. (own_userns and string.format("%.2f×", own_userns) or "not measurable yet"))

local f = assert(io.open(out_path, "w"))
f:write(table.concat(report, "\n"), "\n")
f:close()
io.stderr:write("bench: results written to ", out_path, "\n")
