-- hako.enter: what the hako-enter command does with its arguments: join a running
-- sandbox, under the rules the sandbox's own processes got. See hako.enter_plan for the
-- steps, hako.join_steps and hako.confine_steps for what each does, hako.record for how a sandbox is known.

local cli = require "hako.cli"
local common = require "hako.common_options"
local core = require "hako.core"
local enter_plan = require "hako.enter_plan"
local exec = require "hako.exec"
local failure = require "hako.failure"
local version = require "hako.version"

local M = {}

M.options = {
  { short = "c", long = "chdir", key = "chdir", value = "DIR",
    help = "working directory inside the sandbox (default: the sandbox's own, as hako-run -c set it)" },
  common.user,
  common.group,
  common.env,
  common.keep_env,
  { short = "f", long = "fork", key = "fork",
    help = "fork after joining, into the PID namespace (default)" },
  { long = "no-fork", key = "fork", set = false,
    help = "exec in place instead (see below)" },
  common.dry_run,
  common.help,
  common.version,
}

local USAGE = [[
Usage: hako-enter [options] <pid>|<name> [--] [command] [args]

Run command (default /bin/sh) inside the running hako sandbox whose first process is
<pid> (what hako-run --pid-file writes), or whose hako-run is, or that hako-run --name
called <name>: in all its namespaces, with its root, and with the user, groups,
capabilities, no_new_privs and environment its own processes got. Only a sandbox that
hako-run recorded, and that still runs, is accepted; names are looked up among your own
sandboxes (hako ps lists them). A command name without "/" is looked up in the PATH of
the command's environment, inside the sandbox.

Options (they end at <pid>, <name> or "--"):
]]

local NOTES = [[

--no-fork: hako-enter execs the command itself after joining. The command is then in
every namespace of the sandbox except its PID namespace, which a process cannot change:
it keeps a host pid, ps inside does not list it, and kill -1 from it is not confined
to the sandbox. Use it only for a command you trust.

USER and GROUP are looked up in the sandbox's own /etc/passwd and /etc/group, as
hako-run does. Without root, only the owner of a (rootless) sandbox may enter it, and
-u/-g can then only choose what the sandbox's processes already have.

Exit status: the command's, or 128+N if signal N killed it; 125 if hako-enter itself
failed, 126 if the command cannot be executed, 127 if it is not found.
]]

local function run(argv)
  local options, operands = cli.parse(M.options, argv)
  if options.help then
    io.stdout:write(USAGE, cli.help(M.options), NOTES)
    return 0
  end
  if options.version then
    io.stdout:write("hako-enter ", version, "\n")
    return 0
  end
  options.pid = operands[1]
  -- "<pid> -- command": the "--" after the pid (or name) only marks where the command starts.
  options.command = { table.unpack(operands, operands[2] == "--" and 3 or 2) }
  local s = enter_plan.build_spec(options, {
    argv0 = arg and arg[0], args = argv, euid = core.geteuid(),
    xdg_runtime_dir = os.getenv("XDG_RUNTIME_DIR"),
  })
  local steps = enter_plan.build(s)
  if options.dry_run then
    io.stdout:write(require("hako.plan").describe(steps))
    return 0
  end
  return exec.run(steps, core)
end

-- main(argv) -> exit status; a failure is one line on stderr.
function M.main(argv)
  return failure.run_command("hako-enter", run, argv)
end

return M
