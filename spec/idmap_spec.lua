-- idmap_spec: id maps of rootless sandboxes (hako.idmap), no root needed.
local lu = require "luaunit"
local failure = require "hako.failure"
local idmap = require "hako.idmap"

local SUBUID = "root:100000:65536\nalice:200000:65536\n1001:300000:1000\nbad line\nzero:1:0\n"

TestIdmap = {}

function TestIdmap.test_ranges_by_name_or_number()
  lu.assertEquals({ idmap.subordinate(SUBUID, "alice", 1000) }, { 200000, 65536 })
  lu.assertEquals({ idmap.subordinate(SUBUID, "bob", 1001) }, { 300000, 1000 })
  lu.assertEquals({ idmap.subordinate(SUBUID, "zero", 7) }, {})
  lu.assertEquals({ idmap.subordinate(nil, "alice", 1000) }, {})
end

function TestIdmap.test_helper_arguments_map_zero_to_the_caller_then_the_range()
  lu.assertEquals(idmap.ranges(1000, SUBUID, "alice", "--map-users"),
    { "0", "1000", "1", "1", "200000", "65536" })
end

function TestIdmap.test_a_caller_without_a_range()
  local ok, err = pcall(idmap.ranges, 1002, SUBUID, "carol", "--map-groups")
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err))
  lu.assertEquals(tostring(err), "--map-groups auto: no range for carol in /etc/subgid")
end

function TestIdmap.test_names_from_the_hosts_passwd()
  lu.assertEquals(idmap.name_of("root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n", 1000), "alice")
  lu.assertNil(idmap.name_of("root:x:0:0::/:/bin/sh\n", 1000))
end

-- Root's own entry cut into slots when it holds two or more, else the documented pool.
function TestIdmap.test_roots_pool()
  lu.assertEquals(idmap.pool("alice:100000:65536\nroot:200000:131072\n"), { start = 200000, slots = 2 })
  lu.assertEquals(idmap.pool("root:200000:1000000\n"), { start = 200000, slots = 15 })
  lu.assertEquals(idmap.pool("root:300000:65536\n"), { start = 0x70000000, slots = 4096 })
  lu.assertEquals(idmap.pool("0:300000:1000\n"), { start = 0x70000000, slots = 4096 })
  lu.assertEquals(idmap.pool(nil), { start = 1879048192, slots = 4096 })
end

-- Every slot of the default pool ends below 2^31; none is past the pool.
function TestIdmap.test_slots()
  local pool = idmap.pool(nil)
  lu.assertEquals(idmap.slot_start(pool, 0), 0x70000000)
  lu.assertEquals(idmap.slot_start(pool, 3), 0x70000000 + 3 * 65536)
  lu.assertEquals(idmap.slot_start(pool, 4095) + 65536, 2 ^ 31)
  lu.assertNil(idmap.slot_start(pool, 4096))
  lu.assertNil(idmap.slot_start(pool, -1))
  lu.assertEquals(idmap.range_map(0x70010000), "0 1879113728 65536\n")
end

function TestIdmap.test_a_single_id()
  lu.assertEquals(idmap.single(0, 1000), "0 1000 1\n")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
