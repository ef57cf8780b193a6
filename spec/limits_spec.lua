-- limits_spec: --memory, --pids, --cpus on this machine's real cgroups (a hybrid host: v1
-- controllers, a v2 mount with none of them), and nothing left behind: no cgroup after a
-- run, a SIGKILLed hako-run or an entered command. Needs root.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local q = process.quote
local HAKO_RUN = sandbox.bin("hako-run")

-- Every cgroup directory hako made that is still there though its hako-run has ended
-- (they are named hako-<pid of hako-run>), but those there before the test began.
local function leftovers(before)
  local left = {}
  for dir in process.sh("find /sys/fs/cgroup -maxdepth 6 -type d -name 'hako-[0-9]*' 2>/dev/null"):gmatch("[^\n]+") do
    local pid = dir:match("hako%-(%d+)$")
    if not (before or {})[dir] and not io.open("/proc/" .. pid .. "/stat") then left[#left + 1] = dir end
  end
  return table.concat(left, "\n")
end

local function eventually(f)
  for _ = 1, 500 do
    if f() then return true end
    process.sh("sleep 0.01")
  end
  return false
end

TestLimits = {}

function TestLimits:setUp()
  lu.skipIf(not process.is_root(), "needs root to make sandboxes and cgroups")
  self.sb = sandbox.new()
  self.before = {}
  for dir in leftovers():gmatch("[^\n]+") do self.before[dir] = true end
end

function TestLimits:tearDown()
  if not self.sb then return end
  self.sb:remove()
  lu.assertTrue(eventually(function() return leftovers(self.before) == "" end),
    "cgroups left: " .. leftovers(self.before))
end

-- A memory hog is ended by the OOM killer inside its limit, and hako-run says so.
function TestLimits:test_a_memory_hog_is_oom_killed_and_reported()
  self.sb:write("hog.sh", "x=a; while true; do x=\"$x$x\"; done\n")
  local status = self.sb.root .. ".status"
  local r = process.run({ "sh", "-c", q(HAKO_RUN) .. " --memory 32M --json-status-fd 3 " .. q(self.sb.root)
    .. " /bin/sh /hog.sh 3>" .. q(status) })
  lu.assertEquals(r.status, 137)
  lu.assertEquals(r.stderr, "hako-run: memory limit reached (33554432 bytes): the OOM killer ended a process\n")
  local report = assert(io.open(status)):read("a")
  os.remove(status)
  local last = report:match("[^\n]*\n$")
  lu.assertStrMatches(last, '{"signal": 9, "oom": true, "memory_peak": %d+}\n')
  lu.assertTrue(tonumber(last:match('"memory_peak": (%d+)')) <= 32 << 20)
  -- Within a larger limit the same shell ends as it would (here: it is told to stop).
  r = self.sb:run({ "--memory", "64M", "--json-status-fd", "1" }, { "/bin/true" })
  lu.assertStrContains(r.stdout, '{"exit": 0, "oom": false, "memory_peak": ')
end

-- A fork bomb stops at --pids: hako's init counts too.
function TestLimits:test_a_fork_bomb_stops_at_its_pids()
  -- Counted with the shell's builtins alone: once the bomb has gone off, nothing can fork.
  -- (The bomb is a shell of its own: busybox's ends when a fork fails.)
  local bomb = "sh -c 'n=0; while [ $n -lt 100 ]; do sleep 30 & n=$((n + 1)); done' 2>/dev/null;"
    .. " c=0; for p in /proc/[0-9]*; do c=$((c + 1)); done; echo $c"
  local r = self.sb:run({ "--pids", "16" }, { "/bin/sh", "-c", bomb })
  local seen = tonumber(r.stdout:match("%d+"))
  lu.assertTrue(seen ~= nil and seen <= 16 and seen >= 10, r.stdout .. r.stderr)
  -- Control: without the limit, all 100 start.
  r = self.sb:run({}, { "/bin/sh", "-c", bomb })
  lu.assertTrue(tonumber(r.stdout:match("%d+")) > 100, r.stdout)
end

-- --cpus 0.5 holds a busy loop near half a CPU: CPU time over elapsed time, both read in
-- the sandbox's /proc, over about two seconds (loose bounds; the machine is shared).
local BUSY = table.concat({
  "read up0 x < /proc/uptime",
  "end=$(( ${up0%.*} + 2 )); while read up1 x < /proc/uptime && [ ${up1%.*} -lt $end ]; do :; done",
  "set -- $(busybox sed 's/.*) //' /proc/$$/stat)",
  "echo $(( (${12} + ${13}) * 100 )) $(( (${up1%.*}${up1#*.} - ${up0%.*}${up0#*.}) ))",
}, "; ")

local function share(sb, options)
  local r = sb:run(options, { "/bin/sh", "-c", BUSY })
  local cpu, elapsed = r.stdout:match("^(%d+) (%d+)")
  lu.assertNotNil(cpu, r.stdout .. r.stderr)
  return tonumber(cpu) / tonumber(elapsed) / 100
end

-- Upper bounds only (a loaded machine gives less, never more), and a control: without a
-- limit the loop gets well over a tenth's share.
function TestLimits:test_cpus_holds_a_busy_loop_near_its_share()
  local half = share(self.sb, { "--cpus", "0.5" })
  lu.assertTrue(half < 0.6, "share with --cpus 0.5: " .. half)
  local tenth = share(self.sb, { "--cpus", "0.1" })
  lu.assertTrue(tenth < 0.15, "share with --cpus 0.1: " .. tenth)
  local free = share(self.sb, {})
  lu.assertTrue(free > 2 * tenth and free > 0.2, "share without a limit: " .. free .. ", with 0.1: " .. tenth)
end

-- The sandbox starts in its cgroup v2 (clone3) and sees its cgroups as its root; the v1
-- ones it is moved into before it runs anything of its own.
function TestLimits:test_the_sandbox_is_in_its_cgroups_and_sees_them_as_root()
  local r = self.sb:run({ "--pids", "20", "--memory", "64M" }, { "/bin/sh", "-c",
    "grep -E '^(0|[0-9]+:(pids|memory)):' /proc/self/cgroup" })
  lu.assertEquals(r.stdout, "8:pids:/\n4:memory:/\n0::/\n", r.stderr)
end

-- hako-enter's command joins the sandbox's cgroups, also without --fork; when the
-- sandbox ends, it is killed with the rest (cgroup.kill) and the cgroups go.
function TestLimits:test_an_entered_command_is_in_the_cgroups_and_ends_with_them()
  local pidfile = self.sb.root .. ".pid"
  local supervisor = process.sh(q(HAKO_RUN) .. " --pids 20 -p " .. q(pidfile) .. " " .. q(self.sb.root)
    .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  lu.assertTrue(eventually(function() return io.open(pidfile) ~= nil end))
  local pid = assert(io.open(pidfile)):read("l")
  local enter = q(sandbox.bin("hako-enter"))
  lu.assertEquals(process.sh(enter .. " " .. pid .. " /bin/sh -c 'grep pids /proc/self/cgroup'"), "8:pids:/\n")
  local entered = process.sh(enter .. " --no-fork " .. pid .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  lu.assertTrue(eventually(function()
    return process.sh("cat /sys/fs/cgroup/pids/hako-" .. supervisor .. "/cgroup.procs 2>/dev/null"):find("\n" .. entered
      .. "\n", 1, true) ~= nil or process.sh("cat /sys/fs/cgroup/pids/hako-" .. supervisor .. "/cgroup.procs"):match("^"
      .. entered .. "\n") ~= nil
  end), "the entered command is not in the sandbox's pids cgroup")
  os.execute("kill " .. supervisor)
  lu.assertTrue(eventually(function() return not io.open("/proc/" .. entered .. "/stat") end),
    "the entered command outlived its sandbox")
  os.remove(pidfile)
end

-- 50 runs, half of them SIGKILLed at some point of their start or run: not one cgroup left.
function TestLimits:test_no_cgroup_is_left_after_50_runs_some_killed()
  local script = table.concat({
    "for i in $(seq 50); do",
    "  if [ $((i % 2)) = 0 ]; then " .. q(HAKO_RUN) .. " --pids 20 --memory 64M " .. q(self.sb.root) .. " /bin/true",
    "  else " .. q(HAKO_RUN) .. " --pids 20 --memory 64M " .. q(self.sb.root) .. " /bin/sleep 5 & p=$!;",
    "    sleep 0.0$((i % 10)); kill -KILL $p; wait $p; fi",
    "done >/dev/null 2>&1; echo done",
  }, "\n")
  lu.assertEquals(process.sh(script), "done\n")
  lu.assertTrue(eventually(function() return leftovers(self.before) == "" end),
    "cgroups left: " .. leftovers(self.before))
end

function TestLimits:test_rootless_without_delegation_is_one_clear_line()
  process.sh("chown -R 65534:65534 " .. q(self.sb.root))
  local r = process.run({ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", HAKO_RUN, "--pids", "8",
    self.sb.root, "/bin/true" })
  lu.assertEquals(r.status, 125)
  lu.assertStrMatches(r.stderr, "hako%-run: cgroup /sys/fs/cgroup/%S+/hako%-%d+: Permission denied %(rootless: "
    .. "cgroup v2 with a subtree delegated to the user, as systemd's user@UID.service gives, is needed for limits%)\n")
  -- rlimits still work
  lu.assertEquals(process.sh("setpriv --reuid=65534 --regid=65534 --clear-groups " .. q(HAKO_RUN)
    .. " --rlimit nofile=20 " .. q(self.sb.root) .. " /bin/sh -c 'ulimit -n'"), "20\n")
end

-- A command that could mount cgroupfs could lift its limits: not both.
function TestLimits:test_sys_admin_and_limits_are_refused_together()
  local r = self.sb:run({ "--cap-add", "sys_admin", "--pids", "9" }, { "/bin/true" })
  lu.assertEquals({ r.status, r.stderr }, { 125,
    "hako-run: --cap-add sys_admin: cannot go with --memory, --pids or --cpus: the command could lift them\n" })
  -- and the status report speaks of OOM only where memory is limited
  r = self.sb:run({ "--pids", "9", "--json-status-fd", "1" }, { "/bin/true" })
  lu.assertStrContains(r.stdout, '{"exit": 0, "pids_peak": ')
  lu.assertNotStrContains(r.stdout, '"oom"')
end

-- A process that takes its time to die (here: frozen) keeps the cgroup busy after a
-- SIGKILLed hako-run: the watcher waits for it, and removes the cgroup once it is gone.
function TestLimits:test_the_watcher_waits_for_a_slow_death()
  local pidfile = self.sb.root .. ".pid"
  local supervisor = process.sh(q(HAKO_RUN) .. " --memory 64M -p " .. q(pidfile) .. " " .. q(self.sb.root)
    .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  lu.assertTrue(eventually(function() return io.open(pidfile) ~= nil end))
  local init = assert(io.open(pidfile)):read("l")
  local freezer = "/sys/fs/cgroup/freezer/hako-test-" .. supervisor
  process.sh("mkdir " .. freezer .. " && echo " .. init .. " > " .. freezer .. "/cgroup.procs && echo FROZEN > "
    .. freezer .. "/freezer.state && kill -KILL " .. supervisor)
  process.sh("sleep 3") -- longer than hako-run itself would have tried
  lu.assertNotEquals(leftovers(self.before), "", "the cgroups went while their process lived")
  process.sh("echo THAWED > " .. freezer .. "/freezer.state")
  lu.assertTrue(eventually(function() return leftovers(self.before) == "" end), "cgroups left: " .. leftovers())
  process.sh("rmdir " .. freezer .. "; rm -f " .. q(pidfile))
end

function TestLimits:test_dry_run_shows_every_cgroup_and_file()
  local r = self.sb:run({ "--dry-run", "--pids", "9", "--cgroup-parent", "/" }, { "/bin/true" })
  lu.assertStrMatches(r.stdout, ".*\ncgroup: /sys/fs/cgroup/unified/hako%-%d+ %(v2%)\n"
    .. "cgroup: /sys/fs/cgroup/pids/hako%-%d+ %(v1: pids%) pids.max=9\n$")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
