-- root_steps_spec: building the sandbox's root (hako.root_steps) against a fake core, no
-- root needed: which mounts are made, from which fds, with which flags, in what order,
-- and what a failure says. The kernel's side of it is in the escape_*_spec files.
local lu = require "luaunit"
local failure = require "hako.failure"
local fake = require "support.fake_core"
local root_steps = require "hako.root_steps"

-- fds: the sandbox's root (bind_root's copy of the target), the target opened by
-- check_target, a mount made detached, the destination it goes onto, a filesystem context.
local ROOT, TARGET, TREE, DST, FS = 5, 6, 30, 31, 32
-- A bind's source, walked by hako.host_path: "/" and its one component.
local HOST_ROOT, SRC = 20, 21

local function state_for(core, extra)
  local state = { core = core, root_fd = ROOT }
  for k, v in pairs(extra or {}) do state[k] = v end
  return state
end

local function raises(f, ...)
  local ok, err = pcall(f, ...)
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  return err
end

local function directory(ino)
  return { type = "directory", ino = ino or 7, dev_major = 8, dev_minor = 1, uid = 0, mode = 493 }
end

-- What the kernel says to an openat2 that finds nothing.
local function enoent(core, name)
  return nil, "openat2 " .. name .. ": No such file or directory", core.ENOENT
end

TestRootSteps = {}

-- Nothing done in the sandbox's mount namespace may reach the host's: before any mount.
function TestRootSteps.test_make_private_makes_every_mount_private_recursively()
  local core, calls = fake.new({ mount = true })
  root_steps.make_private({ path = "/" }, state_for(core))
  lu.assertEquals(calls, { { "mount", nil, "/", nil, core.MS_REC | core.MS_PRIVATE } })
end

-- bind_root: the working directory is the target (compared with check_target's fd, by
-- inode), that fd is closed, and a recursive copy of the working directory is attached onto
-- it and kept as the root. Nothing is looked up, not even ".", which needs search
-- permission in the target (a 0700 one of root's, for the first process in root's user
-- namespace: userns_spec).
local function bind_root_answers(cwd)
  return { statx = function(fd) return fd == TARGET and directory(7) or cwd end,
    close = true, open_tree = TREE, move_mount = true }
end

function TestRootSteps.test_bind_root_binds_the_working_directory_once_checked_against_the_target()
  local core, calls = fake.new(bind_root_answers(directory(7)))
  local state = state_for(core, { root_fd = false, target_fd = TARGET })
  root_steps.bind_root({ path = "/srv/sb" }, state)
  lu.assertEquals(calls, {
    { "statx", core.AT_FDCWD, "", core.AT_EMPTY_PATH },
    { "statx", TARGET, "", core.AT_EMPTY_PATH },
    { "close", TARGET },
    { "open_tree", core.AT_FDCWD, "", core.OPEN_TREE_CLONE | core.OPEN_TREE_CLOEXEC | core.AT_RECURSIVE
      | core.AT_EMPTY_PATH },
    { "move_mount", TREE, "", core.AT_FDCWD, "", core.MOVE_MOUNT_F_EMPTY_PATH | core.MOVE_MOUNT_T_EMPTY_PATH },
  })
  lu.assertEquals(state.root_fd, TREE)
  lu.assertNil(state.target_fd) -- the host's mount namespace: no way out left open
end

function TestRootSteps.test_bind_root_refuses_a_working_directory_that_is_not_the_target()
  local core, calls = fake.new(bind_root_answers(directory(8)))
  local err = raises(root_steps.bind_root, { path = "/srv/sb" }, state_for(core, { target_fd = TARGET }))
  lu.assertEquals(tostring(err), "target /srv/sb: is not the working directory of the sandbox's first process")
  lu.assertEquals(fake.names(calls), { "statx", "statx" })
end

function TestRootSteps.test_bind_root_refuses_to_go_on_without_the_target_fd()
  local core, calls = fake.new(bind_root_answers(directory(7)))
  local err = raises(root_steps.bind_root, { path = "/srv/sb" }, state_for(core))
  lu.assertEquals(tostring(err), "target /srv/sb: is not the working directory of the sandbox's first process")
  lu.assertEquals(fake.names(calls), { "statx" })
end

-- protect_root: no setuid, no devices in the sandbox's tree, recursively (submounts too).
function TestRootSteps.test_protect_root_makes_the_tree_nosuid_and_nodev()
  local core, calls = fake.new({ mount_setattr = true })
  root_steps.protect_root({ read_only = nil }, state_for(core))
  lu.assertEquals(calls, { { "mount_setattr", ROOT, "", core.AT_EMPTY_PATH | core.AT_RECURSIVE,
    core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV } })
end

function TestRootSteps.test_protect_root_read_only_adds_rdonly()
  local core, calls = fake.new({ mount_setattr = true })
  root_steps.protect_root({ read_only = true }, state_for(core))
  lu.assertEquals(calls, { { "mount_setattr", ROOT, "", core.AT_EMPTY_PATH | core.AT_RECURSIVE,
    core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV | core.MOUNT_ATTR_RDONLY } })
end

local FDCWD = fake.new({}).AT_FDCWD

-- A bind of /srv onto /mnt: the source walked from "/" (hako.host_path), the destination
-- opened in the root; `destination` answers that openat2 (DST by default).
local function bind_answers(destination, extra)
  local answers = {
    geteuid = 0,
    open = HOST_ROOT,
    openat2 = function(dirfd, name, ...)
      -- host_path's one-call open of a path without links: here, there is one, so the
      -- walk a component at a time follows (the fast case has its own test).
      if dirfd == FDCWD then return nil, "openat2 " .. name .. ": Too many levels of symbolic links", 40 end
      if dirfd == HOST_ROOT then return SRC end
      if destination then return destination(dirfd, name, ...) end
      return DST
    end,
    statx = directory(),
    close = true,
    open_tree = TREE,
    mount_setattr = true,
    move_mount = true,
  }
  for k, v in pairs(extra or {}) do answers[k] = v end
  return answers
end

local function bind(step, answers)
  local core, calls = fake.new(answers or bind_answers())
  step.src, step.dst = "/srv", "/mnt"
  root_steps.bind(step, state_for(core))
  return core, calls
end

local function index_of(calls, name)
  for i, call in ipairs(calls) do
    if call[1] == name then return i end
  end
end

-- A source with no link on its way is opened in one call that refuses any link
-- (host_path), and bound as the walk's would be.
function TestRootSteps.test_a_source_without_links_is_opened_in_one_call()
  local answers = bind_answers()
  answers.openat2 = function(dirfd, name)
    if name == "/srv" then return SRC end
    return dirfd ~= SRC and DST or nil
  end
  local core, calls = bind({}, answers)
  lu.assertEquals(calls[2],
    { "openat2", core.AT_FDCWD, "/srv", core.O_PATH | core.O_CLOEXEC, 0, core.RESOLVE_NO_SYMLINKS })
  lu.assertEquals(calls[3], { "open_tree", SRC, "",
    core.OPEN_TREE_CLONE | core.OPEN_TREE_CLOEXEC | core.AT_RECURSIVE | core.AT_EMPTY_PATH })
  lu.assertEquals(#fake.calls_named(calls, "open"), 0)
end

-- The attributes a bind was given: only set, nothing cleared (a source read-only on the
-- host stays so), recursively, and while it is detached: the sandbox never sees it
-- without them, not even briefly.
local function bind_attributes(core, calls)
  local set = fake.calls_named(calls, "mount_setattr")
  lu.assertEquals(#set, 1)
  lu.assertEquals(#set[1], 5) -- no attr_clr
  lu.assertEquals({ set[1][2], set[1][3], set[1][4] }, { TREE, "", core.AT_EMPTY_PATH | core.AT_RECURSIVE })
  lu.assertTrue(index_of(calls, "mount_setattr") < index_of(calls, "move_mount"))
  return set[1][5]
end

function TestRootSteps.test_a_bind_is_a_copy_of_the_checked_source_attached_onto_the_opened_destination()
  local core, calls = bind({})
  lu.assertEquals(calls[2][1], "openat2")
  lu.assertEquals(calls[3], { "open", "/", core.O_PATH | core.O_NOFOLLOW | core.O_CLOEXEC | core.O_DIRECTORY })
  lu.assertEquals(calls[4], { "openat2", HOST_ROOT, "srv", core.O_PATH | core.O_NOFOLLOW | core.O_CLOEXEC, 0, 0 })
  lu.assertEquals(table.move(calls, 7, #calls, 1, {}), {
    { "open_tree", SRC, "", core.OPEN_TREE_CLONE | core.OPEN_TREE_CLOEXEC | core.AT_RECURSIVE | core.AT_EMPTY_PATH },
    { "close", SRC },
    { "mount_setattr", TREE, "", core.AT_EMPTY_PATH | core.AT_RECURSIVE,
      core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV },
    -- Inside the root: a symlink there may not lead out of it, nor a magic link at all.
    { "openat2", ROOT, "/mnt", core.O_PATH | core.O_CLOEXEC, 0, core.RESOLVE_IN_ROOT | core.RESOLVE_NO_MAGICLINKS },
    { "move_mount", TREE, "", DST, "", core.MOVE_MOUNT_F_EMPTY_PATH | core.MOVE_MOUNT_T_EMPTY_PATH },
    { "close", DST },
    { "close", TREE },
  })
end

function TestRootSteps.test_a_bind_is_nosuid_and_nodev()
  local core, calls = bind({})
  lu.assertEquals(bind_attributes(core, calls), core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV)
end

function TestRootSteps.test_a_read_only_bind_is_rdonly_too()
  local core, calls = bind({ read_only = true })
  lu.assertEquals(bind_attributes(core, calls),
    core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV | core.MOUNT_ATTR_RDONLY)
end

-- --dev-bind: devices work there; setuid files still do not.
function TestRootSteps.test_a_device_bind_keeps_devices_but_not_setuid()
  local core, calls = bind({ devices = true })
  lu.assertEquals(bind_attributes(core, calls), core.MOUNT_ATTR_NOSUID)
  core, calls = bind({ devices = true, read_only = true })
  lu.assertEquals(bind_attributes(core, calls), core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_RDONLY)
end

function TestRootSteps.test_a_destination_that_cannot_be_opened_is_named_and_nothing_is_attached()
  local core
  local answers = bind_answers(function(_, name) return enoent(core, name) end)
  answers.move_mount = nil
  local calls
  core, calls = fake.new(answers)
  local err = raises(root_steps.bind, { src = "/srv", dst = "/mnt" }, state_for(core))
  lu.assertEquals(tostring(err), "mount destination /mnt: No such file or directory")
  lu.assertEquals(calls[#calls], { "close", TREE })
end

function TestRootSteps.test_a_source_that_cannot_be_opened_is_named()
  local core
  core = fake.new({ geteuid = 0, open = HOST_ROOT, close = true,
    openat2 = function(_, name) return enoent(core, name) end })
  local err = raises(root_steps.bind, { src = "/srv", dst = "/mnt" }, state_for(core))
  lu.assertEquals(tostring(err), "mount source /srv: No such file or directory")
end

-- A file bound onto a directory (or the other way round): the kernel's EINVAL, explained.
function TestRootSteps.test_a_file_onto_a_directory_says_which_is_which()
  local core
  core = fake.new(bind_answers(nil, {
    move_mount = function() return nil, "move_mount: Invalid argument", core.EINVAL end,
    statx = function(fd) return fd == TREE and { type = "file" } or directory() end,
  }))
  local err = raises(root_steps.bind, { src = "/srv", dst = "/mnt" }, state_for(core))
  lu.assertEquals(tostring(err), "mount destination /mnt: is a directory, the source a file")
end

-- tmpfs: made detached by fsopen/fsconfig/fsmount, nosuid and nodev, then attached.
local function tmpfs_answers(extra)
  local answers = { fsopen = FS, fsconfig = true, fsmount = TREE, close = true, openat2 = DST, move_mount = true }
  for k, v in pairs(extra or {}) do answers[k] = v end
  return answers
end

function TestRootSteps.test_a_tmpfs_is_world_writable_sticky_nosuid_nodev_with_its_size()
  local core, calls = fake.new(tmpfs_answers())
  root_steps.tmpfs({ dst = "/tmp", size = "64m" }, state_for(core))
  lu.assertEquals(calls, {
    { "fsopen", "tmpfs", core.FSOPEN_CLOEXEC },
    { "fsconfig", FS, core.FSCONFIG_SET_STRING, "mode", "1777" },
    { "fsconfig", FS, core.FSCONFIG_SET_STRING, "size", "64m" },
    { "fsconfig", FS, core.FSCONFIG_CMD_CREATE },
    { "fsmount", FS, core.FSMOUNT_CLOEXEC, core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV },
    { "close", FS },
    { "openat2", ROOT, "/tmp", core.O_PATH | core.O_CLOEXEC, 0, core.RESOLVE_IN_ROOT | core.RESOLVE_NO_MAGICLINKS },
    { "move_mount", TREE, "", DST, "", core.MOVE_MOUNT_F_EMPTY_PATH | core.MOVE_MOUNT_T_EMPTY_PATH },
    { "close", DST },
    { "close", TREE },
  })
end

function TestRootSteps.test_a_tmpfs_without_a_size_gets_the_kernels_default()
  local core, calls = fake.new(tmpfs_answers())
  root_steps.tmpfs({ dst = "/tmp" }, state_for(core))
  for _, call in ipairs(fake.calls_named(calls, "fsconfig")) do lu.assertNotEquals(call[4], "size") end
  lu.assertEquals(#fake.calls_named(calls, "fsconfig"), 2)
end

function TestRootSteps.test_a_size_the_kernel_refuses_is_named_with_its_value()
  local core, calls
  core, calls = fake.new(tmpfs_answers({ fsconfig = function(_, _, key)
    if key == "size" then return nil, "fsconfig: Invalid argument", core.EINVAL end
    return true
  end }))
  local err = raises(root_steps.tmpfs, { dst = "/tmp", size = "9z" }, state_for(core))
  lu.assertEquals(tostring(err), "tmpfs size=9z: Invalid argument")
  lu.assertEquals(calls[#calls], { "close", FS })
end

function TestRootSteps.test_a_tmpfs_destination_that_cannot_be_opened_is_named()
  local core
  local answers = tmpfs_answers({ openat2 = function(_, name) return enoent(core, name) end })
  answers.move_mount = nil
  core = fake.new(answers)
  local err = raises(root_steps.tmpfs, { dst = "/tmp" }, state_for(core))
  lu.assertEquals(tostring(err), "tmpfs destination /tmp: No such file or directory")
end

-- /proc goes only onto a real directory of the sandbox's: not through a symlink.
function TestRootSteps.test_proc_is_not_mounted_through_a_symlink()
  local core, calls
  core, calls = fake.new({ openat2 = function() return nil, "openat2 proc: Too many levels of symbolic links",
    core.ELOOP end })
  local err = raises(root_steps.mount_proc, { dst = "/proc", required = true }, state_for(core))
  lu.assertEquals(tostring(err), "/proc: is a symbolic link in the sandbox, refused")
  lu.assertEquals(calls[1][6], core.RESOLVE_IN_ROOT | core.RESOLVE_NO_MAGICLINKS | core.RESOLVE_NO_SYMLINKS)
end

function TestRootSteps.test_a_missing_proc_is_skipped_unless_asked_for()
  local core, calls
  core, calls = fake.new({ openat2 = function(_, name) return enoent(core, name) end })
  root_steps.mount_proc({ dst = "/proc", required = false }, state_for(core))
  lu.assertEquals(fake.names(calls), { "openat2" })
  local err = raises(root_steps.mount_proc, { dst = "/proc", required = true }, state_for(core))
  lu.assertEquals(tostring(err), "/proc: no such directory in the sandbox")
end

-- Into the root bound by bind_root, the host's root put on .hako, then detached.
function TestRootSteps.test_pivot_root_goes_into_the_bound_root_and_lets_go_of_its_fd()
  local core, calls = fake.new({ fchdir = true, pivot_root = true, close = true })
  local state = state_for(core)
  root_steps.pivot_root({ old = ".hako" }, state)
  lu.assertEquals(calls, { { "fchdir", ROOT }, { "pivot_root", ".", ".hako" }, { "close", ROOT } })
  lu.assertNil(state.root_fd)
end

-- Not through a symlink the tree's owner may have put in .hako's place (the umount fails).
function TestRootSteps.test_the_old_root_is_detached_without_following_a_link()
  local core, calls = fake.new({ umount2 = true })
  root_steps.detach_old_root({ path = "/.hako" }, state_for(core))
  lu.assertEquals(calls, { { "umount2", "/.hako", core.MNT_DETACH | core.UMOUNT_NOFOLLOW } })
end

function TestRootSteps.test_a_failed_detach_stops_the_sandbox()
  local core = fake.new({ umount2 = function() return nil, "umount2 /.hako: Invalid argument", 22 end })
  local err = raises(root_steps.detach_old_root, { path = "/.hako" }, state_for(core))
  lu.assertEquals(tostring(err), "umount2 /.hako: Invalid argument")
end

function TestRootSteps.test_the_hostname_is_the_policys()
  local core, calls = fake.new({ sethostname = true })
  root_steps.sethostname({}, state_for(core, { policy = { hostname = "box" } }))
  lu.assertEquals(calls, { { "sethostname", "box" } })
end

-- The loopback interface's other flags are kept; only IFF_UP is added.
function TestRootSteps.test_loopback_is_brought_up()
  local LOOPBACK = 8
  local core, calls = fake.new({ socket = 9, get_ifflags = LOOPBACK, set_ifflags = true, close = true })
  root_steps.loopback_up({}, state_for(core))
  lu.assertEquals(calls, {
    { "socket", core.AF_INET, core.SOCK_DGRAM | core.SOCK_CLOEXEC },
    { "get_ifflags", 9, "lo" },
    { "set_ifflags", 9, "lo", LOOPBACK | core.IFF_UP },
    { "close", 9 },
  })
end

-- --net PATH: the namespace open_netns opened on the host is joined, then its fd closed:
-- the sandbox's processes get no fd of the host's.
function TestRootSteps.test_join_netns_joins_then_closes_the_hosts_fd()
  local core, calls = fake.new({ setns = true, close = true })
  local state = state_for(core, { netns_fd = 12 })
  root_steps.join_netns({}, state)
  lu.assertEquals(calls, { { "setns", 12, core.CLONE_NEWNET }, { "close", 12 } })
  lu.assertNil(state.netns_fd)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
