-- rootless_escape_spec: the escape suite's attacks that apply to a rootless sandbox, run
-- by an unprivileged caller (doc/THREATS.md 8, 9, 12, 13, 14, 21), and die-with-parent.
-- Each attack also runs where the defence is absent, to show the test would see it.
-- Needs root, to become a uid that nothing else on the machine runs as.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

local q = process.quote
local CALLER = 47114 -- the unprivileged caller; nothing else runs as it
local AS_CALLER = { "setpriv", "--reuid=" .. CALLER, "--regid=" .. CALLER, "--clear-groups" }

local alive = escape.alive

TestRootlessEscape = {}

function TestRootlessEscape:setUp()
  escape.set_up(self)
  -- A copy of the binary anyone can run (it needs no other file).
  process.sh("cp " .. sandbox.bin("hako") .. " " .. self.host .. "/hako && ln -s hako " .. self.host .. "/hako-run")
end

function TestRootlessEscape:tearDown()
  escape.tear_down(self)
end

-- The caller's argv, as CALLER.
local function as_caller(argv)
  local full = { table.unpack(AS_CALLER) }
  table.move(argv, 1, #argv, #full + 1, full)
  return full
end

function TestRootlessEscape:run(options, ...)
  local argv = { self.host .. "/hako-run", table.unpack(options) }
  table.move({ self.sb.root, "/bin/probe", ... }, 1, select("#", ...) + 2, #argv + 1, argv)
  local r = process.run(as_caller(argv))
  lu.assertEquals(r.status, 0, r.stderr)
  return (r.stdout:gsub("\n$", ""))
end

-- 8: uid 0 of the user namespace has no capabilities there either.
function TestRootlessEscape:test_no_capabilities_in_the_user_namespace()
  for _, attack in ipairs({ "mount", "chroot", "sethostname" }) do
    lu.assertEquals(self:run({}, attack), "BLOCKED: EPERM", attack)
  end
  -- Kept on purpose, the namespace's CAP_SYS_ADMIN mounts: the probe would have seen it.
  lu.assertEquals(self:run({ "--cap-add", "sys_admin" }, "mount"), "ESCAPED")
end

-- 13: kill(-1) from inside reaches no process of the caller's outside.
function TestRootlessEscape:test_kill_all_does_not_reach_the_callers_processes()
  local victim = process.sh(table.concat(AS_CALLER, " ") .. " sleep 1000 >/dev/null 2>&1 & echo $!"):gsub("\n", "")
  table.insert(self.cleanups, function() process.run({ "kill", "-KILL", victim }) end)
  lu.assertTrue(escape.eventually(function() return alive(victim) end))
  self:run({}, "kill-all")
  lu.assertTrue(alive(victim), "a process of the caller died of kill(-1) from inside")
  process.run(as_caller({ self.sb:path("bin/probe"), "kill-all" }))
  lu.assertTrue(escape.eventually(function() return not alive(victim) end))
end

-- 9: an fd the caller left open on a host directory does not reach the command.
function TestRootlessEscape:test_inherited_directory_fd_is_closed()
  process.sh("echo secret > " .. self.host .. "/host-only && chmod 644 " .. self.host .. "/host-only")
  local target = (self.host .. "/host-only"):sub(2)
  local function with_fd_7(argv)
    return process.run(as_caller({ "sh", "-c", "exec 7</ && exec \"$@\"", "sh", table.unpack(argv) }))
  end
  lu.assertEquals(with_fd_7({ self.sb:path("bin/probe"), "fd", "7", target }).stdout, "ESCAPED\n")
  local r = with_fd_7({ self.host .. "/hako-run", self.sb.root, "/bin/probe", "fd", "7", target })
  lu.assertEquals(r.stdout, "BLOCKED: EBADF\n", r.stderr)
end

-- The probe's line, run as the caller by a recipe without the steps named (the copy of
-- the binary that the caller can run).
function TestRootlessEscape:without(ops, ...)
  local argv = escape.without_steps(self, ops)
  argv[1] = self.host .. "/hako"
  table.move({ "/bin/probe", ... }, 1, select("#", ...) + 1, #argv + 1, argv)
  local r = process.run(as_caller(argv))
  lu.assertEquals(r.status, 0, r.stderr)
  return (r.stdout:gsub("\n$", ""))
end

-- 12: its own session keyring, seen without the seccomp filter (the keyring calls fail).
function TestRootlessEscape:test_own_session_keyring()
  local outside = process.run(as_caller({ self.sb:path("bin/probe"), "keyring" })).stdout:gsub("\n", "")
  lu.assertStrMatches(outside, "%d+")
  local inside = self:without({ "filter_syscalls" }, "keyring")
  lu.assertStrMatches(inside, "%d+")
  lu.assertNotEquals(inside, outside)
  lu.assertEquals(self:run({}, "keyring"), "BLOCKED: EPERM")
end

-- 12: keyctl, add_key and request_key fail inside, as in a sandbox made by root.
function TestRootlessEscape:test_keyring_calls_are_refused()
  local outside = process.run(as_caller({ self.sb:path("bin/probe"), "keys" })).stdout:gsub("\n", "")
  lu.assertStrMatches(outside, "ESCAPED keyctl,add_key,request_key @u=%d+")
  lu.assertStrMatches(self:without({ "filter_syscalls" }, "keys"), "ESCAPED keyctl,add_key,request_key @u=%d+")
  lu.assertEquals(self:run({}, "keys"), "BLOCKED: EPERM")
end

-- 14: hako-run killed with SIGKILL takes the rootless sandbox with it.
function TestRootlessEscape:test_the_sandbox_dies_with_hako_run()
  local line = table.concat(AS_CALLER, " ") .. " " .. q(self.host .. "/hako-run") .. " " .. q(self.sb.root)
    .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"
  local supervisor = process.sh(line):gsub("\n", "")
  local init, command
  lu.assertTrue(escape.eventually(function()
    init = (process.sh("cat /proc/" .. supervisor .. "/task/*/children 2>/dev/null; true")):match("%d+")
    command = init and process.sh("cat /proc/" .. init .. "/task/*/children 2>/dev/null; true"):match("%d+")
    return command ~= nil
  end), "the sandbox did not start")
  process.sh("kill -KILL " .. supervisor)
  lu.assertTrue(escape.eventually(function() return not alive(init) and not alive(command) end),
    "the sandbox outlived hako-run")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
