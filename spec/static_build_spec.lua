-- static_build_spec: CC='musl-gcc -static' make gives one static binary that works.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local OUT = sandbox.BUILD .. "/musl"

TestStaticBuild = {}

function TestStaticBuild:test_musl_static_build()
  local has_musl = os.execute("command -v musl-gcc >/dev/null")
  lu.skipIf(not has_musl, "musl-gcc missing: apt-get install musl-tools")
  local r = process.run({ "make", "-s", "B=" .. OUT, "CC=musl-gcc -static" })
  lu.assertEquals(r.status, 0, r.stderr)
  local headers = process.sh("readelf -l " .. OUT .. "/hako")
  lu.assertNotStrContains(headers, "INTERP")   -- no dynamic loader: fully static
  lu.assertStrContains(headers, "LOAD")
  lu.assertEquals(process.run({ OUT .. "/hako", "--version" }).stdout,
    "hako " .. require("hako.version") .. "\n")
  lu.skipIf(not process.is_root(), "needs root to run a sandbox")
  local sb = sandbox.new()
  r = process.run({ OUT .. "/hako-run", sb.root, "/bin/sh", "-c", "echo static $$" })
  sb:remove()
  lu.assertEquals(r.stdout, "static 1\n", r.stderr)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
