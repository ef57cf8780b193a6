-- hako.enter_plan: hako-enter's options -> a validated spec -> the ordered steps that
-- join a running sandbox. Pure, like hako.plan, and with the same step shape: host steps
-- run in the hako-enter process; after the "clone" (a plain fork) the "sandbox" steps run
-- in the child, which is in the sandbox's PID namespace and ends in exec.

local failure = require "hako.failure"
local record = require "hako.record"
local run_plan = require "hako.plan"

local M = {}

M.DEFAULT_COMMAND = { "/bin/sh" }
M.FORWARDED_SIGNALS = { "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH" }

local function bad(what, why)
  failure.raise(what, why)
end

-- build_spec(options, context) -> spec. options come from hako.cli (see hako.enter);
-- context is { argv0, args, environ, euid, xdg_runtime_dir }: the caller's process.
function M.build_spec(options, context)
  local pid, name = options.pid, nil
  if pid == nil then bad("pid", "missing (usage: hako-enter [options] <pid>|<name> [command])") end
  -- Digits are a pid; anything else is a sandbox's name (hako-run --name), which never is.
  if not pid:match("^%d+$") then
    name, pid = pid, nil
    local why = record.check_name(name)
    if why then bad("name " .. name, "neither a pid nor a sandbox's name (a name: " .. why .. ")") end
  elseif #pid > 10 or tonumber(pid) < 1 or tonumber(pid) > 0x3fffffff then
    bad("pid " .. pid, "not a number")
  end
  local command = options.command or {}
  if #command == 0 then command = { table.unpack(M.DEFAULT_COMMAND) } end
  if command[1] == "" then bad("command", "empty command name") end
  local chdir = options.chdir
  if chdir and chdir:sub(1, 1) ~= "/" then bad("chdir " .. chdir, "must be an absolute path inside the sandbox") end
  -- The same forms as hako-run's: --user and --group by name or number, resolved in the
  -- sandbox's own /etc/passwd and /etc/group; --env NAME=VALUE; --keep-env.
  local overrides = { env = options.env or {}, keep_env = options.keep_env or false,
    user = options.user, group = options.group, chdir = chdir }
  for _, key in ipairs({ "user", "group" }) do
    if overrides[key] == "" then bad("--" .. key, "must not be empty") end
  end
  for _, e in ipairs(overrides.env) do
    if not e:match("^[^=]+=") or e:find("\0", 1, true) then bad("--env " .. e, "expected NAME=VALUE") end
  end
  overrides.fork = options.fork ~= false
  return {
    pid = pid and math.tointeger(tonumber(pid)),
    name = name,
    command = command,
    fork = options.fork ~= false,
    overrides = overrides,
    directories = record.directories(context.euid, context.xdg_runtime_dir),
    self = { context.argv0 or "hako-enter", table.unpack(context.args or {}) },
  }
end

function M.build(s)
  local steps, host, sandbox = run_plan.builder()

  -- Before anything else: the sandbox must never reach this process (doc/THREATS.md 17).
  host("set_dumpable", { dumpable = false })
  -- Run from a sealed copy of the binary, so that nothing exec'd inside can write the
  -- host's through /proc/self/exe (doc/THREATS.md 18).
  host("seal_self", { argv = s.self })
  -- A name is looked up in the caller's own record directories, then goes the pid's way.
  host("open_target", { pid = s.pid, name = s.name, directories = s.name and s.directories or nil })
  host("find_record", { pid = s.pid, name = s.name, directories = s.directories })
  host("check_identity", { pid = s.pid })
  -- Still outside: --user and --group are read through the sandbox's root fd.
  host("read_policy", { overrides = s.overrides })
  host("check_landlock", { program = "hako-enter" })
  -- The sandbox's cgroups, opened while the host's are in reach; entered below.
  host("open_cgroups")
  -- Root's groups must not come along where the policy cannot set groups.
  host("drop_groups")
  host("join", { pid = s.pid })
  host("set_root")
  -- The command is confined as hako-run's is (hako.plan.confine); with --fork, in a child
  -- in the sandbox's PID namespace, else in this process.
  local command = sandbox
  if s.fork then
    host("block_signals", { signals = run_plan.blocked_signals(M.FORWARDED_SIGNALS) })
    host("clone", { flags = {} })
    host("start_job")
    host("enter_cgroups")
    -- The child waits until it is the terminal's foreground job (if it is to be): a ^C or
    -- ^Z typed as soon as the command has started must reach the command, not hako-enter.
    host("release_sandbox")
    sandbox("await_release")
    sandbox("restore_signals")
    sandbox("new_process_group")
  else
    host("enter_cgroups")
    command = host
  end
  -- No descriptor of the caller reaches the command, nor the sandbox's processes meanwhile:
  -- changing ids makes this process dumpable until set_dumpable.
  command("close_host_fds")
  run_plan.confine(command)
  -- After the last credential change, which clears the parent-death signal.
  if s.fork then command("die_with_parent") end
  command("exec", { argv = s.command })
  if s.fork then
    host("await_sandbox")
    host("supervise", { forward = M.FORWARDED_SIGNALS })
  end
  return steps
end

return M
