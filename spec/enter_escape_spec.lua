-- enter_escape_spec: the attacks of doc/THREATS.md 17-19 on hako-enter, performed against real
-- sandboxes (needs root; skipped with the reason otherwise).
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"
local support = require "support.enter"

local q = process.quote
local poll, read, fails, entered_sleep = support.poll, support.read,
  support.fails, support.entered_sleep

TestEnterEscape = support.suite()

-- doc/THREATS.md 17: the sandbox cannot even name the hako-enter process that waits for the
-- command: it stays in the host's PID namespace. (Between fork and exec the child is in
-- the sandbox's and is protected by being non-dumpable, from its first step on.)
function TestEnterEscape:test_the_waiting_hako_enter_is_outside_the_sandbox()
  local script = entered_sleep(self.pid)
    .. "\ngrep NSpid /proc/$e/status; grep NSpid /proc/$c/status | cut -f3; kill $c; wait $e || :"
  local out = process.sh(script)
  local outer, inner = out:match("^NSpid:\t(%S+)\n(%d+)\n$")
  lu.assertNotNil(outer, out)
  lu.assertTrue(tonumber(inner) > 1 and tonumber(inner) < 10, out)
end

-- doc/THREATS.md 17: in a sandbox without CAP_SYS_PTRACE (everything below runs without it,
-- as uid 0), a process with the same uid and capabilities as hako-enter cannot open its
-- memory, while it can open that of an ordinary process: hako-enter is non-dumpable, from
-- its first step; its child inherits that up to the exec. In the host's user namespace
-- (--userns host): root without CAP_SYS_PTRACE cannot look into the processes of a
-- sandbox of its own (another uid, not dumpable), so hako-enter could not find it there.
function TestEnterEscape:test_hako_enter_memory_is_closed_to_its_peers()
  local peer = "setpriv --bounding-set=-sys_ptrace "
  local pid = self:start({ "--userns", "host" }, peer)
  local probe = peer .. "sh -c 'if true </proc/$1/mem; then echo open; else echo denied; fi' probe "
  local script = table.concat({
    peer .. entered_sleep(pid),
    peer .. "sleep 1000 & s=$!",
    -- Probe the sleep, not setpriv before its exec (it still has every capability).
    "i=0; until grep -q '^sleep' /proc/$s/comm; do i=$((i+1)); [ $i -gt 500 ] && break; sleep 0.02; done",
    probe .. "$e 2>/dev/null; " .. probe .. "$s 2>/dev/null",
    "kill $c $s; wait $e $s || :",
  }, "\n")
  lu.assertEquals(process.sh(script), "denied\nopen\n")
end

-- A process the shell line starts (ending in a sleep), once it sleeps; killed in tearDown.
local function helper(self, line)
  local pid = process.sh(line .. " >/dev/null 2>&1 & echo $!"):match("%d+")
  self.helpers[#self.helpers + 1] = pid
  assert(poll(function() return (read("/proc/" .. pid .. "/comm") or ""):match("^sleep") end))
  return pid
end

-- What uid 65534 can write: a record in its runtime directory, named `name`, true to the
-- identity of process `pid` (start time, namespaces), with a policy of its choosing.
local function plant_record(self, name, pid, fields)
  local run_dir = self:nobody_runtime_dir(true)
  local core, record = require "hako.core", require "hako.record"
  local id = record.identity(core, math.tointeger(tonumber(pid)))
  local policy = require "hako.policy"
  local p = policy.with_identity(policy.from_spec({ env = { "PATH=/usr/bin:/bin" }, hostname = "hako",
    caps = { 0, 1, 2, 3, 21 } }))
  p.setgroups, p.groups = false, {}
  local rec = { pid = math.tointeger(tonumber(name)), start_time = id.start_time, ns = id.ns,
    owner = 65534, policy = p }
  -- A field of the policy's goes there, any other is the record's own.
  for k, v in pairs(fields or {}) do
    if p[k] ~= nil then p[k] = v else rec[k] = v end
  end
  local path = run_dir .. "/hako/" .. name
  self.files[#self.files + 1] = path
  local f = assert(io.open(path, "w"))
  f:write(record.format(rec))
  f:close()
  process.sh("chown 65534:65534 " .. path)
  return path
end

local NOBODY = support.NOBODY

-- A user may write records in /run/user/UID/hako; one for a plain process of the user's
-- must not make root run a command with the policy it claims (here LD_PRELOAD, uid 0).
function TestEnterEscape:test_root_refuses_a_user_record_for_a_plain_process()
  local pid = helper(self, NOBODY .. "sleep 1000")
  plant_record(self, pid, pid, { env = { "LD_PRELOAD=/tmp/evil.so" } })
  fails({ pid, "true" }, 125, pid .. ": not a hako sandbox (record " .. pid .. ": of uid 65534"
    .. " for a process outside any user namespace of its own)")
end

-- Issue 11: nor for a process in a user namespace the user did not make: here root made
-- it and mapped its uid 0 to 65534, so the host sees the process as 65534's, and joining
-- it would keep root's rights there. Control: the same record for a process in a user
-- namespace 65534 made itself is followed.
function TestEnterEscape:test_root_refuses_a_user_record_for_a_namespace_the_user_did_not_make()
  lu.skipIf(not os.execute(NOBODY .. "unshare -U true 2>/dev/null"), "no user namespaces for nobody here")
  local own = helper(self, NOBODY .. "unshare -Ur sleep 1000")
  plant_record(self, own, own)
  local r = support.enter({ own, "true" })
  lu.assertEquals(r.stderr, "")
  lu.assertEquals(r.status, 0)
  local holder = helper(self, "unshare -U sleep 1000")
  process.sh("echo '0 65534 1' >/proc/" .. holder .. "/uid_map && echo '0 65534 1' >/proc/" .. holder .. "/gid_map")
  local pid = helper(self, "nsenter -U -t " .. holder .. " -S 0 -G 0 sleep 1000")
  lu.assertEquals(process.sh("stat -c %u /proc/" .. pid), "65534\n")
  plant_record(self, pid, pid)
  fails({ pid, "true" }, 125, pid .. ": not a hako sandbox (record " .. pid .. ": of uid 65534"
    .. " for a process outside any user namespace of its own)")
end

-- Issue 11: a record names the pid it is filed under. Here 65534's record for its own
-- process C (in a user namespace of its own) names pid 1; asked for directly, and through
-- C's parent (as for hako-run's pid, from a pid file).
function TestEnterEscape:test_root_refuses_a_user_record_that_names_another_pid()
  lu.skipIf(not os.execute(NOBODY .. "unshare -U true 2>/dev/null"), "no user namespaces for nobody here")
  local parent = process.sh(NOBODY .. "sh -c 'unshare -Ur sleep 1000 & wait' >/dev/null 2>&1 & echo $!"):match("%d+")
  self.helpers[#self.helpers + 1] = parent
  local child = poll(function()
    local c = (read("/proc/" .. parent .. "/task/" .. parent .. "/children") or ""):match("%d+")
    return c and (read("/proc/" .. c .. "/comm") or ""):match("^sleep") and c
  end)
  assert(child, "no sleeping child")
  self.helpers[#self.helpers + 1] = child
  local init = require("hako.record").identity(require "hako.core", 1)
  plant_record(self, child, child, { pid = 1, supervisor = math.tointeger(tonumber(parent)),
    start_time = init.start_time })
  fails({ child, "true" }, 125, child .. ": not a hako sandbox (record " .. child .. ": names pid 1)")
  -- A record a SIGKILLed hako-run left for a process that had this pid before is stale
  -- (hako-enter says so); not what this test is about.
  os.remove("/run/hako/" .. parent)
  fails({ parent, "true" }, 125, parent .. ": not a hako sandbox (no record in /run/hako)")
end

-- Issue 11: a FIFO where root looks for a user's record must not make root's hako-enter
-- wait for ever. Control: opening that FIFO to read does wait.
function TestEnterEscape:test_root_refuses_a_fifo_for_a_record_without_waiting()
  local pid = helper(self, NOBODY .. "sleep 1000")
  local path = self:nobody_runtime_dir(true) .. "/hako/" .. pid
  self.files[#self.files + 1] = path
  process.sh("mkfifo " .. path .. " && chown 65534:65534 " .. path)
  lu.assertEquals(process.run({ "timeout", "0.5", "sh", "-c", "exec <" .. path }).status, 124)
  -- A stale record of root's for an earlier process of this pid (a SIGKILLed hako-run's)
  -- is passed over: the user's directory is still looked at.
  local stale = "/run/hako/" .. pid
  local policy = require "hako.policy"
  local f = assert(io.open(stale, "w"))
  local p = policy.with_identity(policy.from_spec({ env = {}, hostname = "h" }))
  f:write(require("hako.record").format({ pid = math.tointeger(tonumber(pid)), start_time = 1, owner = 0,
    ns = { mnt = { dev = "0:4", ino = 1 } }, policy = p }))
  f:close()
  self.files[#self.files + 1] = stale
  local r = process.run({ "timeout", "10", support.ENTER, pid, "true" })
  lu.assertEquals(r.stderr, "hako-enter: " .. pid .. ": not a hako sandbox (record " .. pid
    .. ": not a regular file of root or the owner, of at most 262144 bytes)\n")
  lu.assertEquals(r.status, 125)
end

-- Issue 11: root's supplementary groups do not come along into a rootless sandbox, where
-- the policy cannot set groups (setgroups is denied there): the host would still let the
-- command use them. Control: the same groups joined by nsenter are seen from the host.
function TestEnterEscape:test_root_enters_a_rootless_sandbox_without_its_own_groups()
  local pid = self:start_rootless()
  local groups = "grep '^Groups:' /proc/$c/status | tr -s '\\t ' ' '"
  local script = table.concat({
    "setpriv --groups 4,6 " .. entered_sleep(pid),
    groups, "kill $c; wait $e || :",
    "setpriv --groups 4,6 nsenter --preserve-credentials -U -t " .. pid .. " sleep 1000 & c=$!",
    "i=0; until grep -q '^sleep' /proc/$c/comm; do i=$((i+1)); [ $i -gt 500 ] && break; sleep 0.02; done",
    groups, "kill $c; wait $c || :",
  }, "\n")
  lu.assertEquals(process.sh(script), "Groups: \nGroups: 4 6 \n")
end

-- doc/THREATS.md 12: the entered command's keyring calls fail too (a sandbox without a user
-- namespace shares the host's user keyrings: see escape_privileges_spec), with and
-- without --fork. On the host the same probe reaches them.
function TestEnterEscape:test_keyring_calls_are_refused_in_an_entered_command()
  local probe = sandbox.bin("probe")
  lu.skipIf(not io.open(probe), probe .. " is missing: make check builds it")
  process.sh("cp " .. q(probe) .. " " .. q(self.sb:path("bin/probe")))
  lu.assertStrMatches(process.sh(q(self.sb:path("bin/probe")) .. " keys"),
    "ESCAPED keyctl,add_key,request_key @u=%d+\n")
  for _, flag in ipairs({ "--fork", "--no-fork" }) do
    local r = process.run({ sandbox.bin("hako-enter"), flag, self.pid, "/bin/probe", "keys" })
    lu.assertEquals(r.stdout, "BLOCKED: EPERM\n", r.stderr)
  end
end

-- doc/THREATS.md 39: the user of a rootless sandbox rewrites its record so that the
-- recorded filter allows everything and hako's own rules are gone; root's hako-enter
-- still loads its own rules first, so the command's keyring calls fail. Control: the
-- forged program is the one the command got (the default profile's clone-newuser and
-- personality get through it), so only hako's own filter stands in the way.
function TestEnterEscape:test_a_forged_seccomp_program_does_not_lift_hakos_own_rules()
  local pid = self:start_rootless()
  process.sh("cp " .. q(sandbox.bin("probe")) .. " " .. q(self.sb:path("bin/probe")))
  local allow_all = string.pack("=I2BBI4", 0x06, 0, 0, 0x7fff0000)
  plant_record(self, pid, pid, { seccomp = { deny_syscalls = {}, deny_ioctls = {}, tcp_only = false,
    program = allow_all } })
  local r = process.run({ sandbox.bin("hako-enter"), pid, "/bin/probe", "keys" })
  lu.assertEquals(r.stdout, "BLOCKED: EPERM\n", r.stderr)
  r = process.run({ sandbox.bin("hako-enter"), pid, "/bin/probe", "calls" })
  lu.assertStrContains(r.stdout, "\nkeyctl EPERM\n", r.stderr)
  for _, name in ipairs({ "clone-newuser", "personality" }) do
    lu.assertNotNil(("\n" .. r.stdout):find("\n" .. name .. " OK\n", 1, true), name .. " without the recorded filter")
  end
end

-- A recipe that runs hako-enter's plan for a pid and a command with the named steps
-- dropped (and seal_self, which would start the launcher again as hako-enter): the
-- positive controls below.
local ENTER_WITHOUT = [[
local core = require "hako.core"
local enter_plan = require "hako.enter_plan"
local drop = { seal_self = true }
for op in arg[2]:gmatch("[^,]+") do drop[op] = true end
local s = enter_plan.build_spec({ pid = arg[1], command = { table.unpack(arg, 3) } }, { euid = core.geteuid() })
local steps = {}
for _, step in ipairs(enter_plan.build(s)) do
  if not drop[step.op] then steps[#steps + 1] = step end
end
os.exit(require("hako.exec").run(steps, core))
]]

local function enter_without(self, ops, ...)
  local recipe = self.sb.root .. "-enter.lua"
  self.files[#self.files + 1] = recipe
  local f = assert(io.open(recipe, "w"))
  f:write(ENTER_WITHOUT)
  f:close()
  local words = { sandbox.bin("hako"), recipe, self.pid, table.concat(ops, ","), ... }
  for i, w in ipairs(words) do words[i] = q(w) end
  return table.concat(words, " ")
end

local function with_probe(self)
  process.sh("cp " .. q(sandbox.bin("probe")) .. " " .. q(self.sb:path("bin/probe")))
end

-- No fd of hako-enter's caller reaches the entered command (here a directory fd of the
-- host's root, 7, to open the host's /etc/hostname through), with or without --fork.
-- Control: without close_host_fds and Landlock, it does.
function TestEnterEscape:test_the_callers_fds_do_not_reach_the_entered_command()
  with_probe(self)
  local attack = " /bin/probe fd 7 etc/hostname 7</"
  for _, flag in ipairs({ "--fork", "--no-fork" }) do
    lu.assertEquals(process.sh(q(support.ENTER) .. " " .. flag .. " " .. self.pid .. attack), "BLOCKED: EBADF\n",
      flag)
  end
  -- Landlock alone keeps the host's file out of reach too (nothing outside the root).
  lu.assertEquals(process.sh(enter_without(self, { "close_host_fds" }) .. attack), "BLOCKED: EACCES\n")
  lu.assertEquals(process.sh(enter_without(self, { "close_host_fds", "restrict_landlock" }) .. attack), "ESCAPED\n")
end

-- The entered command is a process group of its own: kill(0, SIG) in it does not reach
-- hako-enter's caller. Control: without the steps that make the group, it does, where
-- the command is host uid 0 (--userns host: in its own user namespace its uid is not the
-- caller's, a second wall).
function TestEnterEscape:test_signals_to_the_process_group_stay_inside()
  local inside = "/bin/sh -c 'trap \"\" USR1; kill -USR1 0; echo sent'"
  local caller = escape.in_caller_group
  lu.assertEquals(caller(q(support.ENTER) .. " " .. self.pid .. " " .. inside), "sent\ndone\n")
  self.pid = self:start({ "--userns", "host" })
  lu.assertEquals(caller(q(support.ENTER) .. " " .. self.pid .. " " .. inside), "sent\ndone\n")
  lu.assertStrContains(caller(enter_without(self, { "new_process_group", "start_job" }) .. " " .. inside),
    "caller got USR1")
end

-- The entered command gets a session keyring of its own, not its caller's (seen without
-- the seccomp filter, since the keyring calls fail inside). Control: without the step,
-- the caller's, where the command is host uid 0 (--userns host; in its own user
-- namespace, the caller's keyring is not its to use anyway).
function TestEnterEscape:test_the_entered_command_has_its_own_session_keyring()
  with_probe(self)
  self.pid = self:start({ "--userns", "host" })
  local host = process.sh(q(self.sb:path("bin/probe")) .. " keyring")
  lu.assertStrMatches(host, "%d+\n")
  local own = process.sh(enter_without(self, { "filter_syscalls" }, "/bin/probe", "keyring"))
  lu.assertStrMatches(own, "%d+\n")
  lu.assertNotEquals(own, host)
  lu.assertEquals(process.sh(enter_without(self, { "filter_syscalls", "new_session_keyring" }, "/bin/probe",
    "keyring")), host)
end

-- doc/THREATS.md 18 (runc CVE-2019-5736): the sandbox's /bin/sh starts with #!/proc/self/exe,
-- so entering runs hako's own binary in the sandbox, as a recipe the sandbox wrote. It
-- keeps a descriptor of that binary in a child, waits until hako-enter has exited (when
-- nothing runs the binary any more), then writes through it.
local ATTACK = [[#!/proc/self/exe
local core = require "hako.core"
local fd = core.open("/proc/self/exe", core.O_RDONLY)
if core.clone(0) == 0 then
  core.execve("/bin/busybox", { "busybox", "sh", "-c",
    "i=0; until [ -e /tmp/go ] || [ $i -gt 500 ]; do i=$((i+1)); sleep 0.02; done;"
    .. " if echo pwned 2>/dev/null >/proc/self/fd/" .. fd .. "; then r=written; else r=blocked; fi;"
    .. " echo $r >/tmp/result.tmp; mv /tmp/result.tmp /tmp/result" }, {})
  core._exit(1)
end
]]

function TestEnterEscape:test_the_host_binary_cannot_be_overwritten_from_inside()
  local dir = process.sh("mktemp -d /tmp/hako-installed.XXXXXX"):gsub("\n$", "")
  self.files[#self.files + 1] = dir .. "/hako-enter"
  self.files[#self.files + 1] = dir .. "/hako"
  self.files[#self.files + 1] = dir
  process.sh("cp " .. q(sandbox.bin("hako")) .. " " .. dir .. "/hako && ln -s hako " .. dir .. "/hako-enter")
  -- What the binary needs to run inside (its loader and libraries), as in a real distro tree.
  for lib in process.sh("ldd " .. dir .. "/hako 2>/dev/null || true"):gmatch("(/[^%s]+)") do
    local inside = self.sb:path(lib:sub(2))
    process.sh("mkdir -p " .. q(inside:match("^(.*)/")) .. " && cp -L " .. q(lib) .. " " .. q(inside))
  end
  local hash = process.sh("sha256sum < " .. dir .. "/hako")
  os.remove(self.sb:path("bin/sh"))
  self.sb:write("bin/sh", ATTACK)
  process.sh("chmod 755 " .. self.sb:path("bin/sh"))
  local r = process.run({ dir .. "/hako-enter", self.pid })
  lu.assertEquals(r.status, 0, r.stderr)
  self.sb:write("tmp/go", "")
  local result = poll(function() return read(self.sb:path("tmp/result")) end)
  lu.assertEquals(result, "blocked\n")
  lu.assertEquals(process.sh("sha256sum < " .. dir .. "/hako"), hash)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
