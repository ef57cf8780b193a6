-- hako.enter_plan: hako-enter's options -> a validated spec -> the ordered steps that
-- join a running sandbox. Pure, like hako.plan, and with the same step shape: host steps
-- run in the hako-enter process; after the "clone" (a plain fork) the "sandbox" steps run
-- in the child, which is in the sandbox's PID namespace and ends in exec.

local failure = require "hako.failure"
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
  local pid = options.pid
  if pid == nil then bad("pid", "missing (usage: hako-enter [options] <pid> [command])") end
  if not pid:match("^%d+$") or #pid > 10 or tonumber(pid) < 1 or tonumber(pid) > 0x3fffffff then
    bad("pid " .. pid, "not a number")
  end
  local command = options.command or {}
  if #command == 0 then command = { table.unpack(M.DEFAULT_COMMAND) } end
  if command[1] == "" then bad("command", "empty command name") end
  local chdir = options.chdir or "/"
  if chdir:sub(1, 1) ~= "/" then bad("chdir " .. chdir, "must be an absolute path inside the sandbox") end
  -- The same forms as hako-run's: --user and --group by name or number, resolved in the
  -- sandbox's own /etc/passwd and /etc/group; --env NAME=VALUE; --keep-env.
  local overrides = { env = options.env or {}, keep_env = options.keep_env or false,
    user = options.user, group = options.group }
  for _, key in ipairs({ "user", "group" }) do
    if overrides[key] == "" then bad("--" .. key, "must not be empty") end
  end
  for _, e in ipairs(overrides.env) do
    if not e:match("^[^=]+=") or e:find("\0", 1, true) then bad("--env " .. e, "expected NAME=VALUE") end
  end
  return {
    pid = math.tointeger(tonumber(pid)),
    command = command,
    chdir = chdir,
    fork = options.fork ~= false,
    overrides = overrides,
    directories = require("hako.record").directories(context.euid, context.xdg_runtime_dir),
    self = { context.argv0 or "hako-enter", table.unpack(context.args or {}) },
  }
end

-- policy(record, overrides, caller, identity) -> what the command gets: the sandbox's
-- recorded policy, changed by the options. identity = { uid, gid, groups, home } is what
-- --user/--group resolved to (nil without them); caller = { euid, environ }. Only root on
-- the host may give the command more than the sandbox's own processes have.
function M.policy(record, overrides, caller, identity)
  local p = {
    uid = identity and identity.uid or record.uid,
    gid = identity and identity.gid or record.gid,
    groups = identity and identity.groups or record.groups,
    caps = record.caps,
    no_new_privs = record.no_new_privs,
    setgroups = record.setgroups ~= 0,
  }
  if caller.euid ~= 0 and record.uid ~= 0 then
    local allowed = { [record.gid] = true }
    for _, g in ipairs(record.groups) do allowed[g] = true end
    if p.uid ~= record.uid then bad("--user " .. overrides.user, "not allowed: only root can enter as another user") end
    for _, g in ipairs({ p.gid, table.unpack(p.groups) }) do
      if not allowed[g] then bad("group " .. g, "not allowed: the sandbox's processes do not have it") end
    end
  end
  local env, index = {}, {}
  local function set(entry)
    local name = entry:match("^([^=]*)=")
    if index[name] then env[index[name]] = entry else env[#env + 1] = entry; index[name] = #env end
  end
  for _, e in ipairs(overrides.keep_env and caller.environ or record.env) do set(e) end
  -- Another user's home, unless the options say otherwise.
  if identity and not overrides.keep_env then set("HOME=" .. (identity.home or "/")) end
  for _, e in ipairs(overrides.env) do set(e) end
  p.env = env
  for _, e in ipairs(env) do p.path = e:match("^PATH=(.*)$") or p.path end
  p.path = p.path or require("hako.spec").DEFAULT_PATH
  return p
end

function M.build(s)
  local steps, host, sandbox = run_plan.builder()

  -- Before anything else: the sandbox must never reach this process (THREATS.md 17).
  host("set_nondumpable")
  -- Run from a sealed copy of the binary, so that nothing exec'd inside can write the
  -- host's through /proc/self/exe (THREATS.md 18).
  host("seal_self", { argv = s.self })
  host("open_target", { pid = s.pid })
  host("find_record", { pid = s.pid, directories = s.directories })
  host("check_identity", { pid = s.pid })
  -- Still outside: --user and --group are read through the sandbox's root fd.
  host("resolve_policy", { overrides = s.overrides })
  -- Root's groups must not come along where the policy cannot set groups.
  host("drop_groups")
  host("join", { pid = s.pid })
  host("set_root")
  if s.fork then
    host("block_signals", { signals = run_plan.blocked_signals(M.FORWARDED_SIGNALS) })
    host("clone", { flags = {} })
    host("start_job")
    -- The child waits until it is the terminal's foreground job (if it is to be): a ^C or
    -- ^Z typed as soon as the command has started must reach the command, not hako-enter.
    host("release_sandbox")
    sandbox("await_release")
    sandbox("restore_signals")
    sandbox("new_process_group")
    sandbox("close_fds")
    sandbox("apply_policy")
    -- Changing uid or gid made the child dumpable again (fs.suid_dumpable).
    sandbox("set_nondumpable")
    sandbox("new_session_keyring")
    sandbox("filter_syscalls", { deny_ioctls = { table.unpack(run_plan.DENIED_IOCTLS) },
      deny_syscalls = { table.unpack(run_plan.DENIED_SYSCALLS) } })
    -- After the last credential change, which clears the parent-death signal.
    sandbox("die_with_parent")
    -- As the command's user, inside the root, never through a magic link.
    sandbox("chdir", { path = s.chdir })
    sandbox("exec_command", { argv = s.command })
    host("await_sandbox")
    host("supervise", { forward = M.FORWARDED_SIGNALS })
  else
    host("close_fds")
    host("apply_policy")
    host("set_nondumpable")
    host("new_session_keyring")
    host("filter_syscalls", { deny_ioctls = { table.unpack(run_plan.DENIED_IOCTLS) },
      deny_syscalls = { table.unpack(run_plan.DENIED_SYSCALLS) } })
    host("chdir", { path = s.chdir })
    host("exec_command", { argv = s.command })
  end
  return steps
end

return M
