-- lifecycle_spec: PID 1, signals, exit status, dying with hako-run, nothing left behind.
-- Real sandboxes: needs root (skipped with the reason otherwise). No test measures time:
-- waits are bounded polls for a condition.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local ROOT = process.is_root()
local q = process.quote

-- Shell: poll (at most ~10 s) until the condition holds; the test goes on either way
-- and asserts the condition itself.
local function poll(condition)
  return "n=0; until " .. condition .. " || [ $n -ge 1000 ]; do sleep 0.01; n=$((n+1)); done"
end

-- The lines of a --json-status-fd file: { text = line, pid = N, ns = { mnt = N, ... } }.
local function json_lines(path)
  local lines = {}
  for line in io.lines(path) do
    local t = { text = line, pid = tonumber(line:match('^{"pid": (%d+)')), ns = {} }
    for key, value in (line:match('"ns": {(.-)}') or ""):gmatch('"(%w+)": (%d+)') do
      t.ns[key] = tonumber(value)
    end
    lines[#lines + 1] = t
  end
  return lines
end

-- Shell: the pids of the processes in the PID namespace `id`.
local function in_pid_ns(id)
  return "for p in /proc/[0-9]*; do [ \"$(readlink $p/ns/pid 2>/dev/null)\" = 'pid:[" .. id
    .. "]' ] && echo $p; done"
end

-- Processes on the host in the PID namespace `id`, and files mentioning `root` in any
-- process's mount table (every mount namespace there is).
local function leftovers(ns_id, root)
  return process.sh(in_pid_ns(ns_id) .. "; grep -l " .. q(root) .. " /proc/[0-9]*/mountinfo 2>/dev/null; true")
end

TestLifecycle = {}

function TestLifecycle:setUp()
  lu.skipIf(not ROOT, "needs root (rootless hako-run is a later feature)")
  self.sb = sandbox.new()
  -- The shell starts background jobs with their stdin on /dev/null.
  process.sh("mknod -m 666 " .. q(self.sb:path("dev/null")) .. " c 1 3")
  self.run = q(sandbox.bin("hako-run")) .. " " .. q(self.sb.root)
  self.status = self.sb:path("status.json")
end

function TestLifecycle:tearDown()
  if self.sb then self.sb:remove() end
end

-- A recipe run by the hako binary: `body` is Lua with `hako` and `root` defined.
function TestLifecycle:recipe(body, args)
  local path = self.sb:path("recipe.lua")
  self.sb:write("recipe.lua", 'local hako = require "hako"\nlocal root = arg[1]\n' .. body)
  return q(sandbox.bin("hako")) .. " " .. q(path) .. " " .. q(self.sb.root) .. " " .. (args or "")
end

function TestLifecycle:test_a_command_that_exits_at_once_1000_times()
  -- timeout(1) only keeps a hang from blocking the suite; it is not what is tested.
  local out = process.sh("timeout 900 sh -c " .. q("bad=0; i=0; while [ $i -lt 1000 ]; do "
    .. "c=$((i % 3)); " .. self.run .. " /bin/sh -c \"exit $c\"; s=$?; "
    .. "[ $s = $c ] || { bad=$((bad+1)); echo \"run $i: $s, not $c\"; }; i=$((i+1)); done; "
    .. "echo \"runs=$i bad=$bad\"") .. " || echo 'timeout: status '$?")
  lu.assertEquals(out, "runs=1000 bad=0\n")
end

function TestLifecycle:test_orphans_are_reaped_and_nothing_survives()
  local script = table.concat({
    "mount -t proc proc /proc",
    -- Orphans that end at once: reparented to PID 1, which must reap them.
    "i=0; while [ $i -lt 50 ]; do sh -c 'sleep 0 & sleep 0 &'; i=$((i+1)); done",
    "zombies() { cat /proc/[0-9]*/stat 2>/dev/null | grep -c ') Z '; }",
    poll("[ $(zombies) = 0 ]"),
    "echo zombies=$(zombies)",
    "sleep 100 & sleep 100 & exec 1>&-",
    "exit 3",
  }, "\n")
  local out = process.sh(self.run:gsub(" ", " --json-status-fd 3 ", 1) .. " /bin/sh -c " .. q(script)
    .. " 3>" .. self.status .. "; echo status=$?")
  lu.assertEquals(out, "zombies=0\nstatus=3\n")
  local up, ended = table.unpack(json_lines(self.status))
  lu.assertEquals(ended.text, '{"exit": 3}')
  -- The kernel killed the sleeps when hako's PID 1 ended; poll for their end, then look.
  process.sh(poll("[ -z \"$(" .. in_pid_ns(up.ns.pid) .. ")\" ]"))
  lu.assertEquals(leftovers(up.ns.pid, self.sb.root), "")
end

function TestLifecycle:test_term_to_hako_run_reaches_a_command_that_traps_it()
  local script = table.concat({
    self.run .. " /bin/sh -c 'trap \"exit 42\" TERM; touch /tmp/ready; "
      .. "while :; do sleep 0.01; done' & hp=$!",
    poll("[ -e " .. q(self.sb:path("tmp/ready")) .. " ]"),
    "kill -TERM $hp; wait $hp; echo status=$?",
  }, "\n")
  lu.assertEquals(process.sh(script), "status=42\n")
end

function TestLifecycle:test_exit_statuses_pass_through()
  for _, code in ipairs({ 0, 1, 42, 255 }) do
    lu.assertEquals(self.sb:sh("exit " .. code).status, code)
    lu.assertEquals(self.sb:sh("exit " .. code, { "--as-pid-1" }).status, code)
  end
  lu.assertEquals(self.sb:sh("kill -KILL $$").status, 137)
  lu.assertEquals(self.sb:sh("kill -SEGV $$").status, 139)
end

-- hako's PID 1 blocks the signals it waits for; the command it starts (core.spawn) gets
-- the mask hako-run was started with instead, as it does when it is PID 1 itself.
function TestLifecycle:test_the_command_starts_with_hako_runs_signal_mask()
  local outside = process.sh("grep SigBlk /proc/self/status")
  lu.assertStrContains(outside, "SigBlk:")
  lu.assertEquals(self.sb:sh("grep SigBlk /proc/self/status").stdout, outside)
  lu.assertEquals(self.sb:sh("grep SigBlk /proc/self/status", { "--as-pid-1" }).stdout, outside)
end

-- Kill hako-run (here the hako binary running a recipe) while the sandbox is half made:
-- a step inserted into the plan stops the sandbox's first process after step `after`.
function TestLifecycle:killed_during_set_up(after, ready_inside)
  process.sh("mkfifo " .. q(self.sb:path("tmp/never")))
  local recipe = self:recipe([[
local steps = hako.plan{ root = root, command = { "/bin/true" } }
local function pause(step, state)
  local core = state.core
  core.close(assert(core.open(step.ready, core.O_WRONLY | core.O_CREAT | core.O_CLOEXEC, 420)))
  core.open(step.fifo, core.O_RDONLY) -- nobody ever writes: blocks until killed
end
for i, step in ipairs(steps) do
  if step.op == arg[2] then
    table.insert(steps, i + 1, { op = "pause", side = "sandbox", ready = arg[3], fifo = arg[4] })
    break
  end
end
os.exit(hako.execute(steps, { pause = pause }))
]], q(after) .. " " .. q(ready_inside) .. " " .. q(ready_inside:gsub("[^/]*$", "never")))
  local out = process.sh(table.concat({
    -- Output to a file: a survivor holding our pipe would hang the test instead of failing it.
    recipe .. " >/dev/null 2>&1 & hp=$!",
    poll("[ -e " .. q(self.sb:path("tmp/ready")) .. " ]"),
    "child=$(cat /proc/$hp/task/$hp/children | tr -d ' ')",
    "echo ns=$(readlink /proc/$child/ns/pid | tr -dc 0-9)",
    "kill -KILL $hp; wait $hp 2>/dev/null; echo status=$?",
    poll("[ ! -e /proc/$child ]"),
    "[ -e /proc/$child ] && echo alive: $child; true",
  }, "\n"))
  local ns = out:match("^ns=(%d+)\n")
  lu.assertNotNil(ns, out)
  lu.assertEquals(out:gsub("^ns=%d+\n", ""), "status=137\n")
  lu.assertEquals(leftovers(ns, self.sb.root), "")
end

function TestLifecycle:test_kill_during_set_up_leaves_no_process_and_no_mount()
  -- Before pivot_root the host's paths still work in the sandbox; after it, its own do.
  self:killed_during_set_up("bind_root", self.sb:path("tmp/ready"))
  process.sh("rm -f " .. q(self.sb:path("tmp/ready")) .. " " .. q(self.sb:path("tmp/never")))
  self:killed_during_set_up("detach_old_root", "/tmp/ready")
end

function TestLifecycle:test_kill_after_set_up_leaves_no_process_and_no_mount()
  for _, options in ipairs({ "", "--as-pid-1" }) do
    local out = process.sh(table.concat({
      q(sandbox.bin("hako-run")) .. " " .. options .. " --json-status-fd 3 " .. q(self.sb.root)
        .. " /bin/sh -c 'sleep 100 & sleep 100 & touch /tmp/ready; wait' 3>" .. self.status
        .. " >/dev/null 2>&1 & hp=$!",
      poll("[ -e " .. q(self.sb:path("tmp/ready")) .. " ]"),
      "kill -KILL $hp; wait $hp 2>/dev/null; echo status=$?",
    }, "\n"))
    lu.assertEquals(out, "status=137\n")
    local up = json_lines(self.status)[1]
    lu.assertEquals(#json_lines(self.status), 1)
    lu.assertNotNil(up.ns.pid, up.text)
    process.sh(poll("[ -z \"$(" .. in_pid_ns(up.ns.pid) .. ")\" ]"))
    lu.assertEquals(leftovers(up.ns.pid, self.sb.root), "")
    os.remove(self.sb:path("tmp/ready"))
  end
end

function TestLifecycle:test_json_status_reports_the_sandbox_and_its_end()
  local out = process.sh(table.concat({
    self.run:gsub(" ", " --json-status-fd 7 ", 1) .. " /bin/sh -c '"
      .. "mount -t proc proc /proc; [ -e /proc/$$/fd/7 ] && echo fd 7 leaked; touch /tmp/up; "
      .. "while [ ! -e /tmp/go ]; do sleep 0.01; done; exit 9' 7>" .. self.status .. " & hp=$!",
    poll("[ -e " .. q(self.sb:path("tmp/up")) .. " ]"),
    "pid=$(head -n 1 " .. self.status .. " | sed 's/^{\"pid\": \\([0-9]*\\),.*/\\1/')",
    "[ $(cat /proc/$hp/task/$hp/children) = $pid ] && echo pid is the sandbox PID 1",
    "for ns in mnt pid ipc uts; do readlink /proc/$pid/ns/$ns; done",
    "touch " .. q(self.sb:path("tmp/go")) .. "; wait $hp; echo status=$?",
  }, "\n"))
  local up, ended = table.unpack(json_lines(self.status))
  lu.assertEquals(#json_lines(self.status), 2)
  -- Root's sandbox has a user namespace of its own (--userns host: none).
  lu.assertStrMatches(up.text, '{"pid": %d+, "ns": {' .. (sandbox.USERNS ~= "host" and '"user": %d+, ' or '')
    .. '"mnt": %d+, "pid": %d+, "ipc": %d+, "uts": %d+, "net": %d+}}')
  lu.assertEquals(out, string.format("pid is the sandbox PID 1\nmnt:[%d]\npid:[%d]\nipc:[%d]\nuts:[%d]\nstatus=9\n",
    up.ns.mnt, up.ns.pid, up.ns.ipc, up.ns.uts))
  lu.assertNotEquals(process.sh("readlink /proc/self/ns/pid"), string.format("pid:[%d]\n", up.ns.pid))
  lu.assertEquals(ended.text, '{"exit": 9}')

  process.sh(self.run:gsub(" ", " --json-status-fd 3 ", 1) .. " /bin/sh -c 'kill -SEGV $$' 3>"
    .. self.status .. " || true")
  lu.assertEquals(json_lines(self.status)[2].text, '{"signal": 11}')
end

function TestLifecycle:test_a_bad_status_fd_is_refused_before_anything_starts()
  local r = process.run({ sandbox.bin("hako-run"), "--json-status-fd", "9", self.sb.root, "/bin/true" })
  lu.assertEquals(r.status, 125)
  lu.assertEquals(r.stderr, "hako-run: --json-status-fd 9: Bad file descriptor\n")
end

-- A closed fd number is what hako's own next fd will be: checked after hako opened the
-- pid file, it passed as that file. Checked first, it is refused, and nothing is written.
function TestLifecycle:test_a_closed_status_fd_is_not_mistaken_for_hakos_own()
  local pid_file = self.sb:path("sb.pid")
  local r = process.run({ "sh", "-c", 'exec 3>&- 4>&- 5>&-; exec "$@"', "sh", sandbox.bin("hako-run"),
    "-p", pid_file, "--json-status-fd", "3", self.sb.root, "/bin/true" })
  lu.assertEquals(r.stderr, "hako-run: --json-status-fd 3: Bad file descriptor\n")
  lu.assertEquals(r.status, 125)
  lu.assertEquals(process.sh("ls " .. q(self.sb.root)), "bin\ndev\netc\nmnt\nproc\ntmp\n")
end

function TestLifecycle:test_timeout_terms_then_kills_and_gives_124()
  local r = self.sb:run({ "--timeout", "0.2" }, { "/bin/sleep", "100" })
  lu.assertEquals(r.status, 124)
  -- A command that ignores TERM is killed after the grace period (short here, a recipe).
  local out = process.sh(self:recipe([[
local fd = 3
os.exit(hako.run{ root = root, timeout = 0.2, timeout_grace = 0.2, json_status_fd = fd,
  command = { "/bin/sh", "-c", "trap '' TERM; echo waiting; while :; do sleep 0.01; done" } })
]]) .. " 3>" .. self.status .. "; echo status=$?")
  lu.assertEquals(out, "waiting\nstatus=124\n")
  lu.assertEquals(json_lines(self.status)[2].text, '{"signal": 9}')
  -- A command that ends on TERM: still 124, and the status line says how it ended.
  out = process.sh(self.run:gsub(" ", " --timeout 0.2 --json-status-fd 3 ", 1)
    .. " /bin/sh -c 'trap \"exit 5\" TERM; while :; do sleep 0.01; done' 3>" .. self.status .. "; echo status=$?")
  lu.assertEquals(out, "status=124\n")
  lu.assertEquals(json_lines(self.status)[2].text, '{"exit": 5}')
end

function TestLifecycle:test_200_runs_leave_no_fd_mount_or_process_behind()
  local out = process.sh(self:recipe([[
local core = hako.core
-- Anything a sandbox left running would be re-parented here, and counted.
assert(core.prctl(core.PR_SET_CHILD_SUBREAPER, 1))
local function fds() return #assert(core.readdir("/proc/self/fd")) end
local function mounts()
  local f = assert(io.open("/proc/self/mountinfo"))
  local text = f:read("a")
  f:close()
  return text
end
local function children()
  local f = assert(io.open("/proc/self/task/" .. core.getpid() .. "/children"))
  local text = f:read("a")
  f:close()
  return text
end
local fds0, mounts0 = fds(), mounts()
local hako_run = arg[2] .. " " .. root .. " /bin/sh -c 'sleep 100 & exit 0'"
for i = 1, 200 do
  local status
  if i % 2 == 0 then
    status = hako.run{ root = root, command = { "/bin/sh", "-c", "sleep 100 & exit 0" } }
  else
    status = select(3, os.execute(hako_run))
  end
  assert(status == 0, "run " .. i .. ": status " .. tostring(status))
end
print("fds", fds() - fds0, "mounts", mounts() == mounts0, "children", children())
]], q(sandbox.bin("hako-run"))))
  lu.assertEquals(out, "fds\t0\tmounts\ttrue\tchildren\t\n")
end

function TestLifecycle:test_help_documents_the_lifecycle_options()
  local r = process.run({ sandbox.bin("hako-run"), "--help" })
  for _, text in ipairs({ "--as-pid-1", "--timeout SECONDS", "--json-status-fd FD", "124" }) do
    lu.assertStrContains(r.stdout, text)
  end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
