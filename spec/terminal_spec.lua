-- terminal_spec: ^C and ^Z at a real terminal (a pty driven by support/pty_job.py, which
-- plays an interactive shell running hako-run as a foreground job). Needs root and python3.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local ROOT = process.is_root()
local PYTHON = os.execute("command -v python3 >/dev/null 2>&1")
local DRIVER = "spec/support/pty_job.py"

TestTerminal = {}

function TestTerminal:setUp()
  lu.skipIf(not ROOT, "needs root (rootless hako-run is a later feature)")
  lu.skipIf(not PYTHON, "needs python3 to drive a pseudo-terminal")
  self.sb = sandbox.new()
end

function TestTerminal:tearDown()
  if self.sb then self.sb:remove() end
end

-- job(actions, options, script) -> what the terminal showed, ending in "status=N"
function TestTerminal:job(actions, options, script)
  local argv = { "python3", DRIVER }
  table.move(actions, 1, #actions, #argv + 1, argv)
  argv[#argv + 1] = "--"
  argv[#argv + 1] = sandbox.bin("hako-run")
  table.move(options, 1, #options, #argv + 1, argv)
  table.move({ self.sb.root, "/bin/sh", "-c", script }, 1, 4, #argv + 1, argv)
  local r = process.run(argv)
  lu.assertEquals(r.stderr, "")
  return r.stdout
end

function TestTerminal:test_ctrl_c_reaches_the_command_once()
  -- After ^C, a USR1 sent to hako-run (forwarded) makes the command say how many INTs
  -- it got: a second, forwarded copy of the terminal's INT would have come before it.
  local out = self:job({ "expect=ready", "type=\\x03", "expect=INT1", "kill=USR1" }, {},
    'n=0; trap \'n=$((n+1)); echo INT$n\' INT; trap \'echo USR1 after $n; exit 5\' USR1; '
    .. "echo ready; while :; do sleep 0.01; done")
  lu.assertStrContains(out, "INT1\n")
  lu.assertStrContains(out, "USR1 after 1\n")
  lu.assertStrContains(out, "\nstatus=5\n")
end

function TestTerminal:test_ctrl_c_ends_a_command_that_does_not_catch_it()
  local out = self:job({ "expect=ready", "type=\\x03" }, {}, "echo ready; exec sleep 100")
  lu.assertStrContains(out, "\nstatus=130\n")
end

-- The names pty_job's halted= saw stopped, as a set.
local function halted(out)
  local names = {}
  for name in (out:match("\nhalted: ([^\n]*)") or ""):gmatch("%S+") do names[name] = true end
  return names
end

function TestTerminal:test_ctrl_z_stops_the_job_and_fg_resumes_it()
  local out = self:job({ "expect=ready", "type=\\x1a", "stopped", "halted=2",
    "touch=" .. self.sb:path("tmp/go"), "fg", "expect=resumed" },
    {}, "echo ready; while [ ! -e /tmp/go ]; do sleep 0.01; done; echo resumed; exit 6")
  -- The shell saw hako-run stop; the command and its child stopped with it (the init,
  -- a PID 1, cannot be stopped and need not be).
  -- (Others may be the command's child: sleep, or busybox forked to exec it, "exe".)
  local stopped = halted(out)
  lu.assertTrue(stopped["hako-run"] and stopped.sh, out)
  lu.assertStrContains(out, "\nstatus=6\n")
end

-- bg: the job goes on in the background; the command may still write to the terminal.
function TestTerminal:test_ctrl_z_then_bg_continues_the_job_in_the_background()
  local out = self:job({ "expect=ready", "type=\\x1a", "stopped", "touch=" .. self.sb:path("tmp/go"), "bg" },
    {}, "echo ready; while [ ! -e /tmp/go ]; do sleep 0.01; done; echo resumed; exit 6")
  lu.assertStrContains(out, "resumed\n")
  lu.assertStrContains(out, "\nstatus=6\n")
end

-- A change of the terminal's size reaches the command, once.
function TestTerminal:test_window_size_changes_reach_the_command_once()
  local out = self:job({ "expect=ready", "winsize=30,100", "expect=WINCH1", "kill=USR1" }, {},
    "n=0; trap 'n=$((n+1)); echo WINCH$n' WINCH; trap 'echo USR1 after $n; exit 5' USR1; "
    .. "echo ready; while :; do sleep 0.01; done")
  lu.assertStrContains(out, "USR1 after 1\n")
  lu.assertStrContains(out, "\nstatus=5\n")
end

-- hako-enter's command is a job of its own at the terminal too: ^Z stops it and
-- hako-enter, fg resumes both.
function TestTerminal:test_hako_enter_ctrl_z_and_fg()
  local pidfile = self.sb:path("tmp/pid")
  local supervisor = process.sh(process.quote(sandbox.bin("hako-run")) .. " --pid-file " .. pidfile .. " "
    .. self.sb.root .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  local ok, err = pcall(function()
    for _ = 1, 500 do
      if io.open(pidfile) then break end
      process.sh("sleep 0.01")
    end
    local pid = assert(io.open(pidfile)):read("l")
    local argv = { "python3", DRIVER, "expect=ready", "type=\\x1a", "stopped", "halted=2",
      "touch=" .. self.sb:path("tmp/go"), "fg", "expect=resumed", "--", sandbox.bin("hako-enter"), pid,
      "/bin/sh", "-c", "echo ready; while [ ! -e /tmp/go ]; do sleep 0.01; done; echo resumed; exit 6" }
    local r = process.run(argv)
    -- hako-enter runs from its sealed copy (memfd:hako) when its binary is writable.
    local stopped = halted(r.stdout)
    local enter = stopped["hako-enter"] or stopped["memfd:hako"]
    lu.assertTrue(enter and stopped.sh, r.stdout)
    lu.assertStrContains(r.stdout, "\nstatus=6\n")
  end)
  process.sh("kill " .. supervisor .. "; while kill -0 " .. supervisor .. " 2>/dev/null; do sleep 0.01; done")
  if not ok then error(err, 0) end
end

-- hako-run as the session leader (a login shell or sshd's shell exec'd it): a hang-up
-- reaches only the leader, so hako-run must pass that one on even though the kernel sent it.
function TestTerminal:test_a_hang_up_reaches_the_command_when_hako_run_leads_the_session()
  local out = self:job({ "--leader", "expect=ready", "hangup" }, {},
    'trap \'echo hup >/tmp/hup; exit 7\' HUP; echo ready; while :; do sleep 0.01; done')
  lu.assertStrContains(out, "\nstatus=7\n")
  lu.assertEquals(io.open(self.sb:path("tmp/hup")):read("a"), "hup\n")
end

-- hako-run as the session leader: no shell could continue it, and the kernel discards
-- the SIGTSTP it stops itself with (an orphaned process group). ^Z must then leave the
-- sandbox going, as it does any process there, not stopped with nobody to resume it.
function TestTerminal:test_ctrl_z_goes_on_when_hako_run_leads_the_session()
  local out = self:job({ "--leader", "expect=ready", "type=\\x1a", "touch=" .. self.sb:path("tmp/go"),
    "expect=resumed" }, {},
    'echo ready; while [ ! -e /tmp/go ]; do sleep 0.01; done; echo resumed; exit 6')
  lu.assertStrContains(out, "\nstatus=6\n")
end

-- Waits (in the sandbox's script) until the thief has a process group of its own: a ^Z
-- typed before would stop it with the job.
local THIEF_READY = "while [ ! -e /tmp/stolen.ready ]; do sleep 0.01; done; "

-- While hako-run is stopped (^Z) the shell has the terminal back; a process of the sandbox
-- in a process group of its own, deaf to SIGTTOU, tries to take it then (and would read
-- what is typed to the shell). The whole sandbox stops with the job, so it cannot.
-- Control: without the freeze (a recipe's supervise step without it), it can.
function TestTerminal:test_while_hako_run_is_stopped_nothing_inside_takes_the_terminal()
  process.sh("cp " .. process.quote(sandbox.bin("probe")) .. " " .. process.quote(self.sb:path("bin/probe")))
  local actions = { "expect=ready", "type=\\x1a", "stopped", "touch=" .. self.sb:path("tmp/steal"), "sleep=0.5",
    "owner", "fg", "expect=resumed" }
  local script = "/bin/probe steal-tty /tmp/steal /tmp/stolen & " .. THIEF_READY .. "echo ready; "
    .. "while [ ! -e /tmp/stolen ]; do sleep 0.01; done; echo resumed; exit 6"
  local out = self:job(actions, {}, script)
  lu.assertStrContains(out, "\nowner: shell\n")
  lu.assertStrContains(out, "\nstatus=6\n")
  local recipe = self.sb.root .. "-recipe.lua"
  local f = assert(io.open(recipe, "w"))
  f:write([[
local hako = require "hako"
local steps = hako.plan{ root = arg[1], command = { "/bin/sh", "-c", arg[2] } }
for _, step in ipairs(steps) do
  if step.op == "supervise" then step.freeze = nil end
end
os.exit(hako.execute(steps))
]])
  f:close()
  for _, name in ipairs({ "steal", "stolen", "stolen.ready" }) do os.remove(self.sb:path("tmp/" .. name)) end
  local argv = { "python3", DRIVER }
  table.move(actions, 1, #actions, #argv + 1, argv)
  table.move({ "--", sandbox.bin("hako"), recipe, self.sb.root, script }, 1, 5, #argv + 1, argv)
  local r = process.run(argv)
  os.remove(recipe)
  lu.assertStrContains(r.stdout, "\nowner: other\n")
end

-- The same thief in a PID namespace of its own (in a user namespace it made), among 80
-- other processes, with hako-run allowed 64 fds: nested or many, all stop with the job.
-- (--nested-userns: the default seccomp profile closes unshare -U otherwise.)
function TestTerminal:test_nested_or_many_processes_inside_stop_with_hako_run_too()
  process.sh("cp " .. process.quote(sandbox.bin("probe")) .. " " .. process.quote(self.sb:path("bin/probe")))
  for _, nested in ipairs({ "", "/bin/busybox unshare -U -p -f " }) do
    for _, name in ipairs({ "steal", "stolen", "stolen.ready" }) do os.remove(self.sb:path("tmp/" .. name)) end
    local script = "i=0; while [ $i -lt 80 ]; do sleep 1000 & i=$((i+1)); done; "
      .. nested .. "/bin/probe steal-tty /tmp/steal /tmp/stolen & " .. THIEF_READY .. "echo ready; "
      .. "while [ ! -e /tmp/stolen ]; do sleep 0.01; done; echo resumed; exit 6"
    local argv = { "python3", DRIVER, "expect=ready", "type=\\x1a", "stopped", "touch=" .. self.sb:path("tmp/steal"),
      "sleep=0.5", "owner", "fg", "expect=resumed", "--", "sh", "-c", 'ulimit -n 64 && exec "$@"', "sh",
      sandbox.bin("hako-run"), "--nested-userns", self.sb.root, "/bin/sh", "-c", script }
    local r = process.run(argv)
    lu.assertStrContains(r.stdout, "\nowner: shell\n", nested)
    lu.assertStrContains(r.stdout, "\nstatus=6\n", nested)
  end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
