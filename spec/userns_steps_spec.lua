-- userns_steps_spec: root's user namespace (hako.userns_steps, doc/THREATS.md 37) in the
-- plan and against a fake core: the slot of host ids taken by a lock, the idmapped trees
-- made on the host and handed over, the refusal where a tree cannot be idmapped. Pure.
local lu = require "luaunit"
local fake = require "support.fake_core"
local idmap = require "hako.idmap"
local plan = require "hako.plan"
local spec = require "hako.spec"
local userns_steps = require "hako.userns_steps"

local function steps_for(options)
  return plan.build(spec.build(options, { cwd = "/" }))
end

local function index_of(steps, op)
  for i, step in ipairs(steps) do
    if step.op == op then return i end
  end
end

local function find(steps, op)
  return steps[index_of(steps, op)]
end

TestUsernsSteps = {}

-- Root's default: a slot of host ids and the socket for the idmapped trees before the
-- clone; the maps first after it; the trees made once the sandbox is released, the root's
-- then the binds' in plan order, each taken by the step that attaches it.
function TestUsernsSteps.test_roots_sandbox_gets_ids_of_its_own_and_idmapped_mounts()
  local steps = steps_for({ root = "/sb", mounts = { "/a:/a:ro", { tmpfs = "/t" }, "/b:/b" }, read_only = true })
  lu.assertTrue(index_of(steps, "reserve_id_range") < index_of(steps, "clone"))
  lu.assertTrue(index_of(steps, "open_tree_channel") < index_of(steps, "clone"))
  lu.assertEquals(index_of(steps, "write_id_maps"), index_of(steps, "start_job") + 1)
  lu.assertEquals(index_of(steps, "hand_idmapped_trees"), index_of(steps, "release_sandbox") + 1)
  local hand = find(steps, "hand_idmapped_trees")
  lu.assertEquals(hand.root, { path = "/sb", read_only = true })
  lu.assertEquals(hand.binds, { { src = "/a", read_only = true, devices = false },
    { src = "/b", read_only = true, devices = false } })
  lu.assertTrue(find(steps, "bind_root").idmapped)
  for _, step in ipairs(steps) do
    if step.op == "bind" then
      lu.assertTrue(step.idmapped)
      lu.assertNil(step.any_link) -- hako-run opens the sources, as root
    end
  end
  lu.assertEquals(index_of(steps, "become_mapped_root"), index_of(steps, "await_release") + 1)
  steps = steps_for({ root = "/sb", mounts = { "/a:/a" }, userns = "host" })
  for _, op in ipairs({ "reserve_id_range", "open_tree_channel", "write_id_maps", "hand_idmapped_trees" }) do
    lu.assertNil(index_of(steps, op), op)
  end
  lu.assertNil(find(steps, "bind").idmapped)
end

-- --net PATH: hako-run clones the sandbox from inside that namespace (a process of the
-- sandbox's user namespace could not join it), so the sandbox has no join step.
function TestUsernsSteps.test_a_named_network_namespace_is_entered_around_the_clone()
  local steps = steps_for({ root = "/sb", net = "/run/netns/x" })
  lu.assertEquals(index_of(steps, "enter_netns"), index_of(steps, "clone") - 2)
  lu.assertEquals(index_of(steps, "leave_netns"), index_of(steps, "clone") + 1)
  lu.assertNil(index_of(steps, "join_netns"))
  steps = steps_for({ root = "/sb", net = "/run/netns/x", userns = "host" })
  lu.assertNil(index_of(steps, "enter_netns"))
  lu.assertNotNil(index_of(steps, "join_netns"))
end

-- The files of /run/hako/ranges: slot 0 is held by another hako-run (flock says EAGAIN),
-- slot 1 is free and taken; its ids are the pool's second slot, kept until hako-run ends.
local function ranges_core(taken)
  local answers = {
    open = function(path)
      if path == "/run/hako" then return 10 end
      return nil, "open " .. path .. ": No such file or directory", 2 -- no /etc/subuid: the default pool
    end,
    statx = { type = "directory", uid = 0, mode = tonumber("700", 8) },
    mkdirat = function() return nil, "mkdirat ranges: File exists", 17 end,
    openat2 = function(_, name)
      if name == "ranges" then return 11 end
      return 20 + tonumber(name)
    end,
    flock = function(fd)
      if fd - 20 < taken then return nil, "flock: Resource temporarily unavailable", 11 end
      return true
    end,
  }
  fake.allow(answers, { "close" })
  return fake.new(answers)
end

function TestUsernsSteps.test_the_first_free_slot_is_taken_and_held()
  local core, calls = ranges_core(1)
  local state = { core = core, cleanups = {} }
  userns_steps.reserve_id_range({}, state)
  lu.assertEquals(state.id_range, { slot = 1, uid = idmap.DEFAULT_RANGE_START + 65536,
    gid = idmap.DEFAULT_RANGE_START + 65536, count = 65536 })
  lu.assertEquals(state.range_lock, 21)
  for _, call in ipairs(fake.calls_named(calls, "close")) do lu.assertNotEquals(call[2], 21) end
  lu.assertEquals(fake.calls_named(calls, "flock")[2], { "flock", 21, core.LOCK_EX | core.LOCK_NB })
  state.cleanups[1]()
  lu.assertEquals(calls[#calls], { "close", 21 })
end

function TestUsernsSteps.test_every_slot_taken_is_a_clean_failure()
  local core = ranges_core(idmap.DEFAULT_SLOTS)
  local ok, err = pcall(userns_steps.reserve_id_range, {}, { core = core, cleanups = {} })
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "id ranges: all 4096 slots of 65536 ids are taken by running sandboxes")
end

-- A tree that cannot be idmapped: the line says which, why, and what to do instead.
local function refused(errno, message)
  local answers = { open = 30, open_tree = 31, mount_setattr = function() return nil, message, errno end }
  fake.allow(answers, { "close" })
  local core, calls = fake.new(answers)
  local state = { core = core, child = 4242, trees_r = 5, trees_w = 6, target_fd = 7 }
  local ok, err = pcall(userns_steps.hand_idmapped_trees, { root = { path = "/sb" }, binds = {} }, state)
  lu.assertFalse(ok)
  local setattr = fake.calls_named(calls, "mount_setattr")[1]
  lu.assertEquals({ setattr[2], setattr[5] & core.MOUNT_ATTR_IDMAP, setattr[7], setattr[8] },
    { 31, core.MOUNT_ATTR_IDMAP, core.MS_PRIVATE, 30 })
  lu.assertNil(state.trees_w)
  return tostring(err)
end

function TestUsernsSteps.test_a_tree_that_cannot_be_idmapped_is_refused_in_one_line()
  lu.assertEquals(refused(22, "mount_setattr : Invalid argument"), "target /sb: its file system, or one mounted"
    .. " beneath it, does not support idmapped mounts; --userns host runs the sandbox without a user namespace")
  lu.assertEquals(refused(38, "mount_setattr : Function not implemented"), "target /sb: this kernel has no"
    .. " idmapped mounts (Linux 5.12 and later have them); --userns host runs the sandbox without a user namespace")
end

-- User namespaces off: root is told which setting, and of the old mode it may choose.
function TestUsernsSteps.test_user_namespaces_off_is_refused_with_the_old_mode_named()
  local answers = { open = 40, read = fake.sequence({ "0\n" }), geteuid = 0 }
  fake.allow(answers, { "close" })
  local ok, err = pcall(require("hako.start_steps").explain_userns_failure, fake.new(answers), 28)
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "clone: user namespaces are not available: sysctl user.max_user_namespaces is 0;"
    .. " --userns host runs the sandbox without one")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
