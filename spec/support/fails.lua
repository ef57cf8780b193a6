-- support/fails.lua: fails(f, message) asserts that f raises a hako.failure (not a Lua
-- error) whose one line is message, with hako's own exit status, 125.
local lu = require "luaunit"
local failure = require "hako.failure"

return function(f, message)
  local ok, err = pcall(f)
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  lu.assertEquals(tostring(err), message)
  lu.assertEquals(err.status, failure.SETUP)
end
