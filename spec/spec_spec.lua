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

function TestSpec.test_longest_hostname_is_accepted()
  lu.assertEquals(spec.build({ root = "/sb", hostname = string.rep("h", 64) }, CONTEXT).hostname,
    string.rep("h", 64))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
