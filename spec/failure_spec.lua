-- failure_spec: failure values and how a command turns them into a status (hako.failure).
local lu = require "luaunit"
local failure = require "hako.failure"

TestFailure = {}

function TestFailure.test_a_failure_reads_what_why()
  local f = failure.new("mount /x", "Permission denied", 125, 1)
  lu.assertEquals(tostring(f), "mount /x: Permission denied")
  lu.assertTrue(failure.is(f))
  lu.assertFalse(failure.is({}))
end

function TestFailure.test_core_messages_split_at_the_last_colon()
  local ok, err = pcall(failure.check, nil, "openat2 etc/passwd: No such file or directory", 2)
  lu.assertFalse(ok)
  lu.assertEquals({ err.what, err.why, err.errno }, { "openat2 etc/passwd", "No such file or directory", 2 })
  lu.assertEquals({ failure.check(3, "x") }, { 3, "x" })
end

function TestFailure.test_run_command_gives_the_status()
  lu.assertEquals(failure.run_command("t", function(a) return a + 1 end, 41), 42)
  lu.assertEquals(failure.run_command("t", function() failure.raise("x", "y", 127) end), 127)
  lu.assertEquals(failure.run_command("t", function() error("a bug") end), failure.SETUP)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
