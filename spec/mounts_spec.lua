-- mounts_spec: --mount, --tmpfs, --dev-bind specs (hako.mounts), no root needed.
local lu = require "luaunit"
local failure = require "hako.failure"
local mounts = require "hako.mounts"

local function parse(list)
  return mounts.parse(list, "/home/me")
end

local function fails(item, message)
  local ok, err = pcall(parse, { item })
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  lu.assertEquals(tostring(err), message)
end

TestMounts = {}

function TestMounts.test_bind_forms()
  lu.assertEquals(parse({ "/usr:/usr", "data:/data:ro", "/x:/y:rw" }), {
    { type = "bind", src = "/usr", dst = "/usr", devices = false },
    { type = "bind", src = "/home/me/data", dst = "/data", mode = "ro", devices = false },
    { type = "bind", src = "/x", dst = "/y", mode = "rw", devices = false },
  })
end

function TestMounts.test_split_keeps_empty_fields()
  lu.assertEquals(mounts.split("a::b:"), { "a", "", "b", "" })
  lu.assertEquals(mounts.split(""), { "" })
  lu.assertEquals(mounts.split("/x:/y:ro"), { "/x", "/y", "ro" })
end

function TestMounts.test_escaped_colons()
  lu.assertEquals(mounts.split("a\\:b:/c\\:d:ro"), { "a:b", "/c:d", "ro" })
  local m = parse({ "/a\\:b:/c" })[1]
  lu.assertEquals({ m.src, m.dst }, { "/a:b", "/c" })
end

function TestMounts.test_destination_is_cleaned()
  lu.assertEquals(parse({ "/a://b/./c/" })[1].dst, "/b/c")
end

function TestMounts.test_tmpfs_and_dev_bind()
  lu.assertEquals(parse({ { tmpfs = "/tmp" }, { tmpfs = "/run:64m" }, { tmpfs = "/s:50%" } }), {
    { type = "tmpfs", dst = "/tmp" }, { type = "tmpfs", dst = "/run", size = "64m" },
    { type = "tmpfs", dst = "/s", size = "50%" } })
  lu.assertTrue(parse({ { dev_bind = "/dev/kvm:/dev/kvm" } })[1].devices)
end

function TestMounts.test_tables_from_recipes()
  local m = parse({ { src = "/a", dst = "/b", mode = "ro" } })[1]
  lu.assertEquals({ m.src, m.dst, m.mode }, { "/a", "/b", "ro" })
end

function TestMounts.test_malformed_specs()
  fails("", "--mount: empty (expected SRC:DST[:ro|:rw])")
  fails("a", "--mount a: expected SRC:DST[:ro|:rw]")
  fails("a::b", "--mount a::b: empty destination")
  fails("a:b:c:d", "--mount a:b:c:d: expected SRC:DST[:ro|:rw]")
  fails("a:/b:xx", "--mount a:/b:xx: mode xx must be ro or rw")
  fails("a:/b:", '--mount a:/b:: mode "" must be ro or rw')
  fails(":/b", "--mount :/b: empty source")
end

function TestMounts.test_bad_destinations()
  fails("a:b", "--mount a:b: destination b must be absolute")
  fails("a:/x/../y", "--mount a:/x/../y: destination /x/../y must not contain ..")
  fails("a:/..", "--mount a:/..: destination /.. must not contain ..")
  fails("a:/", "--mount a:/: destination / is the sandbox root itself")
  fails("a:/.hako", "--mount a:/.hako: destination /.hako is where the host's root is detached")
  fails("a:/.hako/x", "--mount a:/.hako/x: destination /.hako/x is where the host's root is detached")
end

function TestMounts.test_bad_tmpfs()
  fails({ tmpfs = "tmp" }, "--tmpfs tmp: destination tmp must be absolute")
  fails({ tmpfs = "/tmp:big" }, "--tmpfs /tmp:big: size big must be a number with an optional k, m, g or % suffix")
  fails({ tmpfs = "/tmp:1:2" }, "--tmpfs /tmp:1:2: expected DST[:SIZE]")
end

function TestMounts.test_bad_items()
  fails(42, "mounts: item 1 must be a string or a table")
  fails({ src = "/a" }, "mounts: a table needs src and dst strings, or tmpfs")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
