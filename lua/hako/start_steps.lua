-- hako.start_steps: the sandbox's first moments, on both sides of the clone: the host
-- maps the new process's ids (or says why there is no user namespace), identifies it,
-- and lets it go on; the new process leaves the caller's process group, arms its
-- parent-death signal, waits to be let go, and becomes a process nothing can look into.

local failure = require "hako.failure"
local idmap = require "hako.idmap"
local record = require "hako.record"
-- Loaded now, not at the step: by then a stock Lua's relative module path would be
-- looked up in the sandbox's tree (the host side is in the target directory).
local resume = require "hako.resume"

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
  -- Root has the old mode to fall back on, if it chooses to (doc/THREATS.md 37).
  if core.geteuid() == 0 then why = why .. "; --userns host runs the sandbox without one" end
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

-- read_file(core, path) -> the whole of a host file (/etc/subuid...), or nil.
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
M.read_file = read_file

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
    -- Root maps the slot it holds itself (no helper, no setgroups denial): see hako.idmap.
    local range = state.id_range or failure.raise("user namespace", "no id range reserved for it")
    write_file(core, proc .. "/uid_map", idmap.range_map(range.uid))
    write_file(core, proc .. "/gid_map", idmap.range_map(range.gid))
    return
  end
  local inside = state.policy
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

-- Right after the clone, before the sandbox runs anything of its own: its start time
-- and namespaces, which is what the record (and the status report) will say it is.
-- With --net PATH the sandbox joins that namespace only in its own steps, maybe not yet:
-- its net namespace is the one open_netns opened, identified by that fd, not by /proc.
function M.identify_sandbox(_, state)
  local core = state.core
  local id = record.identity(core, state.child)
  if id and state.netns_fd then
    local st = check(core.statx(state.netns_fd, "", core.AT_EMPTY_PATH))
    id.ns.net = { dev = st.dev_major .. ":" .. st.dev_minor, ino = st.ino }
  end
  state.sandbox_id = id
end

-- Let the sandbox go on past await_release, once the host has done what comes first.
function M.release_sandbox(_, state)
  check(state.core.write(state.alive_w, "!"))
end

-- Wait until the host lets the sandbox go on: it writes one byte on the pipe it holds
-- once it has done what must come first (the id maps, reading the namespaces); the end
-- of file instead means the host side has died.
function M.await_release(_, state)
  local got = check(state.core.read(state.alive_r, 1))
  if got == "" then state.core._exit(failure.SETUP) end
end

-- Die when the host side dies (also of SIGKILL). The parent may already be gone when the
-- signal is armed, so look at the pipe the host holds open: a hang-up means it has died.
-- A credential change clears the signal (prctl(2)): the plans arm it again after them.
function M.die_with_parent(_, state)
  local core = state.core
  check(core.prctl(core.PR_SET_PDEATHSIG, core.SIGKILL))
  local events = check(core.poll(state.alive_r, core.POLLIN, 0))
  if events & core.POLLHUP ~= 0 then core._exit(failure.SETUP) end
end

-- Its own process group, so that nothing inside can signal the caller's (kill(0, ...),
-- kill -STOP 0): the sandbox is a job of its own. The supervisor does the same from its
-- side (supervise_steps.start_job): whichever runs first, the group exists.
function M.new_process_group(_, state)
  check(state.core.setpgid(0, 0))
end

-- In a user namespace root made, this process is still host root, which the namespace
-- does not map: files it made would have no owner there (EOVERFLOW). Once the maps are
-- written it becomes uid and gid 0 of the namespace (the range's first ids on the host),
-- and sheds root's supplementary groups. Changing ids cleared the parent-death signal:
-- armed again at once, or a hako-run killed during set-up would leave this process behind.
function M.become_mapped_root(_, state)
  local core = state.core
  check(core.setgroups({}))
  check(core.setresgid(0))
  check(core.setresuid(0))
  M.die_with_parent(nil, state)
end

-- A rootless sandbox's first process starts its own binary again inside the user
-- namespace (hako.resume explains why).
function M.reexec_in_userns(step, state)
  resume.reexec(step, state)
end

-- Into the sandbox's cgroups (cgroup.procs opened before, by make_cgroups or, for
-- hako-enter, open_cgroups): the new process, held until this is done, or, without a
-- fork (hako-enter --no-fork), this one. Then those fds, and the cgroup v2 directory's
-- the clone went into, are closed: no process of hako's holds a way into a cgroup
-- longer than it needs it.
function M.enter_cgroups(_, state)
  local core = state.core
  local pid = tostring(state.child or core.getpid())
  local procs = state.cgroup_procs or {}
  state.cgroup_procs = {}
  for _, fd in ipairs(procs) do
    local ok, message, errno = core.write(fd, pid)
    core.close(fd)
    if not ok then failure.raise_core("enter the sandbox's cgroup", message, errno) end
  end
  if state.cgroup_fd then
    core.close(state.cgroup_fd)
    state.cgroup_fd = nil
  end
end

-- A cgroup namespace rooted at its own cgroup: /proc/self/cgroup says "/" inside.
function M.new_cgroup_namespace(_, state)
  check(state.core.unshare(state.core.CLONE_NEWCGROUP))
end

M.steps = {
  write_id_maps = M.write_id_maps, identify_sandbox = M.identify_sandbox,
  release_sandbox = M.release_sandbox, await_release = M.await_release,
  die_with_parent = M.die_with_parent, new_process_group = M.new_process_group,
  become_mapped_root = M.become_mapped_root, reexec_in_userns = M.reexec_in_userns,
  enter_cgroups = M.enter_cgroups, new_cgroup_namespace = M.new_cgroup_namespace,
}

return M
