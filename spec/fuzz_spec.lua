-- fuzz_spec: a test for each bug the fuzzer found (make fuzz, spec/fuzz/), with the input
-- that found it, and the fuzzer's short pass: make fuzz feeds each parser 100,000 inputs,
-- this the first 1,000 of them (a few seconds). HAKO_FUZZ_SEED and HAKO_FUZZ_COUNT
-- change the pass; the default is seed 1, so that make check is the same every time.
local lu = require "luaunit"
local commands = require "fuzz.command_targets"
local core = require "hako.core"
local failure = require "hako.failure"
local harness = require "fuzz.harness"
local idmap = require "hako.idmap"
local mounts = require "hako.mounts"
local record = require "hako.record"
local targets = require "fuzz.targets"

local SEED = os.getenv("HAKO_FUZZ_SEED") or "1"
local COUNT = tonumber(os.getenv("HAKO_FUZZ_COUNT")) or 1000

-- Each bug the fuzzer found, with the input (or its essence) that found it.
TestFuzzFound = {}

local function refused(f, ...)
  local ok, err = pcall(f, ...)
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  return tostring(err)
end

-- core.statx(AT_FDCWD, "/nonexistent-hako-fuzz/x/a\0/b"): C saw "/nonexistent-hako-fuzz/x/a".
-- A path, a name or mount options with a NUL byte reached the kernel cut short there.
function TestFuzzFound.test_a_string_with_a_nul_byte_never_reaches_the_kernel_cut_short()
  local calls = {
    function() return core.statx(core.AT_FDCWD, "/\0etc") end,
    function() return core.open("/dev/null\0.bak", core.O_RDONLY) end,
    function() return core.readdir("/\0x") end,
    function() return core.mount(nil, "/nonexistent\0", nil, 0, "size=1\0,mode=777") end,
    function() return core.mount("a\0b", "/nonexistent") end,
    function() return core.execve("/bin/true\0x", { "true" }, {}) end,
    function() return core.memfd_create("x\0y", core.MFD_CLOEXEC) end,
    function() return core.get_ifflags(0, "lo\0x") end,
    function() return core.join_session_keyring("x\0y") end,
  }
  for i, call in ipairs(calls) do
    local ok, err = pcall(call)
    lu.assertFalse(ok, "call " .. i)
    lu.assertStrContains(err, "bad argument", false, "call " .. i)
  end
  lu.assertEquals(core.statx(core.AT_FDCWD, "/").type, "directory")
end

-- hako-run -e "$(printf 'A\nB')": a value with a newline made the message two lines,
-- the second one the value's; an escape sequence went to the terminal as it was.
function TestFuzzFound.test_a_failure_is_one_line_whatever_the_value()
  local status, _, err = commands.capture(require("hako.command").hako_run, { "-n", "-e", "A\nB\27[2J", "sb" })
  lu.assertEquals(status, 125)
  lu.assertEquals(err, "hako-run: --env A\\nB\\x1B[2J: expected NAME=VALUE\n")
  status, _, err = commands.capture(require("hako.enter").main, { "-n", "\0" })
  lu.assertEquals({ status, err }, { 125, "hako-enter: name \\x00: neither a pid nor a sandbox's name (a name:"
    .. " expected 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit)\n" })
end

-- hako --bogus and hako alone printed the usage after the error: five lines.
function TestFuzzFound.test_hako_usage_errors_are_one_line()
  lu.assertNil(commands.hako.run({ "--bogus" }))
  lu.assertNil(commands.hako.run({}))
  lu.assertNil(commands.hako.run({ "-x\ny" }))
end

-- --mount /x:/. made the destination "" and /x:/././.hako was /./.hako: gsub's matches do
-- not overlap, so "/./" after "/./" stayed, and the checks for / and /.hako missed them.
function TestFuzzFound.test_dot_components_cannot_hide_the_root_or_the_old_root()
  lu.assertStrContains(refused(mounts.parse, { "/x:/." }, "/"), "the sandbox root itself")
  lu.assertStrContains(refused(mounts.parse, { "/x:/././." }, "/"), "the sandbox root itself")
  lu.assertStrContains(refused(mounts.parse, { "/x:/././.hako" }, "/"), "where the host's root is detached")
  lu.assertStrContains(refused(mounts.parse, { { tmpfs = "//./.hako/." } }, "/"), "where the host's root is detached")
  lu.assertEquals(mounts.parse({ "/x:/a/././b/." }, "/")[1].dst, "/a/b")
end

-- hako.run{ root = "sb", cap_add = 1 } and { mounts = { { tmpfs = 3 } } }: Lua errors
-- ("attempt to index a number value") where a recipe should get a failure.
function TestFuzzFound.test_recipe_values_of_the_wrong_type_are_refused()
  local hako = require "hako"
  refused(hako.plan, { root = "sb", cap_add = 1 })
  refused(hako.plan, { root = "sb", cap_add = print })
  refused(hako.plan, { root = "sb", mounts = { { tmpfs = 3 } } })
  refused(hako.plan, { root = "sb", mounts = { { tmpfs = true } } })
  refused(hako.plan, { root = "sb", mounts = { { dev_bind = io.stdout } } })
end

local function sample_record(ns_lines)
  local text = require("fuzz.text_targets").record.seeds[1]
  return (text:gsub("ns%.[^\n]*\n", "")):gsub("\npolicy%.uid", "\n" .. ns_lines .. "policy.uid", 1)
end

-- A record's "ns.mnt 0:4 400000000001026531835" parsed, with an inode of nil: format()
-- then failed, and hako-enter would have compared nil. "ns.urser ..." alone counted as a
-- namespace recorded, when none of those compared was.
function TestFuzzFound.test_record_namespaces_are_known_and_integers()
  lu.assertNotNil(record.parse(sample_record("ns.mnt 0:4 4026531837\n")))
  lu.assertEquals({ record.parse(sample_record("ns.mnt 0:4 400000000001026531835\n")) }, { nil, "bad ns.mnt" })
  lu.assertEquals({ record.parse(sample_record("ns.urser 0:4 1\n")) }, { nil, "no namespaces" })
end

-- /etc/subuid "root:1009223372036854775808000:65536": tonumber gave a float, and
-- string.format("%d") raised; "root:100000000000:65536" made a map the kernel refuses.
function TestFuzzFound.test_subordinate_ranges_past_the_ids_are_skipped()
  local default = { start = idmap.DEFAULT_RANGE_START, slots = idmap.DEFAULT_SLOTS }
  lu.assertEquals(idmap.pool("root:1009223372036854775808000:131072\n"), default)
  lu.assertEquals(idmap.pool("root:100000000000:131072\nroot:100000:131072\n"), { start = 100000, slots = 2 })
  lu.assertEquals(idmap.pool("root:4294836223:131072\n"), { start = 4294836223, slots = 2 })
  lu.assertEquals(idmap.pool("root:4294836224:131072\n"), default)
end

-- The short pass: a test per parser, each in worker processes as in make fuzz.
TestFuzzShortPass = {}

for _, target in ipairs(targets) do
  TestFuzzShortPass["test_" .. target.name:gsub("%-", "_")] = function()
    local count = math.max(1, math.floor(COUNT * (target.share or 1)))
    local report = harness.run(target, { seed = SEED, count = count })
    local bugs = {}
    for _, bug in ipairs(report.bugs) do
      local ok, input = pcall(harness.input, target, SEED, bug.index or 1)
      bugs[#bugs + 1] = string.format("input %s: %s\n  input: %s\n  replay: make fuzz SEED=%s PARSER=%s INDEX=%s",
        tostring(bug.index), bug.problem, ok and harness.show(input) or "?", SEED, target.name, tostring(bug.index))
    end
    lu.assertEquals(bugs, {})
    lu.assertEquals(report.count, count)
  end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
