-- hako.userns_steps: root's sandbox in a user namespace of its own ("root inside, nobody
-- outside"), on the host side: a slot of host ids held for the sandbox's life, and the
-- idmapped mounts of its root and binds, made here and handed to the sandbox.
--
-- Why the host makes them: setting MOUNT_ATTR_IDMAP needs CAP_SYS_ADMIN in the user
-- namespace the file system was mounted in (the host's), on a detached mount
-- (mount_setattr(2)); the sandbox, root only in its own namespace, cannot. So hako-run
-- clones the sandbox, writes its id maps, then, for the target and each bind source:
-- open_tree(OPEN_TREE_CLONE | AT_RECURSIVE), mount_setattr(MOUNT_ATTR_IDMAP with the
-- sandbox's user namespace, and nosuid, nodev, rdonly, noexec as the mount wants), and
-- sends the detached tree through a socket pair (SCM_RIGHTS) made before the clone. The
-- sandbox attaches each, in plan order, with move_mount in its own mount namespace
-- (root_steps.bind_root, root_steps.bind). Through such a mount a file of host uid N
-- shows as uid N inside, and what uid 0 inside makes is uid 0's on disk, as in a chroot.

local failure = require "hako.failure"
local host_path = require "hako.host_path"
local idmap = require "hako.idmap"
local record = require "hako.record"

local check = failure.check

local M = {}

-- Where the slots' locks are: one empty file per slot, /run/hako/ranges/SLOT.
M.RANGES = "ranges"

local LOCK_MODE = tonumber("600", 8)
local DIRECTORY_MODE = tonumber("700", 8)

local read_file = require("hako.start_steps").read_file

-- pools(core) -> the uid pool, the gid pool, and the slots both have.
function M.pools(core)
  local uids = idmap.pool(read_file(core, "/etc/subuid"))
  local gids = idmap.pool(read_file(core, "/etc/subgid"))
  return uids, gids, math.min(uids.slots, gids.slots)
end

local function ranges_directory(core, create)
  local top, message, errno = record.open_directory(core, record.ROOT_DIRECTORY, 0, create)
  if not top then return nil, message, errno end
  if create then
    local ok
    ok, message, errno = core.mkdirat(top, M.RANGES, DIRECTORY_MODE)
    if not ok and errno ~= core.EEXIST then
      core.close(top)
      return nil, message, errno
    end
  end
  local dir
  dir, message, errno = core.openat2(top, M.RANGES, core.O_PATH | core.O_DIRECTORY | core.O_CLOEXEC, 0,
    core.RESOLVE_BENEATH | core.RESOLVE_NO_SYMLINKS)
  core.close(top)
  return dir, message, errno
end

local function open_slot(core, dir, slot, flags)
  return core.openat2(dir, tostring(slot), flags | core.O_CLOEXEC | core.O_NOFOLLOW, LOCK_MODE,
    core.RESOLVE_BENEATH | core.RESOLVE_NO_SYMLINKS)
end

-- The first free slot: its lock file taken with flock(LOCK_EX | LOCK_NB), held by this
-- process (hako-run, the supervisor) until it ends. The sandbox's processes never hold it
-- (close_host_fds closes it first thing), so it is free again when hako-run ends, which
-- the sandbox does not outlive (start_steps.die_with_parent): no lock is ever stale. The
-- files stay (empty, in /run): removing one would race with another hako-run's flock.
function M.reserve_id_range(_, state)
  local core = state.core
  local uids, gids, slots = M.pools(core)
  local dir, message, errno = ranges_directory(core, true)
  if not dir then failure.raise_core("id ranges /run/hako/" .. M.RANGES, message, errno) end
  for slot = 0, slots - 1 do
    local fd
    fd, message, errno = open_slot(core, dir, slot, core.O_RDWR | core.O_CREAT)
    if not fd then
      core.close(dir)
      failure.raise_core("id range lock /run/hako/" .. M.RANGES .. "/" .. slot, message, errno)
    end
    local ok
    ok, message, errno = core.flock(fd, core.LOCK_EX | core.LOCK_NB)
    if ok then
      core.close(dir)
      state.range_lock = fd
      table.insert(state.cleanups, function() core.close(fd) end)
      state.id_range = { slot = slot, uid = idmap.slot_start(uids, slot), gid = idmap.slot_start(gids, slot),
        count = idmap.RANGE_SIZE }
      return
    end
    core.close(fd)
    if errno ~= core.EAGAIN then
      core.close(dir)
      failure.raise_core("id range lock /run/hako/" .. M.RANGES .. "/" .. slot, message, errno)
    end
  end
  core.close(dir)
  failure.raise("id ranges", "all " .. slots .. " slots of 65536 ids are taken by running sandboxes")
end

-- free_slot(core) -> the slot reserve_id_range would take now, or nil (--dry-run). Looks
-- only: a slot file is opened read-only and tried with a shared lock, released at once.
function M.free_slot(core)
  local _, _, slots = M.pools(core)
  local dir = ranges_directory(core, false)
  if not dir then return 0 end
  for slot = 0, slots - 1 do
    local fd = open_slot(core, dir, slot, core.O_RDONLY)
    if not fd then
      core.close(dir)
      return slot
    end
    local free = core.flock(fd, core.LOCK_SH | core.LOCK_NB)
    core.close(fd)
    if free then
      core.close(dir)
      return slot
    end
  end
  core.close(dir)
end

-- The way the idmapped trees travel: a socket pair made before the clone; the sandbox
-- keeps one end (confine_steps.OWN_FDS), the host the other.
function M.open_tree_channel(_, state)
  local core = state.core
  state.trees_w, state.trees_r = check(core.socketpair(core.SOCK_SEQPACKET | core.SOCK_CLOEXEC))
  table.insert(state.cleanups, function()
    for _, key in ipairs({ "trees_w", "trees_r" }) do
      if state[key] then core.close(state[key]) end
      state[key] = nil
    end
  end)
end

-- --net PATH: a process of the sandbox's user namespace may not join a network namespace
-- of the host's (setns needs CAP_SYS_ADMIN over it). So hako-run clones the sandbox from
-- inside that namespace: it steps in here, just before the clone, and back right after.
function M.enter_netns(_, state)
  local core = state.core
  local own = check(core.open("/proc/self/ns/net", core.O_RDONLY | core.O_CLOEXEC))
  state.own_netns = own
  table.insert(state.cleanups, function()
    if state.own_netns then
      core.setns(own, core.CLONE_NEWNET)
      core.close(own)
      state.own_netns = nil
    end
  end)
  check(core.setns(state.netns_fd, core.CLONE_NEWNET))
  -- The sandbox is cloned in it: no fd of it goes along (the record asks /proc instead).
  core.close(state.netns_fd)
  state.netns_fd = nil
end

function M.leave_netns(_, state)
  local core = state.core
  check(core.setns(state.own_netns, core.CLONE_NEWNET))
  core.close(state.own_netns)
  state.own_netns = nil
end

-- Why a tree cannot be idmapped, for the one line hako-run says.
local function refusal(core, errno, message)
  local why
  if errno == core.ENOSYS then
    why = "this kernel has no idmapped mounts (Linux 5.12 and later have them)"
  elseif errno == core.EINVAL then
    why = "its file system, or one mounted beneath it, does not support idmapped mounts"
  else
    why = failure.why(message)
  end
  return why .. "; --userns host runs the sandbox without a user namespace"
end

-- idmapped(core, fd, attributes, userns, what) -> a detached copy of the tree at fd,
-- idmapped through userns, with attributes (MOUNT_ATTR_*) set, all under it too, and
-- private: a copy of a shared mount would be its peer, and what the sandbox mounts on
-- it would show on the host (doc/THREATS.md 5; pivot_root refuses a shared root anyway).
local function idmapped(core, fd, attributes, userns, what)
  local tree, message = core.open_tree(fd, "", core.OPEN_TREE_CLONE | core.OPEN_TREE_CLOEXEC
    | core.AT_RECURSIVE | core.AT_EMPTY_PATH)
  if not tree then failure.raise(what, failure.why(message)) end
  local ok, errno
  ok, message, errno = core.mount_setattr(tree, "", core.AT_EMPTY_PATH | core.AT_RECURSIVE,
    attributes | core.MOUNT_ATTR_IDMAP, 0, core.MS_PRIVATE, userns)
  if not ok then
    core.close(tree)
    failure.raise(what, refusal(core, errno, message), nil, errno)
  end
  return tree
end

local function attributes(core, mount)
  local set = core.MOUNT_ATTR_NOSUID
  if not mount.devices then set = set | core.MOUNT_ATTR_NODEV end
  if mount.read_only then set = set | core.MOUNT_ATTR_RDONLY end
  if mount.noexec then set = set | core.MOUNT_ATTR_NOEXEC end
  return set
end

-- Send one tree; false once the sandbox is gone (it has failed, and says why itself).
local function send(core, state, tree)
  local ok = core.send_fd(state.trees_w, tree)
  core.close(tree)
  return ok
end

-- After the id maps are written (the idmapping is copied from the namespace when set)
-- and the sandbox released (it takes each tree as it comes to it, so any number of binds
-- fit in the socket's buffer): the root's tree, then each bind's, in plan order. A bind's
-- source is opened here as root's hako-run opens any (hako.host_path: never through a
-- link another user could change, never a link as its last component).
function M.hand_idmapped_trees(step, state)
  local core = state.core
  core.close(state.trees_r)
  state.trees_r = nil
  local userns = check(core.open("/proc/" .. state.child .. "/ns/user", core.O_RDONLY | core.O_CLOEXEC))
  local ok, err = pcall(function()
    local root = idmapped(core, state.target_fd, attributes(core, step.root), userns, "target " .. step.root.path)
    if not send(core, state, root) then return end
    for _, bind in ipairs(step.binds) do
      local what = "mount source " .. bind.src
      local fd, message = host_path.open(core, bind.src, { uid = 0, last_link = "refuse" })
      if not fd then failure.raise(what, message) end
      local tree = idmapped(core, fd, attributes(core, bind), userns, what)
      core.close(fd)
      if not send(core, state, tree) then return end
    end
  end)
  core.close(userns)
  core.close(state.trees_w)
  state.trees_w = nil
  if not ok then error(err, 0) end
end

-- receive_tree(state, kind, path) -> the next tree the host sent (in the sandbox); a
-- failure names it "KIND PATH" (no string is made for a success: see root_steps.bind).
function M.receive_tree(state, kind, path)
  local fd, message = state.core.recv_fd(state.trees_r)
  if not fd then
    failure.raise(kind .. " " .. path, message and failure.why(message) or "hako-run sent no idmapped mount for it")
  end
  return fd
end

M.steps = {
  reserve_id_range = M.reserve_id_range, open_tree_channel = M.open_tree_channel,
  hand_idmapped_trees = M.hand_idmapped_trees, enter_netns = M.enter_netns, leave_netns = M.leave_netns,
}

return M
