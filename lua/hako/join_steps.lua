-- hako.join_steps: hako-enter's way into a running sandbox, which takes the place of
-- hako-run's preparing and building the root: find the sandbox and the record hako-run
-- left of it, check that the live process is the recorded one, read the policy, join
-- its namespaces and root. The confinement that follows is hako-run's own
-- (hako.confine_steps).

local cgroup = require "hako.cgroup"
local cgroupfs = require "hako.cgroupfs"
local failure = require "hako.failure"
local policy = require "hako.policy"
local prepare_steps = require "hako.prepare_steps"
local record = require "hako.record"
local seal = require "hako.seal"

local check = failure.check
local why = failure.why

local M = {}

local FLAG = {
  cgroup = "CLONE_NEWCGROUP", ipc = "CLONE_NEWIPC", mnt = "CLONE_NEWNS", net = "CLONE_NEWNET",
  pid = "CLONE_NEWPID", time = "CLONE_NEWTIME", user = "CLONE_NEWUSER", uts = "CLONE_NEWUTS",
}
-- Without pidfd setns: the user namespace first (it gives the rights for the others),
-- the mount namespace last (it changes root and cwd).
local JOIN_ORDER = { "user", "cgroup", "ipc", "uts", "net", "pid", "time", "mnt" }

-- Run from a binary nothing can write (see hako.seal); bin/hako-enter already did this
-- before loading the rest, so here it is a check that costs a few system calls.
function M.seal_self(step, state)
  seal.ensure(state.core, step.argv)
end

local function close(core, state, key)
  if state[key] then core.close(state[key]) end
  state[key] = nil
end

-- A pidfd pins the process: from here on its pid cannot be reused under us. Its root is
-- opened now, from the host's /proc: the sandbox's own /proc could lie once we are inside.
local function open_pid(core, state, pid)
  close(core, state, "pidfd")
  close(core, state, "rootfd")
  local pidfd, message, errno = core.pidfd_open(pid)
  if not pidfd then
    if errno == core.ESRCH then failure.raise(tostring(pid), "no such process") end
    failure.raise(tostring(pid), why(message))
  end
  state.pid, state.pidfd = pid, pidfd
  state.rootfd = core.open("/proc/" .. pid .. "/root", core.O_PATH | core.O_DIRECTORY | core.O_CLOEXEC)
end

-- The sandbox by pid, or by name: the one live sandbox of that name among the records
-- in the caller's own directories (hako.sandboxes), whose pid then goes the pid's way.
function M.open_target(step, state)
  local core = state.core
  table.insert(state.cleanups, function()
    close(core, state, "pidfd")
    close(core, state, "rootfd")
  end)
  local pid = step.pid
  if step.name then
    local sandboxes = require "hako.sandboxes"
    local euid = core.geteuid()
    pid = sandboxes.resolve(core, sandboxes.places(core, step.directories, euid), step.name, euid)
  end
  open_pid(core, state, pid)
end

-- Root may enter a rootless sandbox too: its record is in its owner's runtime directory,
-- /run/user/UID/hako by the XDG convention or /tmp/hako-UID without one, UID being who the
-- host sees run the process.
local function owner_places(core, pid)
  local st = core.statx(core.AT_FDCWD, "/proc/" .. pid, 0)
  local places = {}
  if st and st.uid ~= 0 then
    for _, dir in ipairs(record.owner_directories(st.uid)) do places[#places + 1] = { dir, st.uid } end
  end
  return places
end

local function own_namespace(core, ns)
  local st = core.statx(core.AT_FDCWD, "/proc/self/ns/" .. ns, 0)
  return st and { dev = st.dev_major .. ":" .. st.dev_minor, ino = st.ino }
end

local function same(a, b)
  return a and b and a.dev == b.dev and a.ino == b.ino
end

-- Is the recorded user namespace another than ours?
local function outside_of_ours(core, rec)
  return rec.ns.user ~= nil and not same(rec.ns.user, own_namespace(core, "user"))
end

-- Is pid in the recorded user namespace, and did owner make it? Only then does root,
-- joining it, get no more there than the user already has: not so in the host's, nor in
-- one that root (or another user) made and mapped to the user.
local function made_by(core, pid, rec, owner)
  if not outside_of_ours(core, rec) then return false end
  local fd = core.open("/proc/" .. pid .. "/ns/user", core.O_RDONLY | core.O_CLOEXEC)
  if not fd then return false end
  local st = core.statx(fd, "", core.AT_EMPTY_PATH)
  local uid = core.ns_get_owner_uid(fd)
  core.close(fd)
  return st ~= nil and same(rec.ns.user, { dev = st.dev_major .. ":" .. st.dev_minor, ino = st.ino })
    and uid == owner
end

-- trusted(core, rec, pid, owner, euid) -> rec | nil, message, errno: may euid follow
-- this record of pid, read from a directory of owner's?
function M.trusted(core, rec, pid, owner, euid)
  local message, errno
  -- owner: whose directory the record is in (root's for /run/hako). A record says it was
  -- written by its directory's owner, exactly: a user cannot write one "by root".
  if rec and rec.owner ~= owner then
    rec, message, errno = nil, "record " .. pid .. ": written by uid " .. tostring(rec.owner), core.EPERM
  elseif rec and owner ~= 0 and euid == 0 and not made_by(core, pid, rec, owner) then
    -- A user's record may only lead root into a user namespace of that user's own,
    -- where uid 0 is the user: else it could hand root a policy (environment, ids) of
    -- its choosing for a plain process of the user's, or in a namespace it does not own.
    rec, message, errno = nil, "record " .. pid .. ": of uid " .. owner
      .. " for a process outside any user namespace of its own", core.EPERM
  end
  return rec, message, errno
end

-- lookup(core, directories, pid, euid) -> record | nil, denied, why. A record whose
-- start time is not the live process's was left by a hako-run that could not remove it
-- (SIGKILLed) for an earlier process of that pid: the next place is looked at, and it is
-- the answer only if nothing else is (check_identity then says it is stale).
local function lookup(core, directories, pid, euid)
  local denied, stale
  local live = record.start_time(record.stat(core, pid) or "")
  local places = {}
  for i, dir in ipairs(directories) do places[i] = { dir, record.directory_owner(dir, euid) } end
  if euid == 0 then
    for _, place in ipairs(owner_places(core, pid)) do places[#places + 1] = place end
  end
  for _, place in ipairs(places) do
    local dir, owner = place[1], place[2]
    local dirfd, message, errno = record.open_directory(core, dir, owner, false)
    if dirfd then
      local rec
      rec, message, errno = record.read(core, dirfd, pid, owner)
      core.close(dirfd)
      if rec then rec, message, errno = M.trusted(core, rec, pid, owner, euid) end
      if rec and live and rec.start_time ~= live then
        stale, rec, errno = stale or rec, nil, core.ENOENT
      end
      if rec then return rec end
    end
    if errno == core.EACCES then
      denied = true
    elseif errno ~= core.ENOENT then
      return nil, false, message
    end
  end
  if stale then return stale end
  return nil, denied
end

-- hako-run's own pid (what a pid file may hold) leads to the sandbox it supervises.
local function supervised(core, directories, pid, euid)
  local fd = core.open("/proc/" .. pid .. "/task/" .. pid .. "/children", core.O_RDONLY | core.O_CLOEXEC)
  if not fd then return nil end
  local children = core.read(fd, 4096) or ""
  core.close(fd)
  for child in children:gmatch("%d+") do
    local rec = lookup(core, directories, math.tointeger(tonumber(child)), euid)
    if rec and rec.supervisor == pid then return rec end
  end
end

-- locate(core, directories, pid, euid[, verb]) -> the record of the sandbox whose first
-- process (or whose hako-run) pid is, found and trusted as above; raises when there is
-- none. verb: what the caller is refused to do ("enter", "stop").
function M.locate(core, directories, pid, euid, verb)
  local what = tostring(pid)
  local rec, denied, message = lookup(core, directories, pid, euid)
  if message then failure.raise(what, "not a hako sandbox (" .. message .. ")") end
  if denied then
    failure.raise(what, "permission denied (only root or the sandbox's owner can " .. (verb or "enter") .. " it)")
  end
  if not rec then
    rec = supervised(core, directories, pid, euid)
    if not rec then
      failure.raise(what, "not a hako sandbox (no record in " .. table.concat(directories, " or ") .. ")")
    end
  end
  return rec
end

-- The record of the pid open_target opened (or of the sandbox its hako-run supervises),
-- and, for a name, one that still bears it.
function M.find_record(step, state)
  local core = state.core
  local rec = M.locate(core, step.directories, step.pid or state.pid, core.geteuid())
  if rec.pid ~= state.pid then open_pid(core, state, rec.pid) end
  if step.name and rec.name ~= step.name then
    failure.raise(step.name, "no running sandbox of that name (sandbox " .. rec.pid .. " is now "
      .. (rec.name or "unnamed") .. ")")
  end
  state.record = rec
end

-- The live process must be the recorded one: same start time (else the pid was reused
-- and the record is stale) and same namespaces. The pidfd still alive afterwards proves
-- that what /proc said was about the process the pidfd holds.
function M.check_identity(_, state)
  local core = state.core
  local pid = tostring(state.pid)
  local id = record.identity(core, state.pid)
  if id and id.ns_error and not id.ended then
    failure.raise(pid, "cannot check its namespaces (" .. why(id.ns_error) .. ")")
  end
  local what, stale = "process", false
  if id then what, stale = record.mismatch(state.record, id) end
  if not core.pidfd_send_signal(state.pidfd, 0) or (id and id.ended) then
    failure.raise(pid, "no such process")
  end
  if stale then
    failure.raise(pid, "not a hako sandbox (stale record: the recorded process has ended and its pid was reused)")
  elseif what then
    failure.raise(pid, "record mismatch: " .. what .. " is not the recorded one")
  end
  if not state.rootfd then failure.raise(pid, "cannot open its root directory") end
end


-- Root's supplementary groups stay with it through setns: where the policy does not set
-- groups (a rootless sandbox, whose user namespace denies setgroups) the command would
-- keep them on the host. Clear them now, while we are root in our own user namespace.
function M.drop_groups(_, state)
  local core = state.core
  if core.geteuid() ~= 0 then return end
  local ok, message, errno = core.setgroups({})
  if not ok and not state.policy.setgroups then
    failure.raise("drop the caller's groups", why(message), nil, errno)
  end
end

-- Join every namespace of the sandbox, all at once through the pidfd (Linux 5.8); on
-- older kernels, open them all first, check them, then join. A namespace we are already
-- in is left out: joining it again would change nothing, but the kernel refuses it for
-- the user namespace, and, once inside another user namespace, for any namespace that
-- user namespace does not own (the host's cgroup or time namespace, say). Root in its
-- own user namespace can join the others as they are, which saves looking at ours.
function M.join(_, state)
  local core = state.core
  local want, flags, kinds = state.record.ns, 0, {}
  local own = { user = own_namespace(core, "user") }
  local compare = core.geteuid() ~= 0 or not same(want.user, own.user)
  for _, ns in ipairs(JOIN_ORDER) do
    if compare and not own[ns] then own[ns] = own_namespace(core, ns) end
    if want[ns] and not ((ns == "user" or compare) and same(want[ns], own[ns])) then
      flags = flags | core[FLAG[ns]]
      kinds[#kinds + 1] = ns
    end
  end
  if flags == 0 then return end
  local what = "join the namespaces of " .. state.pid
  local ok, message, errno = core.setns(state.pidfd, flags)
  if ok then return end
  if errno ~= core.EINVAL then failure.raise(what, why(message), nil, errno) end
  local fds = {}
  for i, ns in ipairs(kinds) do
    local fd = core.open("/proc/" .. state.pid .. "/ns/" .. ns, core.O_RDONLY | core.O_CLOEXEC)
    local id = fd and core.statx(fd, "", core.AT_EMPTY_PATH)
    fds[i] = fd
    if not id or not same(want[ns], { dev = id.dev_major .. ":" .. id.dev_minor, ino = id.ino }) then
      for _, f in pairs(fds) do core.close(f) end
      failure.raise(what, ns .. " namespace changed")
    end
  end
  for i, fd in ipairs(fds) do
    ok, message, errno = core.setns(fd, core[FLAG[kinds[i]]])
    core.close(fd)
    if not ok then failure.raise(what, kinds[i] .. ": " .. why(message), nil, errno) end
  end
end

-- The sandbox's root as root directory; the working directory inside it comes after the
-- policy (confine_steps.chdir), as the command's user.
function M.set_root(_, state)
  local core = state.core
  check(core.fchdir(state.rootfd))
  check(core.chroot("."))
  core.close(state.rootfd)
  core.close(state.pidfd)
  state.rootfd, state.pidfd = nil, nil
end

-- The policy the command gets: the recorded one, changed by the options (see
-- hako.policy.for_enter). --user and --group are looked up in the sandbox's own files,
-- read through its root directory fd with hako-run's care (prepare_steps.read_inside).
function M.read_policy(step, state)
  local core = state.core
  local o, identity = step.overrides, nil
  if o.user or o.group then
    local passwd = prepare_steps.read_inside(core, state.rootfd, "etc/passwd")
    local group = prepare_steps.read_inside(core, state.rootfd, "etc/group")
    identity = require("hako.users").resolve(o.user, o.group, passwd, group)
  end
  state.policy = policy.for_enter(state.record.policy, o,
    { euid = core.geteuid(), environ = core.environ() }, identity)
end

-- The sandbox's cgroups, opened now, on the host, for the command to be put into them
-- (start_steps.enter_cgroups). The record only says which hierarchies (policy.cgroups,
-- their mounts); the cgroup in each is the one the sandbox's process is in now, as this
-- host's /proc says (a record is its owner's to write, and must not choose a cgroup for
-- root's command). The pidfd still alive afterwards proves /proc spoke of that process.
function M.open_cgroups(_, state)
  local core = state.core
  local wanted = state.policy.cgroups or {}
  if #wanted == 0 then return end
  local mounts = cgroupfs.discover(core)
  local text = core.open("/proc/" .. state.pid .. "/cgroup", core.O_RDONLY | core.O_CLOEXEC)
  local live = text and cgroup.self_cgroups(core.read(text, 65536) or "") or { v1 = {} }
  if text then core.close(text) end
  if not core.pidfd_send_signal(state.pidfd, 0) then failure.raise(tostring(state.pid), "no such process") end
  state.cgroup_procs = {}
  table.insert(state.cleanups, function()
    for _, fd in ipairs(state.cgroup_procs) do core.close(fd) end
  end)
  for _, mount in ipairs(wanted) do
    local path
    if mounts.v2 and mounts.v2[1] == mount then path = cgroup.beneath(mounts.v2[2], live.v2 or "") end
    for c, m in pairs(mounts.v1) do
      if m[1] == mount then path = cgroup.beneath(m[2], live.v1[c] or "") end
    end
    if not path then
      failure.raise("cgroup " .. mount, "not one of this host's cgroup mounts, or the sandbox is in none")
    end
    local mountfd = check(cgroupfs.open_mount(core, mount))
    local fd, message, errno = core.openat2(mountfd, (path .. "/cgroup.procs"):gsub("^/+", ""),
      core.O_WRONLY | core.O_CLOEXEC, 0,
      core.RESOLVE_BENEATH | core.RESOLVE_NO_XDEV | core.RESOLVE_NO_SYMLINKS | core.RESOLVE_NO_MAGICLINKS)
    core.close(mountfd)
    if not fd then failure.raise_core("cgroup " .. mount .. path, message, errno) end
    state.cgroup_procs[#state.cgroup_procs + 1] = fd
  end
end

M.steps = {
  seal_self = M.seal_self, open_target = M.open_target, find_record = M.find_record,
  check_identity = M.check_identity, read_policy = M.read_policy, drop_groups = M.drop_groups,
  join = M.join, set_root = M.set_root, open_cgroups = M.open_cgroups,
}

return M
