-- caps_spec: capability names (hako.caps), no root needed.
local lu = require "luaunit"
local caps = require "hako.caps"

TestCaps = {}

function TestCaps.test_names_in_every_spelling()
  lu.assertEquals(caps.number("CAP_NET_RAW"), 13)
  lu.assertEquals(caps.number("net_raw"), 13)
  lu.assertEquals(caps.number("cap_sys_admin"), 21)
  lu.assertEquals(caps.number("CHOWN"), 0)
  lu.assertEquals(caps.number("checkpoint_restore"), 40)
end

function TestCaps.test_parse_sorts_and_drops_repeats()
  lu.assertEquals(caps.parse({ "sys_chroot", "net_raw", "CAP_NET_RAW" }), { 13, 18 })
  lu.assertEquals(caps.mask({ 0, 13 }), 1 | (1 << 13))
end

function TestCaps.test_unknown_names()
  lu.assertErrorMsgContains("--cap-add cap_fly: unknown capability", caps.number, "cap_fly")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
