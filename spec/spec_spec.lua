-- spec_spec: options -> validated spec (hako.spec), no root needed.
local lu = require "luaunit"
local spec = require "hako.spec"
local failure = require "hako.failure"

local CONTEXT = { cwd = "/home/me", term = "xterm" }

local function fails(options, pattern)
  local ok, err = pcall(spec.build, options, CONTEXT)
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  lu.assertStrContains(tostring(err), pattern)
  lu.assertEquals(err.status, 125)
end

TestSpec = {}

function TestSpec.test_defaults()
  local s = spec.build({ root = "sb" }, CONTEXT)
  lu.assertEquals(s.root, "/home/me/sb")
  lu.assertEquals(s.command, { "/sbin/init" })
  lu.assertEquals(s.hostname, "hako")
  lu.assertEquals(s.namespaces, { "mount", "pid", "ipc", "uts" })
end

function TestSpec.test_clean_environment_keeps_only_term()
  local s = spec.build({ root = "/sb" }, CONTEXT)
  lu.assertEquals(s.env, { "PATH=" .. spec.DEFAULT_PATH, "HOME=/", "TERM=xterm" })
  s = spec.build({ root = "/sb" }, { cwd = "/" })
  lu.assertEquals(s.env, { "PATH=" .. spec.DEFAULT_PATH, "HOME=/" })
end

function TestSpec.test_absolute_root_is_kept()
  lu.assertEquals(spec.build({ root = "/srv/sb" }, CONTEXT).root, "/srv/sb")
  lu.assertEquals(spec.build({ root = "sb" }, { cwd = "/" }).root, "/sb")
end

function TestSpec.test_command_forms()
  lu.assertEquals(spec.build({ root = "/sb", command = "/bin/sh" }, CONTEXT).command, { "/bin/sh" })
  lu.assertEquals(spec.build({ root = "/sb", command = {} }, CONTEXT).command, { "/sbin/init" })
  lu.assertEquals(spec.build({ root = "/sb", command = { "ls", "-l" } }, CONTEXT).command, { "ls", "-l" })
end

function TestSpec.test_bad_input()
  fails({}, "target: missing")
  fails({ root = "" }, "target: missing")
  fails({ root = 42 }, "target: must be a string")
  fails({ root = "/sb", command = { "" } }, "command: empty command name")
  fails({ root = "/sb", command = { "ls", 1 } }, "command: must be a string")
  fails({ root = "/sb", hostname = "" }, "hostname: must not be empty")
  fails({ root = "/sb", hostname = string.rep("h", 65) }, "longer than 64 bytes")
  fails({ root = "/sb", rooot = "/x" }, "rooot: unknown option")
  fails({ root = "/s\0b" }, "NUL")
end

function TestSpec.test_as_pid_1_is_off_except_for_an_init()
  lu.assertFalse(spec.build({ root = "/sb", command = { "sh" } }, CONTEXT).as_pid_1)
  lu.assertTrue(spec.build({ root = "/sb", command = { "sh" }, as_pid_1 = true }, CONTEXT).as_pid_1)
  lu.assertTrue(spec.build({ root = "/sb" }, CONTEXT).as_pid_1)
  lu.assertTrue(spec.build({ root = "/sb", command = { "/sbin/init", "3" } }, CONTEXT).as_pid_1)
  fails({ root = "/sb", as_pid_1 = "yes" }, "as_pid_1: must be true or false")
end

function TestSpec.test_json_status_fd()
  lu.assertNil(spec.build({ root = "/sb" }, CONTEXT).json_status_fd)
  lu.assertEquals(spec.build({ root = "/sb", json_status_fd = "3" }, CONTEXT).json_status_fd, 3)
  lu.assertEquals(spec.build({ root = "/sb", json_status_fd = 0 }, CONTEXT).json_status_fd, 0)
  for _, bad in ipairs({ "x", "-1", "3.0", "", " 3", 2.5, "99999999999" }) do
    fails({ root = "/sb", json_status_fd = bad }, "not a file descriptor number")
  end
end

function TestSpec.test_timeout()
  local s = spec.build({ root = "/sb" }, CONTEXT)
  lu.assertNil(s.timeout)
  lu.assertEquals(s.timeout_grace, spec.DEFAULT_TIMEOUT_GRACE)
  s = spec.build({ root = "/sb", timeout = "1.5", timeout_grace = 0.25 }, CONTEXT)
  lu.assertEquals(s.timeout, 1.5)
  lu.assertEquals(s.timeout_grace, 0.25)
  for _, bad in ipairs({ "0", "-1", 0, "nan", "inf", "1e400" }) do
    fails({ root = "/sb", timeout = bad }, "--timeout " .. tostring(bad))
  end
  fails({ root = "/sb", timeout = "soon" }, "--timeout soon: not a number of seconds")
  fails({ root = "/sb", timeout = {} }, "not a number of seconds")
  fails({ root = "/sb", timeout_grace = 0 }, "timeout_grace 0: must be more than 0")
end

function TestSpec.test_longest_hostname_is_accepted()
  lu.assertEquals(spec.build({ root = "/sb", hostname = string.rep("h", 64) }, CONTEXT).hostname,
    string.rep("h", 64))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
