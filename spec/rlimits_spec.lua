-- rlimits_spec: --rlimit (hako.rlimits, confine_steps.set_rlimits): parsed as prlimit(1)
-- takes it, seen by the command, re-applied to hako-enter's, refused with one line when
-- it cannot be set. The integration tests need root.
local lu = require "luaunit"
local process = require "support.process"
local rlimits = require "hako.rlimits"
local sandbox = require "support.sandbox"

local q = process.quote

local fails = require "support.fails"

TestRlimitsParse = {}

function TestRlimitsParse.test_the_forms_prlimit_takes()
  lu.assertEquals(rlimits.parse("nofile=64"), { name = "nofile", soft = 64, hard = 64 })
  lu.assertEquals(rlimits.parse("nofile=64:128"), { name = "nofile", soft = 64, hard = 128 })
  lu.assertEquals(rlimits.parse("core=0:"), { name = "core", soft = 0 })
  lu.assertEquals(rlimits.parse("stack=:unlimited"), { name = "stack", hard = rlimits.UNLIMITED })
  lu.assertEquals(rlimits.parse("as=infinity"), { name = "as", soft = -1, hard = -1 })
  lu.assertEquals(rlimits.list({ "nofile=64", "core=0", "nofile=32:64", cpu = "10:20" }),
    { "nofile=32:64", "core=0:0", "cpu=10:20" })
end

function TestRlimitsParse.test_bad_limits_name_what_is_wrong()
  fails(function() rlimits.parse("nofile") end, "--rlimit nofile: expected NAME=SOFT[:HARD]")
  fails(function() rlimits.parse("nofile=") end, "--rlimit nofile=: expected NAME=SOFT[:HARD]")
  fails(function() rlimits.parse("files=1") end, "--rlimit files=1: unknown resource files (names as in prlimit(1))")
  fails(function() rlimits.parse("nofile=-1") end, "--rlimit nofile=-1: expected a number or unlimited, got -1")
  fails(function() rlimits.parse("nofile=1:2:3") end, "--rlimit nofile=1:2:3: expected NAME=SOFT[:HARD]")
  fails(function() rlimits.parse("nofile=9:8") end, "--rlimit nofile=9:8: the soft limit is above the hard one")
  fails(function() rlimits.parse("nofile=unlimited:8") end,
    "--rlimit nofile=unlimited:8: the soft limit is above the hard one")
end

TestRlimits = {}

function TestRlimits:setUp()
  lu.skipIf(not process.is_root(), "needs root to make sandboxes")
  self.sb = sandbox.new()
end

function TestRlimits:tearDown()
  if self.sb then self.sb:remove() end
end

function TestRlimits:test_the_command_has_its_limits()
  local r = self.sb:run({ "--rlimit", "nofile=64:128", "--rlimit", "core=0", "--rlimit", "fsize=:unlimited" },
    { "/bin/sh", "-c", "ulimit -n; ulimit -Hn; ulimit -c; ulimit -Hc; ulimit -Hf" })
  lu.assertEquals(r.stdout, "64\n128\n0\n0\nunlimited\n", r.stderr)
  -- and as a user, under hako's init
  r = self.sb:run({ "--rlimit", "nofile=32", "-u", "65534", "-g", "65534" }, { "/bin/sh", "-c", "ulimit -n" })
  lu.assertEquals(r.stdout, "32\n", r.stderr)
end

function TestRlimits:test_a_limit_that_cannot_be_set_is_one_line_and_nothing_runs()
  local r = self.sb:run({ "--rlimit", "nofile=99999999999" }, { "/bin/sh", "-c", "echo ran" })
  lu.assertEquals(r.status, 125)
  lu.assertEquals(r.stdout, "")
  lu.assertEquals(r.stderr, "hako-run: --rlimit nofile=99999999999:99999999999: Operation not permitted"
    .. " (raising a hard limit needs root; nofile stops at fs.nr_open)\n")
end

-- hako-enter's command gets the sandbox's limits again (its caller's are not the sandbox's).
function TestRlimits:test_hako_enter_re_applies_them()
  local pidfile = self.sb.root .. ".pid"
  local supervisor = process.sh(q(sandbox.bin("hako-run")) .. " --rlimit nofile=48:96 -p " .. q(pidfile) .. " "
    .. q(self.sb.root) .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  local ok, err = pcall(function()
    for _ = 1, 500 do
      local f = io.open(pidfile)
      if f then f:close() break end
      process.sh("sleep 0.01")
    end
    local pid = assert(io.open(pidfile)):read("l")
    for _, flag in ipairs({ "--fork", "--no-fork" }) do
      lu.assertEquals(process.sh(q(sandbox.bin("hako-enter")) .. " " .. flag .. " " .. pid
        .. " /bin/sh -c 'ulimit -n; ulimit -Hn'"), "48\n96\n", flag)
    end
  end)
  os.execute("kill " .. supervisor .. "; sleep 0.1; rm -f " .. q(pidfile))
  if not ok then error(err, 0) end
end

-- Rootless, a limit may be lowered, not raised past the caller's.
function TestRlimits:test_rootless_lowers_and_cannot_raise()
  process.sh("chown -R 65534:65534 " .. q(self.sb.root))
  local run = "setpriv --reuid=65534 --regid=65534 --clear-groups " .. q(sandbox.bin("hako-run"))
  lu.assertEquals(process.sh(run .. " --rlimit nofile=16 " .. q(self.sb.root) .. " /bin/sh -c 'ulimit -n'"), "16\n")
  local r = process.run({ "sh", "-c", "ulimit -n 256; " .. run .. " --rlimit nofile=512 " .. q(self.sb.root)
    .. " /bin/true" })
  lu.assertEquals(r.status, 125)
  lu.assertStrContains(r.stderr, "hako-run: --rlimit nofile=512:512: Operation not permitted")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
