-- seccomp_escape_spec: the calls the default syscall policy closes (issue 13), made from
-- inside default sandboxes: as uid 0, as a user, rootless, and by hako-enter's command.
-- The probe's "calls" attack makes each once (spec/probe/calls.c). Control: the same
-- sandboxes with --seccomp none, where many of the calls get through or fail for
-- another reason (an EFAULT means the kernel went on to read the arguments).
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

local CALLER = 47115 -- the rootless caller; nothing else runs as it
local AS_CALLER = { "setpriv", "--reuid=" .. CALLER, "--regid=" .. CALLER, "--clear-groups" }

-- Each call the probe makes, and what the default profile answers.
local CLOSED = {
  "clone-newuser", "unshare-newuser", "keyctl", "add_key", "request_key", "io_uring_setup",
  "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "userfaultfd", "kexec_load",
  "init_module", "finit_module", "delete_module", "open_tree", "move_mount", "fsopen", "fsconfig",
  "fsmount", "fspick", "mount_setattr", "mount", "umount2", "pivot_root", "setns", "swapon",
  "swapoff", "syslog", "settimeofday", "clock_settime", "clock_adjtime", "reboot", "kcmp",
  "personality", "socket-vsock",
}
local EXPECTED = {}
for _, name in ipairs(CLOSED) do EXPECTED[name] = "EPERM" end
EXPECTED.clone3 = "ENOSYS" -- so that libc falls back to clone(2), whose flags the filter sees
EXPECTED.newest = "ENOSYS" -- a call newer than the profile: as if the kernel lacked it

-- Calls that, without the filter, get through or fail for a reason of their own in each
-- kind of sandbox: the control that shows the filter, not the kernel, closes them.
local OPEN_WITHOUT_FILTER = { "clone-newuser", "unshare-newuser", "clone3", "io_uring_setup",
  "perf_event_open", "userfaultfd", "open_tree", "mount_setattr", "setns", "clock_settime",
  "kcmp", "personality", "socket-vsock", "newest" }

local function parse(out)
  local got = {}
  for name, result in out:gmatch("(%S+) (%S+)\n") do got[name] = result end
  return got
end

TestSeccompEscape = {}

function TestSeccompEscape:setUp()
  escape.set_up(self)
end

function TestSeccompEscape:tearDown()
  escape.tear_down(self)
end

function TestSeccompEscape:calls(options, argv_prefix)
  local argv = { table.unpack(argv_prefix or {}) }
  argv[#argv + 1] = argv_prefix and self.host .. "/hako-run" or sandbox.bin("hako-run")
  table.move(options, 1, #options, #argv + 1, argv)
  table.move({ self.sb.root, "/bin/probe", "calls" }, 1, 3, #argv + 1, argv)
  local r = process.run(argv)
  lu.assertEquals(r.status, 0, r.stderr)
  return parse(r.stdout)
end

local function assert_closed(got, how)
  lu.assertEquals(got, EXPECTED, how)
end

local function assert_control(got, how)
  for _, name in ipairs(OPEN_WITHOUT_FILTER) do
    lu.assertNotEquals(got[name], EXPECTED[name], how .. ": " .. name .. " without the filter")
  end
end

function TestSeccompEscape:test_closed_to_uid_0()
  assert_closed(self:calls({}), "uid 0")
  assert_control(self:calls({ "--seccomp", "none" }), "uid 0")
end

function TestSeccompEscape:test_closed_to_a_user()
  assert_closed(self:calls(escape.AS.user), "a user")
  assert_control(self:calls({ "--seccomp", "none", table.unpack(escape.AS.user) }), "a user")
end

function TestSeccompEscape:test_closed_in_a_rootless_sandbox()
  process.sh("cp " .. sandbox.bin("hako") .. " " .. self.host .. "/hako && ln -s hako " .. self.host .. "/hako-run")
  assert_closed(self:calls({}, AS_CALLER), "rootless")
  assert_control(self:calls({ "--seccomp", "none" }, AS_CALLER), "rootless")
end

-- hako-enter's command gets the sandbox's filter, whatever the record's program is.
function TestSeccompEscape:test_closed_to_hako_enters_command()
  for _, options in ipairs({ {}, { "--seccomp", "none" } }) do
    local pid_file = self.host .. "/pid"
    local argv = { sandbox.bin("hako-run"), "--pid-file", pid_file }
    table.move(options, 1, #options, #argv + 1, argv)
    table.move({ self.sb.root, "/bin/sleep", "100" }, 1, 3, #argv + 1, argv)
    for i, w in ipairs(argv) do argv[i] = process.quote(w) end
    local supervisor = process.sh(table.concat(argv, " ") .. " >/dev/null 2>&1 & echo $!"):match("%d+")
    local pid
    escape.eventually(function()
      local f = io.open(pid_file)
      pid = f and f:read("a"):match("%d+")
      if f then f:close() end
      return pid and os.execute("test -e /run/hako/" .. pid)
    end)
    lu.assertNotNil(pid, "the sandbox did not start")
    local r = process.run({ sandbox.bin("hako-enter"), pid, "/bin/probe", "calls" })
    process.run({ "kill", "-KILL", pid })
    lu.assertTrue(escape.eventually(function() return not escape.alive(supervisor) end))
    lu.assertEquals(r.status, 0, r.stderr)
    local check = #options == 0 and assert_closed or assert_control
    check(parse(r.stdout), "hako-enter")
  end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
