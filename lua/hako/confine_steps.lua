-- hako.confine_steps: the command's confinement, from the policy (hako.policy) in
-- state.policy: fds, ids, capabilities, no_new_privs, dumpability, keyring, seccomp,
-- working directory, and the exec itself. hako-run and hako-enter run the same steps
-- (hako.plan.confine), so a new kind of confinement is a field in hako.policy and a
-- step here, and reaches both commands.

local caps = require "hako.caps"
local failure = require "hako.failure"
local landlock = require "hako.landlock"
local pid1 = require "hako.pid1"
local policy = require "hako.policy"
local rlimits = require "hako.rlimits"
local syscall_filter = require "hako.syscall_filter"

local check = failure.check

local M = {}

local LAST_FD = 0xffffffff -- close_range's "up to the last one"

-- ranges({7, 3, 9}) -> { {3, 6}, {8, 8}, {10, LAST_FD} }: every fd from 3 on but the kept.
function M.ranges(keep)
  local sorted = { table.unpack(keep or {}) }
  table.sort(sorted)
  local list, from = {}, 3
  for _, fd in ipairs(sorted) do
    if fd > from then list[#list + 1] = { from, fd - 1 } end
    if fd >= from then from = fd + 1 end
  end
  list[#list + 1] = { from, LAST_FD }
  return list
end

-- The fds hako's own steps still need after the clone (hako.exec, the start steps).
M.OWN_FDS = { "status_w", "alive_r", "result_w", "netns_fd", "target_fd", "trees_r" }

-- Really close every fd this process has but hako's own pipes and the policy's keep_fds
-- (hako-run's --keep-fd). First thing in a new process: hako's init never execs, so
-- close-on-exec would never close them there (the caller's leaked fds, the records'
-- directory, the pid file); and hako-enter's child becomes dumpable when its ids change
-- (until set_dumpable): nothing of the host may be in it by then.
function M.close_host_fds(_, state)
  local core = state.core
  local keep = { table.unpack(state.policy.keep_fds) }
  for _, key in ipairs(M.OWN_FDS) do
    if state[key] then keep[#keep + 1] = state[key] end
  end
  for _, range in ipairs(M.ranges(keep)) do
    check(core.close_range(range[1], range[2], 0))
  end
end

-- The policy's resource limits (--rlimit), first: raising a hard limit needs
-- CAP_SYS_RESOURCE (of the host: a rootless sandbox may only lower them). A limit given
-- for one side only keeps the other as it is.
function M.set_rlimits(_, state)
  local core = state.core
  for _, text in ipairs(state.policy.rlimits) do
    local r = rlimits.parse(text)
    local resource = core[rlimits.NAMES[r.name]]
    local soft, hard = r.soft, r.hard
    if soft == nil or hard == nil then
      local now_soft, now_hard = check(core.getrlimit(resource))
      soft, hard = soft or now_soft, hard or now_hard
    end
    local ok, message, errno = core.setrlimit(resource, soft, hard)
    if not ok then
      local why = failure.why(message)
      if errno == core.EPERM then why = why .. " (raising a hard limit needs root; nofile stops at fs.nr_open)" end
      failure.raise("--rlimit " .. text, why, nil, errno)
    end
  end
end

-- Before the ids change, while CAP_SETPCAP is there: empty the bounding set but for the
-- kept capabilities, up to the kernel's last one (PR_CAPBSET_DROP fails with EINVAL past
-- it), so that not even a setuid-root file or uid 0 could get the others back; no
-- ambient ones; and keep the permitted set across the change of uid if any are kept.
function M.limit_capabilities(_, state)
  local core, p = state.core, state.policy
  local list, kept = policy.kept_caps(p), {}
  for _, cap in ipairs(list) do kept[cap] = true end
  for cap = 0, 63 do
    if not kept[cap] then
      local ok, message, errno = core.prctl(core.PR_CAPBSET_DROP, cap)
      if not ok then
        if errno == core.EINVAL then break end
        failure.from_core(message, errno)
      end
    end
  end
  check(core.prctl(core.PR_CAP_AMBIENT, core.PR_CAP_AMBIENT_CLEAR_ALL))
  if #list > 0 then check(core.prctl(core.PR_SET_KEEPCAPS, 1)) end
end

-- Groups, group, user: each change needs the privilege the next one drops. Where the
-- user namespace denies setgroups, the groups stay those the process has (none: the
-- plans cleared them before).
function M.set_ids(_, state)
  local core, p = state.core, state.policy
  if p.setgroups then check(core.setgroups(p.groups)) end
  check(core.setresgid(p.gid))
  check(core.setresuid(p.uid))
end

-- The kept capabilities, in every set; ambient too, so that a command that is not uid 0
-- keeps them across exec.
function M.set_capabilities(_, state)
  local core, list = state.core, policy.kept_caps(state.policy)
  local mask = caps.mask(list)
  check(core.capset(mask, mask, mask))
  for _, cap in ipairs(list) do check(core.prctl(core.PR_CAP_AMBIENT, core.PR_CAP_AMBIENT_RAISE, cap)) end
end

-- Nothing the command runs can gain privileges by exec (a setuid file, file capabilities).
function M.set_no_new_privs(_, state)
  if state.policy.no_new_privs then check(state.core.prctl(state.core.PR_SET_NO_NEW_PRIVS, 1)) end
end

-- A process that is not dumpable keeps its /proc/PID/{fd,cwd,root,exe,map_files,mem,
-- environ} closed to processes of the same uid that lack CAP_SYS_PTRACE (ptrace(2),
-- "ptrace access mode checking"): the command cannot reach through hako's own processes
-- (its init, hako-enter's child before exec) into what they hold. A change of uid or gid
-- resets it (to fs.suid_dumpable; prctl(2)), so the plans set it after those too.
function M.set_dumpable(step, state)
  check(state.core.prctl(state.core.PR_SET_DUMPABLE, step.dumpable and 1 or 0))
end

-- A new anonymous session keyring: the caller's keys are not the sandbox's. A kernel
-- without keyrings (ENOSYS) has no keys to reach.
function M.new_session_keyring(_, state)
  local core = state.core
  local id, message, errno = core.join_session_keyring()
  if not id and errno ~= core.ENOSYS then failure.from_core(message, errno) end
end

-- The policy's seccomp filter (hako.syscall_filter): the program hako-run compiled, or
-- else hako's own rules compiled here; and hako-enter's command gets the sandbox's program
-- on top. It needs no_new_privs, set before.
function M.filter_syscalls(_, state)
  local core, fields = state.core, state.policy.seccomp
  local own = { native_arch = core.AUDIT_ARCH_NATIVE }
  local program = fields.program or syscall_filter.filter({ profile = "none" }, fields, nil, own, "seccomp filter")
  check(core.seccomp_set_mode_filter(program))
  if fields.sandbox_program then check(core.seccomp_set_mode_filter(fields.sandbox_program)) end
end

-- The working directory, resolved inside the root as the command's user (the step comes
-- after the ids are set), never through a magic link: a tree's
-- `app -> /proc/self/fd/N` would otherwise lead to whatever host directory fd N is in
-- the process that changes directory (runc CVE-2024-21626). The result must be under
-- the root: getcwd(2) says "(unreachable)" (an error in libc) for anything outside it.
function M.chdir(_, state)
  local core = state.core
  local what = "working directory " .. state.policy.chdir
  local root = check(core.open("/", core.O_PATH | core.O_DIRECTORY | core.O_CLOEXEC))
  local dir, message = core.openat2(root, state.policy.chdir, core.O_PATH | core.O_DIRECTORY | core.O_CLOEXEC, 0,
    core.RESOLVE_IN_ROOT | core.RESOLVE_NO_MAGICLINKS)
  core.close(root)
  if not dir then failure.raise_core(what, message) end
  local ok
  ok, message = core.fchdir(dir)
  core.close(dir)
  if not ok then failure.raise_core(what, message) end
  local cwd = core.getcwd()
  if not cwd or cwd:sub(1, 1) ~= "/" then failure.raise(what, "is outside the sandbox's root") end
end

-- One Landlock rule: `allowed` beneath path (a file takes only a file's rights). A place
-- that is not there (no /dev where the tree has no directory for it) needs no right.
local function add_path_rule(core, ruleset, path, allowed)
  local fd, message, errno = core.open(path, core.O_PATH | core.O_CLOEXEC)
  if not fd and errno == core.ENOENT then return end
  if not fd then failure.raise_core("landlock rule for " .. path, message) end
  local st = core.statx(fd, "", core.AT_EMPTY_PATH)
  if st and st.type ~= "directory" then allowed = landlock.file_mask(allowed, core) end
  local ok
  ok, message = core.landlock_add_path_rule(ruleset, fd, allowed)
  core.close(fd)
  if not ok then failure.raise_core("landlock rule for " .. path, message) end
end

-- Landlock (hako.landlock): TCP ports, abstract sockets and signals kept inside, and where
-- files may be written, made and ioctl'd. The rules are made first, while the process is
-- still root (their paths may be closed to the command's user), and loaded last, after
-- no_new_privs which that needs (restrict_landlock). On a kernel without some of it,
-- prepare_steps.check_landlock has already said so (or refused); here what it has is used.
function M.build_landlock(_, state)
  local core, l = state.core, state.policy.landlock
  local abi = l and (state.landlock_abi or core.landlock_abi() or 0)
  if not abi or abi == 0 then return end
  local rules = landlock.ruleset(l, abi, core)
  if rules.fs == 0 and rules.net == 0 and rules.scoped == 0 then return end
  local ruleset = check(core.landlock_create_ruleset(rules.fs, rules.net, rules.scoped))
  local ok, err = pcall(function()
    for _, rule in ipairs(rules.paths) do add_path_rule(core, ruleset, rule[1], rule[2]) end
    for _, rule in ipairs(rules.ports) do check(core.landlock_add_port_rule(ruleset, rule[1], rule[2])) end
  end)
  if not ok then
    core.close(ruleset)
    error(err, 0)
  end
  state.landlock_ruleset = ruleset
end

function M.restrict_landlock(_, state)
  local core, ruleset = state.core, state.landlock_ruleset
  if not ruleset then return end
  local ok, message, errno = core.landlock_restrict_self(ruleset)
  -- hako's init never execs: the ruleset's fd is closed here, not by close-on-exec.
  core.close(ruleset)
  state.landlock_ruleset = nil
  check(ok, message, errno)
end

-- The command starts with the signal mask the caller was started with.
function M.restore_signals(_, state)
  local core = state.core
  if state.saved_mask then check(core.sigprocmask(core.SIG_SETMASK, state.saved_mask)) end
end

local function exec_failed(path, message, errno, core)
  failure.raise_core(path, message, errno, errno == core.ENOENT and failure.NOT_FOUND or failure.CANNOT_EXECUTE)
end

-- Start step.argv with the policy's environment through run(path, argv, env): core.execve,
-- which returns only when it failed, or a core.spawn, which returns the new process's pid.
-- A name without "/" is looked up in PATH inside the sandbox, the way execvp(3) does: go
-- on past missing files, report a found but unusable one.
local function start(step, state, run)
  local core, env = state.core, state.policy.env
  local name = step.argv[1]
  if name:find("/", 1, true) then
    local pid, message, errno = run(name, step.argv, env)
    if pid then return pid end
    exec_failed(name, message, errno, core)
  end
  local denied
  for dir in (policy.search_path(state.policy) .. ":"):gmatch("([^:]*):") do
    local path = (dir == "" and "." or dir) .. "/" .. name
    local pid, message, errno = run(path, step.argv, env)
    if pid then return pid end
    if errno == core.EACCES then
      denied = denied or { path, message, errno }
    elseif errno ~= core.ENOENT and errno ~= core.ENOTDIR then
      exec_failed(path, message, errno, core)
    end
  end
  if denied then exec_failed(denied[1], denied[2], denied[3], core) end
  failure.raise(name, "command not found", failure.NOT_FOUND)
end

-- Exec step.argv: this process becomes the command.
function M.exec(step, state)
  start(step, state, state.core.execve)
end

-- spawn(step, state, mask) -> pid: step.argv started as a child (core.spawn), with the
-- signal mask given; a failure to exec is raised here, as exec's.
function M.spawn(step, state, mask)
  local core = state.core
  return start(step, state, function(path, argv, env)
    local pid, message, errno = core.spawn(path, argv, env, mask)
    -- No process could be made (--pids, say): hako's failure, not the command's.
    if not pid and message:find("^clone") then failure.from_core(message, errno) end
    return pid, message, errno
  end)
end

-- Become the sandbox's PID 1 (hako.pid1) and run the command as its child.
function M.init(step, state)
  pid1.run(step, state, M.spawn)
end

M.steps = {
  close_host_fds = M.close_host_fds, limit_capabilities = M.limit_capabilities, set_ids = M.set_ids,
  set_capabilities = M.set_capabilities, set_no_new_privs = M.set_no_new_privs,
  set_dumpable = M.set_dumpable, new_session_keyring = M.new_session_keyring,
  filter_syscalls = M.filter_syscalls, chdir = M.chdir, restore_signals = M.restore_signals,
  build_landlock = M.build_landlock, restrict_landlock = M.restrict_landlock, set_rlimits = M.set_rlimits,
  exec = M.exec, init = M.init,
}

return M
