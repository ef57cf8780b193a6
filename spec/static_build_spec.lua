-- static_build_spec: CC='musl-gcc -static' make gives one static binary that works; so
-- does a plain make when musl-gcc is there (the default launcher); CC=gcc gives the
-- dynamically linked one, which works too.
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
  r = process.run({ OUT .. "/hako-run", "--as-pid-1", sb.root, "/bin/sh", "-c", "echo static $$" })
  sb:remove()
  lu.assertEquals(r.stdout, "static 1\n", r.stderr)
end

-- The binary the tests run (HAKO_BUILD) is the default build: static when musl-gcc is there.
function TestStaticBuild:test_default_build_is_static_with_musl()
  lu.skipIf(not os.execute("command -v musl-gcc >/dev/null"), "musl-gcc missing: apt-get install musl-tools")
  -- make sanitize builds with STATIC_LAUNCHER=no on purpose (ASan needs glibc's loader).
  lu.skipIf(os.execute("grep -q fsanitize " .. sandbox.BUILD .. "/obj/.compiler 2>/dev/null"),
    "a sanitizer build is dynamic by design")
  local headers = process.sh("readelf -l " .. sandbox.BUILD .. "/hako")
  lu.assertNotStrContains(headers, "INTERP")
  lu.assertStrContains(headers, "LOAD")
  -- core.so is for a stock lua5.4: a dynamic module still.
  lu.assertStrContains(process.sh("readelf -h " .. sandbox.BUILD .. "/lib/hako/core.so"), "DYN")
end

function TestStaticBuild:test_plain_gcc_build()
  local out = sandbox.BUILD .. "/gcc"
  local r = process.run({ "make", "-s", "B=" .. out, "CC=gcc", out .. "/hako", out .. "/hako-run" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertStrContains(process.sh("readelf -l " .. out .. "/hako"), "INTERP")   -- glibc's loader
  lu.assertEquals(process.run({ out .. "/hako", "--version" }).stdout,
    "hako " .. require("hako.version") .. "\n")
  lu.skipIf(not process.is_root(), "needs root to run a sandbox")
  local sb = sandbox.new()
  r = process.run({ out .. "/hako-run", sb.root, "/bin/sh", "-c", "echo dynamic $$" })
  sb:remove()
  lu.assertEquals(r.stdout, "dynamic 2\n", r.stderr)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
