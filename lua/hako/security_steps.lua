-- hako.security_steps: walls around hako's own processes and the command: dumpability,
-- inherited fds, keyring, seccomp. (THREATS.md 9, 10 and 12; the mounts and privileges
-- have their own modules.)

local failure = require "hako.failure"
local seccomp = require "hako.seccomp"

local check = failure.check

local M = {}

local LAST_FD = 0xffffffff -- close_range's "up to the last one"

-- ranges({7, 3, 9}) -> { {4, 6}, {8, 8}, {10, LAST_FD} }: every fd from 3 on but the kept.
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

-- A process that is not dumpable keeps its /proc/PID/{fd,cwd,root,exe,map_files,mem,
-- environ} closed to processes of the same uid that lack CAP_SYS_PTRACE (ptrace(2),
-- "ptrace access mode checking"): the command cannot reach through hako's own processes
-- (its init, hako-enter's child before exec) into what they hold. A change of uid or gid
-- resets it (to fs.suid_dumpable; prctl(2)), so the plans set it after those too.
-- A rootless init first starts itself again inside its user namespace (hako.resume), so
-- that its owner can still look into it.
function M.set_dumpable(step, state)
  check(state.core.prctl(state.core.PR_SET_DUMPABLE, step.dumpable and 1 or 0))
end

function M.set_nondumpable(_, state)
  M.set_dumpable({ dumpable = false }, state)
end

-- The fds hako's own sandbox steps still need after the clone (exec.lua, host_steps).
M.OWN_FDS = { "status_w", "alive_r", "result_w", "netns_fd", "target_fd" }

-- Right after the clone: really close every fd the sandbox's first process inherited
-- but hako's own pipes and the fds the command is given (--keep-fd). hako's init never
-- execs, so close-on-exec would never close them there: the caller's leaked fds, the
-- records' directory, the pid file. Closing them before anything of the sandbox runs
-- leaves nothing of the host to reach, even if a process inside could look into it.
function M.close_host_fds(step, state)
  local core = state.core
  local keep = { table.unpack(step.keep or {}) }
  for _, key in ipairs(M.OWN_FDS) do
    if state[key] then keep[#keep + 1] = state[key] end
  end
  for _, range in ipairs(M.ranges(keep)) do
    check(core.close_range(range[1], range[2], 0))
  end
end

-- A new anonymous session keyring: the caller's keys are not the sandbox's. A kernel
-- without keyrings (ENOSYS) has no keys to reach.
function M.new_session_keyring(_, state)
  local core = state.core
  local id, message, errno = core.join_session_keyring()
  if not id and errno ~= core.ENOSYS then failure.from_core(message, errno) end
end

-- ioctls nobody inside may make (TIOCSTI, TIOCLINUX), by kernel name, and system calls
-- (keyctl...) by name (hako.seccomp knows their numbers); the filter needs
-- no_new_privs, set by drop_privileges before.
function M.filter_syscalls(step, state)
  local core = state.core
  local requests = {}
  for i, name in ipairs(step.deny_ioctls or {}) do requests[i] = core[name] end
  local deny = { ioctls = requests, syscalls = step.deny_syscalls or {} }
  local program, why = seccomp.program(core.AUDIT_ARCH_NATIVE, deny, core.EPERM)
  if not program then failure.raise("seccomp filter", why) end
  check(core.seccomp_set_mode_filter(program))
end

return M
