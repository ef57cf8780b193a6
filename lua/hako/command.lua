-- hako.command: what the hako-run command does with its arguments.

local cli = require "hako.cli"
local failure = require "hako.failure"
local hako = require "hako"
local spec = require "hako.spec"

local M = {}

M.run_options = {
  { short = "H", long = "hostname", key = "hostname", value = "NAME",
    help = "hostname inside the sandbox (default: " .. spec.DEFAULT_HOSTNAME .. ")" },
  { long = "as-pid-1", key = "as_pid_1",
    help = "exec the command as PID 1, not under hako's init (implied by /sbin/init)" },
  { long = "timeout", key = "timeout", value = "SECONDS",
    help = "TERM the command after SECONDS, KILL " .. spec.DEFAULT_TIMEOUT_GRACE
      .. " s later; exit 124" },
  { long = "json-status-fd", key = "json_status_fd", value = "FD",
    help = "write the sandbox's pid and namespaces, then its end, as JSON lines to FD" },
  { short = "n", long = "dry-run", key = "dry_run",
    help = "print the plan, every step in order, and exit without running it" },
  { short = "h", long = "help", key = "help", help = "show this help and exit" },
  { short = "V", long = "version", key = "version", help = "show the version and exit" },
}

local RUN_USAGE = [[
Usage: hako-run [options] <target> [--] [command] [args]

Run command in the directory <target>, turned into a sandbox: new mount, PID, IPC and
UTS namespaces, with <target> as the root. <target>/.hako must be an empty directory
(the host's old root is put there, then detached). The command defaults to /sbin/init;
a name without "/" is looked up in PATH inside the sandbox. It runs under hako's own
PID 1, which reaps orphans and passes signals on, unless --as-pid-1 (or /sbin/init).

Options (they end at <target> or "--"):
]]

local RUN_EXIT = [[

Exit status: the command's, or 128+N if signal N killed it; 124 if --timeout expired;
125 if hako-run itself failed, 126 if the command cannot be executed, 127 if it is not
found. SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH sent to hako-run
are passed on to the command; if hako-run dies, even of SIGKILL, the sandbox dies too.
]]

-- Run f, turning a failure into one line on stderr and its exit status.
local function guarded(program, f)
  local ok, result = pcall(f)
  if ok then return result end
  if failure.is(result) then
    io.stderr:write(program, ": ", tostring(result), "\n")
    return result.status
  end
  io.stderr:write(program, ": internal error: ", tostring(result), "\n")
  return failure.SETUP
end

-- hako_run(argv) -> exit status
function M.hako_run(argv)
  return guarded("hako-run", function()
    local options, operands = cli.parse(M.run_options, argv)
    if options.help then
      io.stdout:write(RUN_USAGE, cli.help(M.run_options), RUN_EXIT)
      return 0
    end
    if options.version then
      io.stdout:write("hako-run ", hako.version, "\n")
      return 0
    end
    local dry_run = options.dry_run
    options.dry_run = nil
    options.root = operands[1]
    options.command = { table.unpack(operands, 2) }
    local steps = hako.plan(options)
    if dry_run then
      io.stdout:write(hako.describe(steps))
      return 0
    end
    return hako.execute(steps)
  end)
end

return M
