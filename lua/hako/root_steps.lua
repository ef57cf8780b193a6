-- hako.root_steps: building the sandbox's root, in its first process: the mounts (made
-- before pivot_root, by file descriptor), pivot_root into it, its hostname and network.
--
-- Every destination is opened with openat2(RESOLVE_IN_ROOT) relative to the sandbox
-- root, so a symlink in the sandbox's tree (which its owner controls) cannot take a
-- mount outside it, and the mount is attached to that open file: nothing is resolved
-- twice, so swapping the tree between the check and the mount changes nothing.
-- New mounts are made detached (open_tree, fsmount), given their flags, then attached.

local failure = require "hako.failure"
local host_path = require "hako.host_path"
local userns_steps = require "hako.userns_steps"

local check = failure.check

local M = {}

local DEVICE_MODE = tonumber("666", 8)
local DIRECTORY_MODE = tonumber("755", 8)
local STICKY_MODE = tonumber("1777", 8)

local why = failure.why

-- Open dst inside the root; symlinks are allowed only when they stay inside it. dst is
-- absolute, and RESOLVE_IN_ROOT resolves it from the root's fd all the same (openat2(2)):
-- no relative copy of it is made (a string a mount, interned where the clone shares the
-- pages: a thousand binds feel it).
local function open_destination(core, state, dst, extra_resolve)
  local fd, message, errno = core.openat2(state.root_fd, dst, core.O_PATH | core.O_CLOEXEC, 0,
    core.RESOLVE_IN_ROOT | core.RESOLVE_NO_MAGICLINKS | (extra_resolve or 0))
  return fd, message, errno
end

local function attach(core, mount_fd, dst_fd, dst)
  local ok, message, errno = core.move_mount(mount_fd, "", dst_fd, "",
    core.MOVE_MOUNT_F_EMPTY_PATH | core.MOVE_MOUNT_T_EMPTY_PATH)
  if ok then return end
  -- EINVAL here means a file onto a directory or the other way round.
  if errno == core.EINVAL then
    local from, to = core.statx(mount_fd, "", core.AT_EMPTY_PATH), core.statx(dst_fd, "", core.AT_EMPTY_PATH)
    if from and to and (from.type == "directory") ~= (to.type == "directory") then
      failure.raise("mount destination " .. dst, "is a " .. to.type .. ", the source a " .. from.type)
    end
  end
  failure.raise("mount destination " .. dst, why(message))
end

local function fs_mount(core, fstype, config, attributes)
  local fs = check(core.fsopen(fstype, core.FSOPEN_CLOEXEC))
  for _, kv in ipairs(config) do
    local ok, message, errno = core.fsconfig(fs, core.FSCONFIG_SET_STRING, kv[1], kv[2])
    if not ok then
      core.close(fs)
      failure.raise(fstype .. " " .. kv[1] .. "=" .. kv[2], why(message), nil, errno)
    end
  end
  check(core.fsconfig(fs, core.FSCONFIG_CMD_CREATE))
  local mnt = check(core.fsmount(fs, core.FSMOUNT_CLOEXEC, attributes))
  core.close(fs)
  return mnt
end

local function same_inode(a, b)
  return a.ino == b.ino and a.dev_major == b.dev_major and a.dev_minor == b.dev_minor
end

-- pivot_root needs the new root to be a mount point: bind the target onto itself, and
-- keep a descriptor of it: every later mount is placed relative to it. The target is
-- not looked up by name again: it is the working directory hako-run gave this process
-- (prepare_steps.enter_target), checked against the fd check_target opened, then closed:
-- that fd is of the host's mount namespace, a way out for whoever could get it.
function M.bind_root(step, state)
  local core = state.core
  -- The working directory itself (AT_EMPTY_PATH), never the path ".": in root's user
  -- namespace the first process is not the target's owner, and a target of mode 0700
  -- (mktemp -d) lets it look nothing up in it.
  local here = check(core.statx(core.AT_FDCWD, "", core.AT_EMPTY_PATH))
  if not state.target_fd or not same_inode(here, check(core.statx(state.target_fd, "", core.AT_EMPTY_PATH))) then
    failure.raise("target " .. step.path, "is not the working directory of the sandbox's first process")
  end
  -- Idmapped, the copy is hako-run's (hako.userns_steps): it alone may make one.
  -- The working directory (the target's mount in this namespace; target_fd is the host's).
  core.close(state.target_fd)
  state.target_fd = nil
  local tree = step.idmapped and userns_steps.receive_tree(state, "target", step.path)
    or check(core.open_tree(core.AT_FDCWD, "", core.OPEN_TREE_CLONE | core.OPEN_TREE_CLOEXEC | core.AT_RECURSIVE
      | core.AT_EMPTY_PATH))
  check(core.move_mount(tree, "", core.AT_FDCWD, "", core.MOVE_MOUNT_F_EMPTY_PATH | core.MOVE_MOUNT_T_EMPTY_PATH))
  -- Once attached, the copy's fd is its root: the new mount, not the one it covers
  -- (which opening "." would give).
  state.root_fd = tree
end

-- The sandbox's tree is not trusted: no setuid, no device files, unless bound with
-- --dev-bind; read-only too with --read-only. Recursive, so submounts are covered.
function M.protect_root(step, state)
  local core = state.core
  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV
  if step.read_only then set = set | core.MOUNT_ATTR_RDONLY end
  check(core.mount_setattr(state.root_fd, "", core.AT_EMPTY_PATH | core.AT_RECURSIVE, set))
end

-- A bind's source whose last component is a symlink is refused, not followed: whoever
-- owns the directory it is in could point it anywhere (/root, /etc) between the caller's
-- look and the bind. A link before it is followed only if the caller can trust it
-- (hako.host_path); in a user namespace any is, since the sandbox then reaches no more
-- than the caller can (any_link). Opened once, checked, and bound from that fd.
-- Per bind, nothing is made but on failure (the options once, the message when raised).
local function open_source(core, state, src, any_link)
  local options = state.source_options or { uid = core.geteuid(), last_link = "refuse" }
  state.source_options, options.any_link = options, any_link
  local fd, message = host_path.open(core, src, options)
  if not fd then failure.raise("mount source " .. src, message) end
  local tree
  tree, message = core.open_tree(fd, "", core.OPEN_TREE_CLONE | core.OPEN_TREE_CLOEXEC | core.AT_RECURSIVE
    | core.AT_EMPTY_PATH)
  core.close(fd)
  if not tree then failure.raise("mount source " .. src, why(message)) end
  return tree
end

function M.bind(step, state)
  local core = state.core
  local tree
  if step.idmapped then
    -- Made, flags and all, by hako-run (hako.userns_steps.hand_idmapped_trees).
    tree = userns_steps.receive_tree(state, "mount source", step.src)
  else
    tree = open_source(core, state, step.src, step.any_link)
    local set = core.MOUNT_ATTR_NOSUID
    if not step.devices then set = set | core.MOUNT_ATTR_NODEV end
    if step.read_only then set = set | core.MOUNT_ATTR_RDONLY end
    if step.noexec then set = set | core.MOUNT_ATTR_NOEXEC end
    -- Set before attaching, so the mount is never writable in the sandbox, not even briefly.
    check(core.mount_setattr(tree, "", core.AT_EMPTY_PATH | core.AT_RECURSIVE, set))
  end
  local dst, dst_message = open_destination(core, state, step.dst)
  if not dst then
    core.close(tree)
    failure.raise("mount destination " .. step.dst, why(dst_message))
  end
  attach(core, tree, dst, step.dst)
  core.close(dst)
  core.close(tree)
end

function M.tmpfs(step, state)
  local core = state.core
  local config = { { "mode", "1777" } }
  if step.size then config[2] = { "size", step.size } end
  local mnt = fs_mount(core, "tmpfs", config, core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV
    | (step.noexec and core.MOUNT_ATTR_NOEXEC or 0))
  local dst, message = open_destination(core, state, step.dst)
  if not dst then failure.raise("tmpfs destination " .. step.dst, why(message)) end
  attach(core, mnt, dst, step.dst)
  core.close(dst)
  core.close(mnt)
end

-- /proc and /dev go only onto real directories: a symlink or a file there is refused,
-- since writes and masks meant for them would land elsewhere. Missing: skipped, unless
-- asked for by --proc or --dev.
local function special_directory(core, state, step)
  local fd, message, errno = open_destination(core, state, step.dst, core.RESOLVE_NO_SYMLINKS)
  if not fd then
    if errno == core.ENOENT then
      if not step.required then return nil end
      failure.raise(step.dst, "no such directory in the sandbox")
    end
    if errno == core.ELOOP then failure.raise(step.dst, "is a symbolic link in the sandbox, refused") end
    failure.raise(step.dst, why(message))
  end
  local st = check(core.statx(fd, "", core.AT_EMPTY_PATH))
  if st.type ~= "directory" then
    core.close(fd)
    failure.raise(step.dst, "is not a directory in the sandbox")
  end
  return fd
end

-- A fresh proc for the sandbox's PID namespace (made by its own first process).
function M.mount_proc(step, state)
  local core = state.core
  local dst = special_directory(core, state, step)
  if not dst then return end
  local mnt = fs_mount(core, "proc", {},
    core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV | core.MOUNT_ATTR_NOEXEC)
  attach(core, mnt, dst, step.dst)
  core.close(dst)
  -- Kept for protect_proc: its paths are opened relative to this proc, not by name.
  state.proc_fd = mnt
end

-- Kernel-global files in /proc (doc/THREATS.md 11): uid 0 inside owns /proc/sys and would
-- write kernel.core_pattern (a host root shell) or sysrq-trigger even without
-- capabilities. step.read_only are bound onto themselves read-only; step.masked are
-- covered: a file by a read-only /dev/null, a directory by an empty read-only tmpfs.
-- Paths this kernel lacks are skipped. Only CAP_SYS_ADMIN could undo it.
local function proc_path(core, proc, name)
  local fd, message, errno = core.openat2(proc, name, core.O_PATH | core.O_NOFOLLOW | core.O_CLOEXEC, 0,
    core.RESOLVE_BENEATH | core.RESOLVE_NO_SYMLINKS | core.RESOLVE_NO_XDEV)
  if not fd and errno ~= core.ENOENT then failure.raise("/proc/" .. name, why(message)) end
  return fd
end

local function sealed(core)
  return core.MOUNT_ATTR_RDONLY | core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NOEXEC
end

local function cover(core, mnt, dst, name)
  check(core.mount_setattr(mnt, "", core.AT_EMPTY_PATH | core.AT_RECURSIVE, sealed(core)))
  attach(core, mnt, dst, "/proc/" .. name)
  core.close(mnt)
  core.close(dst)
end

function M.protect_proc(step, state)
  local core = state.core
  local proc = state.proc_fd
  if not proc then return end
  for _, name in ipairs(step.read_only) do
    local dst = proc_path(core, proc, name)
    if dst then
      cover(core, check(core.open_tree(proc, name,
        core.OPEN_TREE_CLONE | core.OPEN_TREE_CLOEXEC | core.AT_RECURSIVE)), dst, name)
    end
  end
  for _, name in ipairs(step.masked) do
    local dst = proc_path(core, proc, name)
    if dst then
      local mnt
      if check(core.statx(dst, "", core.AT_EMPTY_PATH)).type == "directory" then
        mnt = fs_mount(core, "tmpfs", { { "size", "4k" }, { "mode", "0555" } },
          core.MOUNT_ATTR_NODEV | sealed(core))
      else
        -- The host's, made before pivot_root: reads give nothing, writes go nowhere.
        mnt = check(core.open_tree(core.AT_FDCWD, "/dev/null", core.OPEN_TREE_CLONE | core.OPEN_TREE_CLOEXEC))
      end
      cover(core, mnt, dst, name)
    end
  end
  core.close(proc)
  state.proc_fd = nil
end

-- sysfs only when asked (--sys), and read-only: /sys/** holds kernel-global knobs.
function M.mount_sys(step, state)
  local core = state.core
  local dst = special_directory(core, state, step)
  if not dst then return end
  local mnt = fs_mount(core, "sysfs", {}, core.MOUNT_ATTR_NODEV | sealed(core))
  attach(core, mnt, dst, step.dst)
  core.close(dst)
  core.close(mnt)
end

-- The few devices a program expects, on a small tmpfs of their own.
local DEVICES = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 },
  { "urandom", 1, 9 }, { "tty", 5, 0 },
}
local LINKS = {
  { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
}

local function mount_at(core, mnt, dev, name)
  local dst = check(core.openat2(dev, name, core.O_PATH | core.O_CLOEXEC, 0,
    core.RESOLVE_BENEATH | core.RESOLVE_NO_SYMLINKS))
  attach(core, mnt, dst, "/dev/" .. name)
  core.close(dst)
  core.close(mnt)
end

local function make_devices(core, dev)
  for _, d in ipairs(DEVICES) do check(core.mknodat(dev, d[1], core.S_IFCHR | DEVICE_MODE, d[2], d[3])) end
end

-- In a user namespace mknod is refused: bind the host's devices onto empty files.
local function bind_devices(core, dev)
  for _, d in ipairs(DEVICES) do
    check(core.close(check(core.openat2(dev, d[1], core.O_WRONLY | core.O_CREAT | core.O_EXCL
      | core.O_CLOEXEC, DEVICE_MODE, core.RESOLVE_BENEATH))))
    local tree = check(core.open_tree(core.AT_FDCWD, "/dev/" .. d[1],
      core.OPEN_TREE_CLONE | core.OPEN_TREE_CLOEXEC))
    check(core.mount_setattr(tree, "", core.AT_EMPTY_PATH, core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NOEXEC))
    mount_at(core, tree, dev, d[1])
  end
end

function M.mount_dev(step, state)
  local core = state.core
  local dst = special_directory(core, state, step)
  if not dst then return end
  local dev = fs_mount(core, "tmpfs", { { "mode", "0755" }, { "size", "64k" } },
    core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NOEXEC)
  attach(core, dev, dst, step.dst)
  core.close(dst)
  -- The caller's umask would take write access from the devices.
  local umask = core.umask(0)
  if step.bind_devices then bind_devices(core, dev) else make_devices(core, dev) end
  for _, l in ipairs(LINKS) do check(core.symlinkat(l[2], dev, l[1])) end
  check(core.mkdirat(dev, "pts", DIRECTORY_MODE))
  check(core.mkdirat(dev, "shm", STICKY_MODE))
  core.umask(umask)
  mount_at(core, fs_mount(core, "devpts", { { "ptmxmode", "0666" }, { "mode", "0620" } },
    core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NOEXEC), dev, "pts")
  mount_at(core, fs_mount(core, "tmpfs", { { "mode", "1777" } },
    core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV | core.MOUNT_ATTR_NOEXEC), dev, "shm")
  core.close(dev)
end

-- Nothing done in here may reach the host's mounts: private first, before any mount.
function M.make_private(step, state)
  local core = state.core
  check(core.mount(nil, step.path, nil, core.MS_REC | core.MS_PRIVATE))
end

-- Into the root bound by bind_root; the host's root goes onto step.old (".hako").
function M.pivot_root(step, state)
  local core = state.core
  check(core.fchdir(state.root_fd))
  check(core.pivot_root(".", step.old))
  core.close(state.root_fd)
  state.root_fd = nil
  -- Every idmapped tree has come: the host's socket is no business of what runs here.
  if state.trees_r then core.close(state.trees_r) end
  state.trees_r = nil
end

-- Detach the host's root: from here on nothing of the host's file system is reachable.
-- Not through a symlink: the tree's owner may have replaced .hako on the host by one
-- (renaming a mount point of another namespace detaches it there), say to /proc, which
-- would then be detached instead. The umount fails, and the sandbox with it.
function M.detach_old_root(step, state)
  local core = state.core
  check(core.umount2(step.path, core.MNT_DETACH | core.UMOUNT_NOFOLLOW))
end

-- The policy's hostname, in the sandbox's own UTS namespace.
function M.sethostname(_, state)
  check(state.core.sethostname(state.policy.hostname))
end

-- --net PATH: into that network namespace, opened on the host by open_netns.
function M.join_netns(_, state)
  check(state.core.setns(state.netns_fd, state.core.CLONE_NEWNET))
  -- Joined: the host's fd of it is no business of the sandbox's processes.
  state.core.close(state.netns_fd)
  state.netns_fd = nil
end

-- A new network namespace has only loopback, and down: bring it up.
function M.loopback_up(_, state)
  local core = state.core
  local fd = check(core.socket(core.AF_INET, core.SOCK_DGRAM | core.SOCK_CLOEXEC))
  local flags = check(core.get_ifflags(fd, "lo"))
  check(core.set_ifflags(fd, "lo", flags | core.IFF_UP))
  core.close(fd)
end

M.steps = {
  make_private = M.make_private, bind_root = M.bind_root, protect_root = M.protect_root,
  mount_proc = M.mount_proc, protect_proc = M.protect_proc, mount_sys = M.mount_sys,
  mount_dev = M.mount_dev, bind = M.bind, tmpfs = M.tmpfs, pivot_root = M.pivot_root,
  detach_old_root = M.detach_old_root, sethostname = M.sethostname, join_netns = M.join_netns,
  loopback_up = M.loopback_up,
}

return M
