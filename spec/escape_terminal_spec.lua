-- escape_terminal_spec: a program inside cannot push input into the caller's terminal
-- (TIOCSTI, TIOCLINUX: doc/THREATS.md 10), and an interactive shell inside still has job
-- control. The probe runs on a pseudo-terminal made by script(1). Needs root.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

local q = process.quote

TestEscapeTerminal = {}

function TestEscapeTerminal:setUp()
  escape.set_up(self)
  lu.skipIf(os.execute("command -v script >/dev/null") ~= true, "needs script(1) from util-linux")
end

function TestEscapeTerminal:tearDown()
  escape.tear_down(self)
end

-- on_terminal(argv[, input]) -> what argv printed, run with a new pty as its terminal.
local function on_terminal(argv, input)
  local words = {}
  for i, w in ipairs(argv) do words[i] = q(w) end
  local r = process.run({ "script", "-qec", table.concat(words, " "), "/dev/null" }, input or "")
  lu.assertEquals(r.status, 0, r.stderr)
  return (r.stdout:gsub("\r", ""))
end

function TestEscapeTerminal:hako_run(options, ...)
  local argv = { sandbox.bin("hako-run"), table.unpack(options) }
  table.move({ self.sb.root, ... }, 1, select("#", ...) + 1, #argv + 1, argv)
  return argv
end

function TestEscapeTerminal:test_tiocsti_is_refused_inside()
  lu.skipIf(process.sh("cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1") == "0\n",
    "this kernel refuses TIOCSTI itself (dev.tty.legacy_tiocsti = 0): nothing to detect")
  -- On the same terminal without hako, the keystroke goes in (the terminal echoes it).
  lu.assertEquals(on_terminal({ self.sb:path("bin/probe"), "tiocsti" }), "#ESCAPED\n")
  for _, who in ipairs({ "root", "user" }) do
    lu.assertEquals(on_terminal(self:hako_run(escape.AS[who], "/bin/probe", "tiocsti")), "BLOCKED: EPERM\n")
  end
end

-- A command entered with hako-enter gets the caller's terminal too, and the same filter.
function TestEscapeTerminal:test_tiocsti_is_refused_in_an_entered_command()
  lu.assertEquals(on_terminal({ self.sb:path("bin/probe"), "tiocsti" }), "#ESCAPED\n")
  local line = q(sandbox.bin("hako-run")) .. " " .. q(self.sb.root) .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"
  local supervisor = process.sh(line):match("%d+")
  local ok, err = pcall(function()
    local pid
    for _ = 1, 500 do
      pid = (io.open("/proc/" .. supervisor .. "/task/" .. supervisor .. "/children") or io.open("/dev/null"))
        :read("a"):match("%d+")
      if pid and io.open("/run/hako/" .. pid) then break end
      os.execute("sleep 0.01")
    end
    for _, flag in ipairs({ "--fork", "--no-fork" }) do
      lu.assertEquals(on_terminal({ sandbox.bin("hako-enter"), flag, pid, "/bin/probe", "tiocsti" }),
        "BLOCKED: EPERM\n")
    end
  end)
  process.sh("kill " .. supervisor .. "; true")
  if not ok then error(err, 0) end
end

function TestEscapeTerminal:test_high_bits_in_the_request_do_not_slip_past()
  lu.assertEquals(on_terminal({ self.sb:path("bin/probe"), "tiocsti", "high" }), "#ESCAPED\n")
  lu.assertEquals(on_terminal(self:hako_run({}, "/bin/probe", "tiocsti", "high")), "BLOCKED: EPERM\n")
end

function TestEscapeTerminal:test_tioclinux_is_refused_inside()
  -- A pty is no virtual console: without hako the kernel answers, but not EPERM.
  lu.assertNotEquals(on_terminal({ self.sb:path("bin/probe"), "tioclinux" }), "BLOCKED: EPERM\n")
  lu.assertEquals(on_terminal(self:hako_run({}, "/bin/probe", "tioclinux")), "BLOCKED: EPERM\n")
end

function TestEscapeTerminal:test_the_command_may_still_own_the_terminal()
  for _, who in ipairs({ "root", "user" }) do
    lu.assertEquals(on_terminal(self:hako_run(escape.AS[who], "/bin/probe", "jobctl")), "OK\n")
  end
end

function TestEscapeTerminal:test_an_interactive_shell_has_job_control()
  local script = "sleep 1000 &\njobs\nkill %1\nexit\n"
  local out = on_terminal(self:hako_run({}, "/bin/sh", "-i"), script)
  lu.assertNotStrContains(out, "job control turned off")
  lu.assertStrMatches(out, ".*%[1%]%+ +Running +sleep 1000\n.*")
  -- Without a terminal, the same shell says it has none: the check would see it.
  local r = self.sb:run({}, { "/bin/sh", "-i" }, script)
  lu.assertStrContains(r.stderr, "job control turned off")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
