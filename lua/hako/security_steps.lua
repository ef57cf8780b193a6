-- hako.security_steps: the last walls before exec: inherited fds, keyring, seccomp.
-- (THREATS.md 9, 10 and 12; the mounts and privileges have their own modules.)

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

-- Only 0, 1, 2 and the fds named with --keep-fd reach the command: an fd inherited
-- from the caller may be a host directory to walk out through (runc CVE-2024-21626).
-- Marked close-on-exec, not closed, so that hako's own pipes still work until exec.
function M.close_inherited_fds(step, state)
  local core = state.core
  for _, range in ipairs(M.ranges(step.keep)) do
    check(core.close_range(range[1], range[2], core.CLOSE_RANGE_CLOEXEC))
  end
end

-- A new anonymous session keyring: the caller's keys are not the sandbox's. A kernel
-- without keyrings (ENOSYS) has no keys to reach.
function M.new_session_keyring(_, state)
  local core = state.core
  local id, message, errno = core.join_session_keyring()
  if not id and errno ~= core.ENOSYS then failure.from_core(message, errno) end
end

-- ioctls nobody inside may make (TIOCSTI, TIOCLINUX), by kernel name; the filter
-- needs no_new_privs, set by drop_privileges before.
function M.filter_syscalls(step, state)
  local core = state.core
  local requests = {}
  for i, name in ipairs(step.deny_ioctls) do requests[i] = core[name] end
  local program, why = seccomp.program(core.AUDIT_ARCH_NATIVE, requests, core.EPERM)
  if not program then failure.raise("seccomp filter", why) end
  check(core.seccomp_set_mode_filter(program))
end

return M
