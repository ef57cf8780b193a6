-- names_spec: hako-run --name, hako-enter NAME, with real sandboxes (needs root; skipped
-- with the reason otherwise). Names are the test's own: other runs may share /run/hako.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"
local support = require "support.enter"

local RECORDS, q = support.RECORDS, process.quote
local read, poll, alive, enter, fails = support.read, support.poll, support.alive, support.enter, support.fails

local function unique_name()
  return string.format("names-%d-%d", os.time(), math.random(1, 1000000000))
end

TestNames = support.suite()

function TestNames:test_a_named_sandbox_is_entered_by_name_and_its_record_keeps_name_and_command()
  local name = unique_name()
  local pid = self:start({ "--name", name, "-H", "named" })
  local text = assert(read(RECORDS .. "/" .. pid))
  lu.assertStrContains(text, "\nname " .. name .. "\n")
  lu.assertStrContains(text, "\ncommand /bin/sleep\ncommand 1000\n")
  local started = tonumber(text:match("\nstarted_at (%d+)\n"))
  lu.assertTrue(started and math.abs(started - os.time()) < 60, text)
  local r = enter({ name, "hostname" })
  lu.assertEquals(r.stderr, "")
  lu.assertEquals(r.stdout, "named\n")
  fails({ name .. "-not", "true" }, 125, name .. "-not: no running sandbox of that name (in /run/hako)")
end

-- Taken while its sandbox runs, refused before anything is made; free once it has ended.
function TestNames:test_a_name_that_is_taken_is_refused_until_its_sandbox_ends()
  local name = unique_name()
  local pid, supervisor = self:start({ "--name", name })
  local r = self.sb:run({ "--name", name }, { "/bin/touch", "/tmp/ran" })
  lu.assertEquals(r.stderr, "hako-run: --name " .. name .. ": taken by a running sandbox of yours (hako-run "
    .. supervisor .. "; hako ps lists them)\n")
  lu.assertEquals(r.status, 125)
  lu.assertEquals(process.sh("ls " .. self.sb:path("tmp")), "")
  os.execute("kill -KILL " .. pid)
  assert(poll(function() return not alive(supervisor) end), "hako-run did not end")
  r = self.sb:run({ "--name", name }, { "/bin/true" })
  lu.assertEquals(r.stderr, "")
  lu.assertEquals(r.status, 0)
end

-- A SIGKILLed hako-run leaves its record and its name behind: neither counts, and the
-- name leads to the new sandbox that has it.
function TestNames:test_a_stale_name_does_not_count()
  local name = unique_name()
  local old, supervisor = self:start({ "--name", name, "-H", "old" })
  self.files[#self.files + 1] = RECORDS .. "/" .. old
  self.files[#self.files + 1] = RECORDS .. "/" .. supervisor .. ".name"
  os.execute("kill -KILL " .. supervisor)
  assert(poll(function() return not alive(old) end), "the sandbox outlived hako-run")
  lu.assertStrContains(assert(read(RECORDS .. "/" .. old)), "\nname " .. name .. "\n")
  self:start({ "--name", name, "-H", "new" })
  lu.assertEquals(enter({ name, "hostname" }).stdout, "new\n")
end

-- What makes a name live is a hako-run that still runs with the recorded start time: a
-- claim naming a live process with its start time blocks the name, one whose start time
-- is another (a reused pid) does not.
function TestNames:test_a_name_is_held_by_a_live_process_of_the_recorded_start_time()
  local name = unique_name()
  local helper = process.sh("sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  self.helpers[#self.helpers + 1] = helper
  local started = require("hako.record").start_time(assert(read("/proc/" .. helper .. "/stat")))
  local claim = RECORDS .. "/" .. helper .. ".name"
  self.files[#self.files + 1] = claim
  process.sh("ln -s " .. q(name .. " " .. started) .. " " .. claim)
  local r = self.sb:run({ "--name", name }, { "/bin/true" })
  lu.assertEquals(r.stderr, "hako-run: --name " .. name .. ": taken by a running sandbox of yours (hako-run "
    .. helper .. "; hako ps lists them)\n")
  process.sh("rm " .. claim .. " && ln -s " .. q(name .. " " .. (started + 1)) .. " " .. claim)
  r = self.sb:run({ "--name", name }, { "/bin/true" })
  lu.assertEquals(r.stderr, "")
  lu.assertEquals(r.status, 0)
end

-- Each user has names of their own: nobody's rootless sandbox may have the name of
-- root's, and each caller's hako-enter NAME finds its own.
function TestNames:test_names_are_each_users_own()
  lu.skipIf(not os.execute(support.NOBODY .. "unshare -U true 2>/dev/null"), "no user namespaces for nobody here")
  local name = unique_name()
  self:start({ "--name", name, "-H", "roots" })
  local run_dir = self:nobody_runtime_dir(false)
  process.sh("chmod 755 " .. self.sb.root)
  local as_nobody = support.NOBODY .. "env XDG_RUNTIME_DIR=" .. run_dir .. " "
  self:start({ "--name", name, "-H", "nobodys" }, as_nobody, run_dir .. "/hako")
  lu.assertEquals(enter({ name, "hostname" }).stdout, "roots\n")
  local r = process.run({ "sh", "-c", as_nobody .. q(support.ENTER) .. " " .. name .. " hostname" })
  lu.assertEquals(r.stderr, "")
  lu.assertEquals(r.stdout, "nobodys\n")
  -- Nobody from cron (no XDG_RUNTIME_DIR, records in /tmp/hako-65534) sees it all the same.
  r = process.run({ "sh", "-c", support.NOBODY .. "env -u XDG_RUNTIME_DIR " .. q(sandbox.bin("hako-run"))
    .. " --name " .. name .. " " .. q(self.sb.root) .. " /bin/true" })
  lu.assertStrContains(r.stderr, "hako-run: --name " .. name .. ": taken by a running sandbox of yours")
end

function TestNames:test_hako_run_help_and_errors()
  local help = process.run({ sandbox.bin("hako-run"), "--help" }).stdout
  lu.assertStrContains(help, "--name NAME")
  local r = self.sb:run({ "--name", "../x" }, { "/bin/true" })
  lu.assertEquals(r.stderr, "hako-run: --name ../x: expected 1 to 64 letters, digits, '_', '.' or '-',"
    .. " starting with a letter or digit\n")
  lu.assertEquals(r.status, 125)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
