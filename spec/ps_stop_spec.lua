-- ps_stop_spec: hako ps and hako stop. Formatting without root; the commands against
-- real sandboxes as root (skipped with the reason otherwise). Other runs may share
-- /run/hako: only this test's own sandboxes are looked for in the listings.
local lu = require "luaunit"
local docs = require "support.docs"
local process = require "support.process"
local sandbox = require "support.sandbox"
local support = require "support.enter"
local ps = require "hako.ps"

local RECORDS, q = support.RECORDS, process.quote
local read, poll, alive = support.read, support.poll, support.alive
local HAKO = sandbox.bin("hako")

local function hako(argv, prefix)
  local words = {}
  for i, w in ipairs(argv) do words[i] = q(w) end
  return process.run({ "sh", "-c", (prefix or "") .. q(HAKO) .. " " .. table.concat(words, " ") })
end

local function unique_name()
  return string.format("ps-%d-%d", os.time(), math.random(1, 1000000000))
end

-- The table's line for pid, split into its columns.
local function row(text, pid)
  for line in text:gmatch("[^\n]+") do
    local cols = {}
    for word in line:gmatch("%S+") do cols[#cols + 1] = word end
    if cols[2] == tostring(pid) then return cols end
  end
end

TestPsFormat = {}

function TestPsFormat.test_durations_and_words()
  lu.assertEquals({ ps.duration(0), ps.duration(59), ps.duration(61), ps.duration(7500), ps.duration(200000) },
    { "0s", "59s", "1m01s", "2h05m", "2d07h" })
  lu.assertEquals(ps.words({ "/bin/sh", "-c", "echo 'hi' there", "", "a\nb" }),
    "/bin/sh -c 'echo '\\''hi'\\'' there' '' 'a?b'")
end

function TestPsFormat.test_rows_skip_what_is_not_live_and_print_as_table_and_json()
  local live = { pid = 42, supervisor = 41, owner = 1000, root = "/srv/sb", name = "web", started_at = 100,
    command = { "/bin/sh", "-c", 'say "hi"' }, uid_range = "1879048192-1879113727", gid_range = "5-65540" }
  local entries = { { pid = 42, record = live }, { pid = 43, record = live, problem = "stale" },
    { pid = 44, problem = "not a hako record" } }
  local rows = ps.rows(entries, { [1000] = "alice" }, 190)
  lu.assertEquals(#rows, 1)
  lu.assertEquals(ps.table(rows), "NAME  PID  USER   IDS                    ROOT     UPTIME  COMMAND\n"
    .. "web   42   alice  1879048192-1879113727  /srv/sb  1m30s   /bin/sh -c 'say \"hi\"'\n")
  lu.assertEquals(ps.json(rows), '[\n{"name": "web", "pid": 42, "supervisor": 41, "uid": 1000, "user": "alice",'
    .. ' "uid_range": "1879048192-1879113727", "gid_range": "5-65540",'
    .. ' "root": "/srv/sb", "started_at": 100, "uptime": 90, "command": ["/bin/sh", "-c", "say \\"hi\\""]}\n]\n')
  lu.assertEquals(ps.json({}), "[]\n")
end

-- The man page and the README name every option of both.
function TestPsFormat.test_man_page_and_readme_name_every_option()
  local section = docs.read("README.md"):match("### Named sandboxes, hako ps, hako stop(.-)\n### ")
  docs.assert_documented(ps.options, "bin/hako.1", section)
  docs.assert_documented(require("hako.stop").options, "bin/hako.1", section)
end

TestPsStop = support.suite()

function TestPsStop:test_ps_lists_a_sandbox_with_its_name_user_root_and_command()
  local name = unique_name()
  local pid, supervisor = self:start({ "--name", name })
  local r = hako({ "ps" })
  lu.assertEquals(r.status, 0)
  lu.assertStrMatches(r.stdout, "^NAME +PID +USER +IDS +ROOT +UPTIME +COMMAND\n.*")
  local cells = row(r.stdout, pid)
  lu.assertEquals(cells, { name, pid, "root", cells[4], self.sb.root, cells[6], "/bin/sleep", "1000" })
  lu.assertStrMatches(cells[6], "%d+s")
  -- Root's sandbox: the host uids of its 0-65535 (--userns host: none, "-").
  local first = tonumber(cells[4]:match("^(%d+)%-"))
  lu.assertEquals(cells[4], first .. "-" .. (first + 65535))
  r = hako({ "ps", "--json" })
  lu.assertStrContains(r.stdout, '{"name": "' .. name .. '", "pid": ' .. pid .. ', "supervisor": ' .. supervisor
    .. ', "uid": 0, "user": "root", "uid_range": "' .. cells[4] .. '", "gid_range": "')
  lu.assertStrContains(r.stdout, '"root": "' .. self.sb.root .. '", "started_at": ')
  lu.assertStrContains(r.stdout, '"command": ["/bin/sleep", "1000"]}')
end

-- A SIGKILLed hako-run leaves its record: skipped, and said so.
function TestPsStop:test_ps_skips_and_reports_a_stale_record()
  local pid, supervisor = self:start({ "--name", unique_name() })
  self.files[#self.files + 1] = RECORDS .. "/" .. pid
  self.files[#self.files + 1] = RECORDS .. "/" .. supervisor .. ".name"
  os.execute("kill -KILL " .. supervisor)
  assert(poll(function() return not alive(pid) end), "the sandbox outlived hako-run")
  local r = hako({ "ps" })
  lu.assertNil(row(r.stdout, pid))
  lu.assertStrContains(r.stderr, "hako ps: " .. RECORDS .. "/" .. pid .. ": stale: its process has ended (skipped)\n")
  lu.assertEquals(r.status, 0)
end

-- A user sees their own sandboxes; root sees everyone's.
function TestPsStop:test_a_user_sees_their_own_root_everyones()
  lu.skipIf(not os.execute(support.NOBODY .. "unshare -U true 2>/dev/null"), "no user namespaces for nobody here")
  local mine = self:start_rootless()
  local as_nobody = support.NOBODY .. "env XDG_RUNTIME_DIR=/run/user/65534 "
  local r = hako({ "ps" }, as_nobody)
  lu.assertEquals(row(r.stdout, mine)[3], "nobody")
  lu.assertNil(row(r.stdout, self.pid))
  r = hako({ "ps" })
  lu.assertEquals(row(r.stdout, mine)[3], "nobody")
  lu.assertEquals(row(r.stdout, self.pid)[3], "root")
  -- Its owner stops it by pid; another user may not stop root's.
  r = hako({ "stop", mine }, as_nobody)
  lu.assertEquals(r.stderr, "")
  lu.assertFalse(alive(mine))
  r = hako({ "stop", self.pid }, as_nobody)
  lu.assertEquals(r.stderr, "hako stop: " .. self.pid
    .. ": permission denied (only root or the sandbox's owner can stop it)\n")
  lu.assertTrue(alive(self.pid))
end

-- TERM through hako-run, which passes it on, cleans up and ends; by name, pid or
-- hako-run's pid.
function TestPsStop:test_stop_by_name_pid_and_hako_run_pid_ends_hako_run_and_its_record()
  local name = unique_name()
  local pid, supervisor = self:start({ "--name", name })
  local r = hako({ "stop", name })
  lu.assertEquals({ r.status, r.stderr, r.stdout }, { 0, "", "" })
  lu.assertFalse(alive(supervisor))
  lu.assertFalse(alive(pid))
  lu.assertNil(read(RECORDS .. "/" .. pid))
  lu.assertNil(read(RECORDS .. "/" .. supervisor .. ".name"))
  pid, supervisor = self:start()
  lu.assertEquals(hako({ "stop", pid }).status, 0)
  lu.assertFalse(alive(supervisor))
  pid, supervisor = self:start()
  lu.assertEquals(hako({ "stop", supervisor }).status, 0)
  lu.assertFalse(alive(pid))
end

-- A command as PID 1 without a handler ignores TERM: after --timeout, KILL ends the
-- sandbox, and hako-run still cleans up.
function TestPsStop:test_stop_kills_after_the_timeout()
  local pid, supervisor = self:start({ "--as-pid-1" })
  local before = os.time()
  local r = hako({ "stop", "--timeout", "0.3", pid })
  lu.assertEquals({ r.status, r.stderr }, { 0, "" })
  lu.assertTrue(os.time() - before < 5)
  lu.assertFalse(alive(supervisor))
  lu.assertNil(read(RECORDS .. "/" .. pid))
end

-- The record's supervisor is signalled only if it is the sandbox's live hako-run.
function TestPsStop:test_stop_refuses_a_supervisor_that_is_not_the_sandboxs_hako_run()
  local helper = process.sh("sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  self.helpers[#self.helpers + 1] = helper
  local path = RECORDS .. "/" .. self.pid
  local text = assert(read(path))
  local function rewrite(new)
    local f = assert(io.open(path, "w"))
    f:write(new)
    f:close()
  end
  rewrite((text:gsub("\nsupervisor %d+\n", "\nsupervisor " .. helper .. "\n")))
  local r = hako({ "stop", self.pid })
  lu.assertEquals(r.stderr, "hako stop: " .. self.pid .. ": hako-run " .. helper
    .. ": is not the sandbox's parent: refused\n")
  lu.assertEquals(r.status, 125)
  lu.assertTrue(alive(helper))
  rewrite((text:gsub("\nsupervisor_start_time (%d+)\n",
    function(t) return "\nsupervisor_start_time " .. t + 1 .. "\n" end)))
  r = hako({ "stop", self.pid })
  lu.assertStrContains(r.stderr, ": is not the recorded one (start time): refused\n")
  lu.assertTrue(alive(self.supervisors[1]))
  rewrite(text)
end

function TestPsStop:test_errors()
  local r = hako({ "stop" })
  lu.assertEquals(r.stderr, "hako stop: name or pid: missing (usage: hako stop [--timeout SECONDS] <name>|<pid>)\n")
  r = hako({ "stop", "no-such-" .. unique_name() })
  lu.assertStrContains(r.stderr, ": no running sandbox of that name (in /run/hako)\n")
  r = hako({ "stop", "--timeout", "soon", self.pid })
  lu.assertEquals(r.stderr, "hako stop: --timeout soon: not a number of seconds\n")
  lu.assertEquals(r.status, 125)
  lu.assertStrContains(hako({ "ps", "--help" }).stdout, "--json")
  lu.assertEquals(hako({ "ps", "extra" }).stderr, "hako ps: extra: unexpected argument (try --help)\n")
  lu.assertTrue(alive(self.pid))
end

-- What a user's record says is shown to root: no byte may reach the terminal as a
-- control, a C1 one (U+009B, CSI) included.
TestPsWords = {}
function TestPsWords.test_controls_and_bytes_past_ascii_are_shown_as_question_marks()
  lu.assertEquals(require("hako.ps").words({ "a\27[2Jb", "c\194\155d", "plain" }), "'a?[2Jb' 'c??d' plain")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
