-- join_steps_spec: hako-enter's way in (hako.join_steps) against a fake hako.core, no
-- root needed.
local lu = require "luaunit"
local join_steps = require "hako.join_steps"
local fake = require "support.fake_core"
local failure = require "hako.failure"

local PIDFD = 7

local function ns(ino) return { dev = "0:4", ino = ino } end

local RECORD = { pid = 42, ns = { mnt = ns(100), pid = ns(101), user = ns(1) } }

-- statx answers: our own user namespace is the record's; ns fds stat as the record says.
local function statx(fd, path)
  local ino = ({ ["/proc/self/ns/user"] = 1 })[path] or ({ [20] = 101, [21] = 100 })[fd]
  return { type = "file", dev_major = 0, dev_minor = 4, ino = ino }
end

local function state_for(core)
  return { core = core, pid = 42, pidfd = PIDFD, record = RECORD, cleanups = {} }
end

TestJoinSteps = {}

-- hako-enter run by the sandbox's owner, not root: it compares every namespace with its own.
local USER = 1000

function TestJoinSteps.test_join_is_one_setns_on_the_pidfd_without_our_own_user_namespace()
  local core, calls = fake.new({ statx = statx, geteuid = USER, setns = true })
  join_steps.join({}, state_for(core))
  lu.assertEquals(fake.calls_named(calls, "setns"),
    { { "setns", PIDFD, core.CLONE_NEWPID | core.CLONE_NEWNS } })
end

function TestJoinSteps.test_join_without_pidfd_support_opens_and_checks_all_then_joins_mount_last()
  local core, calls
  core, calls = fake.new({
    statx = statx,
    geteuid = USER,
    setns = fake.sequence({ nil, "setns: Invalid argument", 22, n = 3 }, { true }, { true }),
    open = fake.sequence({ 20 }, { 21 }),
    close = true,
  })
  join_steps.join({}, state_for(core))
  lu.assertEquals(fake.calls_named(calls, "open"), {
    { "open", "/proc/42/ns/pid", core.O_RDONLY | core.O_CLOEXEC },
    { "open", "/proc/42/ns/mnt", core.O_RDONLY | core.O_CLOEXEC } })
  local setns = fake.calls_named(calls, "setns")
  lu.assertEquals({ setns[2], setns[3] },
    { { "setns", 20, core.CLONE_NEWPID }, { "setns", 21, core.CLONE_NEWNS } })
end

function TestJoinSteps.test_join_refuses_a_namespace_that_changed_since_the_check()
  local core, calls = fake.new({
    statx = function(fd, path) if fd == 21 then return statx(0, "x") end return statx(fd, path) end,
    geteuid = USER,
    setns = fake.sequence({ nil, "setns: Invalid argument", 22, n = 3 }),
    open = fake.sequence({ 20 }, { 21 }),
    close = true,
  })
  local ok, err = pcall(join_steps.join, {}, state_for(core))
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err))
  lu.assertEquals(tostring(err), "join the namespaces of 42: mnt namespace changed")
  lu.assertEquals(#fake.calls_named(calls, "setns"), 1)
end

function TestJoinSteps.test_root_drops_its_groups_before_joining()
  local core, calls = fake.new({ geteuid = 0, setgroups = true })
  local state = state_for(core)
  state.policy = { setgroups = false }
  join_steps.drop_groups({}, state)
  lu.assertEquals(fake.calls_named(calls, "setgroups"), { { "setgroups", {} } })
  -- A user has no groups to drop and cannot: nothing is tried.
  core, calls = fake.new({ geteuid = USER })
  state = state_for(core)
  state.policy = { setgroups = false }
  join_steps.drop_groups({}, state)
  lu.assertEquals(fake.calls_named(calls, "setgroups"), {})
end

function TestJoinSteps.test_groups_that_cannot_be_dropped_stop_hako_enter_unless_the_policy_sets_them()
  local core = fake.new({ geteuid = 0,
    setgroups = function() return nil, "setgroups: Operation not permitted", 1 end })
  local state = state_for(core)
  state.policy = { setgroups = true }
  join_steps.drop_groups({}, state)
  state.policy = { setgroups = false }
  local ok, err = pcall(join_steps.drop_groups, {}, state)
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "drop the caller's groups: Operation not permitted")
end

-- Root looking up pid 42, whose /proc entry belongs to uid 1000: the record is in
-- /run/user/1000/hako (fd 10; the record is fd 11, reopened as 12), and the process's
-- user namespace (fd 13) is the recorded one, made by owner_uid.
local function foreign_record_core(owner_uid)
  local core
  local text = require("hako.record").format({ pid = 42, start_time = 1, ns = { user = ns(2) }, owner = 1000,
    policy = require("hako.policy").from_spec({ env = {}, hostname = "h" }) })
  core = fake.new({
    geteuid = 0,
    open = function(path)
      local fd = ({ ["/run/user/1000/hako"] = 10, ["/proc/self/fd/11"] = 12, ["/proc/42/ns/user"] = 13 })[path]
      if fd then return fd end
      return nil, "open " .. path .. ": No such file or directory", core.ENOENT
    end,
    openat2 = 11,
    statx = function(fd, path)
      if path == "/proc/42" then return { uid = 1000 } end
      if fd == 10 then return { type = "directory", uid = 1000, mode = 448 } end
      if fd == 11 then return { type = "file", uid = 1000 } end
      local ino = ({ ["/proc/self/ns/user"] = 1 })[path] or ({ [13] = 2 })[fd]
      return { type = "file", dev_major = 0, dev_minor = 4, ino = ino }
    end,
    read = fake.sequence({ text }, { "" }),
    ns_get_owner_uid = owner_uid,
    close = true,
  })
  return core
end

function TestJoinSteps.test_root_follows_a_users_record_into_a_user_namespace_of_that_user()
  local state = state_for(foreign_record_core(1000))
  join_steps.find_record({ pid = 42, directories = { "/run/hako" } }, state)
  lu.assertEquals(state.record.ns.user, ns(2))
end

-- Not into one root made (and mapped to the user): there root keeps all its rights.
function TestJoinSteps.test_root_refuses_a_users_record_for_a_namespace_the_user_did_not_make()
  local state = state_for(foreign_record_core(0))
  local ok, err = pcall(join_steps.find_record, { pid = 42, directories = { "/run/hako" } }, state)
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "42: not a hako sandbox (record 42: of uid 1000 for a process outside"
    .. " any user namespace of its own)")
end

-- A record says who wrote it; in a user's directory that must be the user: one "by root"
-- there would make root's hako stop trust a process of the user's choosing as root's.
function TestJoinSteps.test_a_record_by_another_than_its_directorys_owner_is_refused()
  local core = fake.new({})
  for _, writer in ipairs({ 0, 1001 }) do
    local rec, message = join_steps.trusted(core, { owner = writer }, 42, 1000, 0)
    lu.assertNil(rec)
    lu.assertEquals(message, "record 42: written by uid " .. writer)
  end
  lu.assertNotNil((join_steps.trusted(core, { owner = 0 }, 42, 0, 0)))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
