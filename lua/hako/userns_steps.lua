-- hako.userns_steps: the host side of a user namespace: its id maps, and why there is none.

local failure = require "hako.failure"
local idmap = require "hako.idmap"

local check = failure.check

local M = {}

local function read_number(core, path)
  local fd = core.open(path, core.O_RDONLY | core.O_CLOEXEC)
  if not fd then return nil end
  local text = core.read(fd, 64)
  core.close(fd)
  return tonumber(text and text:match("%d+"))
end

-- A user namespace could not be made: say which setting forbids it, checked, not guessed.
function M.explain_userns_failure(core, errno)
  local why = "user namespaces are not available"
  if read_number(core, "/proc/sys/user/max_user_namespaces") == 0 then
    why = why .. ": sysctl user.max_user_namespaces is 0"
  elseif read_number(core, "/proc/sys/kernel/unprivileged_userns_clone") == 0 then
    why = why .. ": sysctl kernel.unprivileged_userns_clone is 0"
  elseif read_number(core, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1 then
    why = why .. ": AppArmor restricts them (sysctl kernel.apparmor_restrict_unprivileged_userns is 1)"
  elseif errno == core.ENOSPC then
    why = why .. ": the limit user.max_user_namespaces is reached here (in this or a parent namespace)"
  else
    why = why .. ": the kernel refused (a container or seccomp policy forbidding them?)"
  end
  failure.raise("clone", why, nil, errno)
end

local function write_file(core, path, text)
  local fd, message, errno = core.open(path, core.O_WRONLY | core.O_CLOEXEC)
  if fd then
    local ok
    ok, message, errno = core.write(fd, text)
    core.close(fd)
    if ok then return end
  end
  failure.from_core(message, errno)
end

local function read_file(core, path)
  local fd = core.open(path, core.O_RDONLY | core.O_CLOEXEC)
  if not fd then return nil end
  local chunks = {}
  repeat
    local chunk = core.read(fd, 65536)
    chunks[#chunks + 1] = chunk
  until not chunk or chunk == ""
  core.close(fd)
  return table.concat(chunks)
end

local HELPER_DIRS = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" }

-- Run newuidmap or newgidmap (setuid root: only they may map subordinate ids) and wait.
local function run_helper(core, state, name, args, what)
  for _, dir in ipairs(HELPER_DIRS) do
    local path = dir .. "/" .. name
    if core.statx(core.AT_FDCWD, path, 0) then
      local argv = { path, tostring(state.child), table.unpack(args) }
      local pid = check(core.clone(0))
      if pid == 0 then
        pcall(core.sigprocmask, core.SIG_SETMASK, state.saved_mask or {})
        pcall(core.execve, path, argv, {})
        core._exit(127)
      end
      local _, how, code = check(core.waitpid(pid, 0))
      if how ~= "exited" or code ~= 0 then failure.raise(what .. " auto", name .. " failed") end
      return
    end
  end
  failure.raise(what .. " auto", name .. " not found (Debian package uidmap)")
end

-- Map the sandbox's ids (root: a range; others: one each, or their subordinate ranges too). The sandbox
-- waits for this (release_sandbox) before it does anything privileged.
function M.write_id_maps(step, state)
  local core = state.core
  local proc = "/proc/" .. state.child
  if step.uid == 0 then
    -- Root maps a range itself (no helper, no setgroups denial): see hako.idmap.
    write_file(core, proc .. "/uid_map", idmap.root_range(read_file(core, "/etc/subuid")))
    write_file(core, proc .. "/gid_map", idmap.root_range(read_file(core, "/etc/subgid")))
    return
  end
  local inside = state.identity or { uid = 0, gid = 0 }
  local name = (step.map_users or step.map_groups) and idmap.name_of(read_file(core, "/etc/passwd"), step.uid)
  if step.map_users then
    run_helper(core, state, "newuidmap", idmap.ranges(step.uid, read_file(core, "/etc/subuid"), name,
      "--map-users"), "--map-users")
  else
    write_file(core, proc .. "/uid_map", idmap.single(inside.uid, step.uid))
  end
  if step.map_groups then
    run_helper(core, state, "newgidmap", idmap.ranges(step.gid, read_file(core, "/etc/subgid"), name,
      "--map-groups"), "--map-groups")
  else
    -- An unprivileged gid map needs setgroups denied first (user_namespaces(7)).
    write_file(core, proc .. "/setgroups", "deny")
    write_file(core, proc .. "/gid_map", idmap.single(inside.gid, step.gid))
  end
end

return M
