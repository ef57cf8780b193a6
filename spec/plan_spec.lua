-- plan_spec: spec -> ordered steps (hako.plan), no root needed.
local lu = require "luaunit"
local plan = require "hako.plan"
local spec = require "hako.spec"

local function steps_for(options)
  return plan.build(spec.build(options, { cwd = "/" }))
end

local function index_of(steps, op, side)
  for i, step in ipairs(steps) do
    if step.op == op and (side == nil or step.side == side) then return i end
  end
end

local function find(steps, op)
  return steps[index_of(steps, op)]
end

TestPlan = {}

function TestPlan.test_every_step_has_an_op_and_a_side()
  for _, step in ipairs(steps_for({ root = "/sb" })) do
    lu.assertIsString(step.op)
    lu.assertTrue(step.side == "host" or step.side == "sandbox")
  end
end

function TestPlan.test_host_checks_come_before_the_clone()
  local steps = steps_for({ root = "/sb" })
  lu.assertEquals(find(steps, "check_target").path, "/sb")
  lu.assertEquals(find(steps, "check_old_root").path, "/sb/.hako")
  lu.assertTrue(index_of(steps, "check_old_root") < index_of(steps, "clone"))
end

function TestPlan.test_signals_are_blocked_before_the_clone()
  local steps = steps_for({ root = "/sb" })
  lu.assertTrue(index_of(steps, "block_signals") < index_of(steps, "clone"))
  lu.assertItemsEquals(find(steps, "block_signals").signals,
    { "SIGCHLD", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH" })
end

function TestPlan.test_clone_makes_the_namespaces()
  lu.assertEquals(find(steps_for({ root = "/sb" }), "clone").flags,
    { "CLONE_NEWNS", "CLONE_NEWPID", "CLONE_NEWIPC", "CLONE_NEWUTS", "CLONE_NEWNET" })
end

function TestPlan.test_sandbox_order()
  local ops = {}
  for _, step in ipairs(steps_for({ root = "/sb" })) do
    if step.side == "sandbox" then ops[#ops + 1] = step.op end
  end
  lu.assertEquals(ops, { "die_with_parent", "make_private", "bind_root", "protect_root",
    "mount_proc", "protect_proc", "mount_dev", "pivot_root", "detach_old_root", "sethostname",
    "loopback_up", "drop_privileges", "new_session_keyring", "close_inherited_fds", "filter_syscalls",
    "die_with_parent", "chdir", "restore_signals", "exec" })
end

local function ops_of(steps, side)
  local ops = {}
  for _, step in ipairs(steps) do
    if step.side == side then ops[#ops + 1] = step.op end
  end
  return ops
end

function TestPlan.test_mounts_in_the_order_given_between_dev_and_pivot()
  local steps = steps_for({ root = "/sb", read_only = true, mounts = {
    "/a:/a", { tmpfs = "/tmp:1m" }, "/b:/b:rw", "/c:/c:ro", { dev_bind = "/dev/kvm:/dev/kvm" } } })
  local binds = {}
  for _, step in ipairs(steps) do
    if step.op == "bind" or step.op == "tmpfs" then binds[#binds + 1] = step end
  end
  lu.assertEquals(#binds, 5)
  lu.assertEquals({ binds[1].op, binds[1].src, binds[1].read_only }, { "bind", "/a", true })
  lu.assertEquals({ binds[2].op, binds[2].dst, binds[2].size }, { "tmpfs", "/tmp", "1m" })
  lu.assertEquals({ binds[3].src, binds[3].read_only }, { "/b", false })
  lu.assertEquals({ binds[4].src, binds[4].read_only }, { "/c", true })
  lu.assertTrue(binds[5].devices)
  lu.assertTrue(index_of(steps, "mount_dev") < index_of(steps, "bind"))
  lu.assertTrue(index_of(steps, "tmpfs") < index_of(steps, "pivot_root"))
  lu.assertTrue(find(steps, "protect_root").read_only)
end

function TestPlan.test_binds_are_read_write_unless_asked()
  local bind = find(steps_for({ root = "/sb", mounts = { "/a:/a" } }), "bind")
  lu.assertFalse(bind.read_only)
  lu.assertFalse(bind.devices)
end

function TestPlan.test_proc_and_dev_switches()
  local steps = steps_for({ root = "/sb", proc = false, dev = true })
  lu.assertNil(index_of(steps, "mount_proc"))
  lu.assertTrue(find(steps, "mount_dev").required)
  lu.assertFalse(find(steps_for({ root = "/sb" }), "mount_proc").required)
end

function TestPlan.test_network_steps()
  lu.assertNil(index_of(steps_for({ root = "/sb", net = "host" }), "loopback_up"))
  local steps = steps_for({ root = "/sb", net = "/run/netns/x" })
  lu.assertEquals(find(steps, "open_netns").path, "/run/netns/x")
  lu.assertTrue(index_of(steps, "open_netns") < index_of(steps, "clone"))
  lu.assertTrue(index_of(steps, "join_netns") < index_of(steps, "make_private"))
  lu.assertNil(index_of(steps, "loopback_up"))
end

function TestPlan.test_identity_is_resolved_on_the_host_before_the_clone()
  lu.assertNil(index_of(steps_for({ root = "/sb" }), "resolve_identity"))
  local steps = steps_for({ root = "/sb", user = "alice", group = "wheel", cap_add = { "net_raw" } })
  local resolve = find(steps, "resolve_identity")
  lu.assertEquals({ resolve.root, resolve.user, resolve.group }, { "/sb", "alice", "wheel" })
  lu.assertTrue(index_of(steps, "resolve_identity") < index_of(steps, "clone"))
  lu.assertEquals(find(steps, "drop_privileges").keep_caps, { 13 })
end

function TestPlan.test_privileges_are_dropped_after_the_mounts_and_before_exec()
  local ops = ops_of(steps_for({ root = "/sb", chdir = "/tmp" }), "sandbox")
  local function at(op)
    for i, o in ipairs(ops) do if o == op then return i end end
  end
  lu.assertTrue(at("detach_old_root") < at("drop_privileges"))
  -- keyring, fds and seccomp after the credentials (seccomp needs no_new_privs), then
  -- the parent-death signal again, which the credential change cleared
  lu.assertEquals({ table.unpack(ops, at("drop_privileges"), at("drop_privileges") + 4) },
    { "drop_privileges", "new_session_keyring", "close_inherited_fds", "filter_syscalls", "die_with_parent" })
  lu.assertTrue(at("drop_privileges") < at("chdir"))
end

function TestPlan.test_pid_file_is_prepared_before_and_written_after_the_sandbox_is_up()
  local steps = steps_for({ root = "/sb", pid_file = "/run/sb.pid" })
  lu.assertTrue(index_of(steps, "prepare_pid_file") < index_of(steps, "clone"))
  lu.assertTrue(index_of(steps, "await_sandbox") < index_of(steps, "write_pid_file"))
  lu.assertTrue(index_of(steps, "write_pid_file") < index_of(steps, "supervise"))
  lu.assertEquals(find(steps, "write_pid_file").path, "/run/sb.pid")
end

function TestPlan.test_pivot_root_uses_hako_as_the_old_root()
  local steps = steps_for({ root = "/sb" })
  lu.assertEquals(find(steps, "bind_root").path, "/sb")
  lu.assertEquals(find(steps, "pivot_root").old, ".hako")
  lu.assertEquals(find(steps, "detach_old_root").path, "/.hako")
end

function TestPlan.test_exec_gets_command_environment_and_path()
  local exec = find(steps_for({ root = "/sb", command = { "ls", "-l" } }), "exec")
  lu.assertEquals(exec.argv, { "ls", "-l" })
  lu.assertEquals(exec.search_path, spec.DEFAULT_PATH)
  lu.assertEquals(exec.env[1], "PATH=" .. spec.DEFAULT_PATH)
end

function TestPlan.test_host_waits_for_the_sandbox_then_supervises()
  local steps = steps_for({ root = "/sb" })
  lu.assertTrue(index_of(steps, "await_sandbox") < index_of(steps, "supervise"))
  lu.assertEquals(steps[#steps].op, "supervise")
end

function TestPlan.test_describe_shows_one_line_per_step()
  local steps = steps_for({ root = "/my sb", hostname = "box" })
  local text = plan.describe(steps)
  local _, lines = text:gsub("\n", "")
  lu.assertEquals(lines, #steps)
  lu.assertStrContains(text, 'check_target     path="/my sb"')
  lu.assertStrContains(text, "sethostname      name=box")
end

function TestPlan.test_kernel_files_in_proc_are_protected_right_after_it_is_mounted()
  local ops = ops_of(steps_for({ root = "/sb" }), "sandbox")
  local proc
  for i, op in ipairs(ops) do if op == "mount_proc" then proc = i end end
  lu.assertEquals(ops[proc + 1], "protect_proc")
  local step = find(steps_for({ root = "/sb" }), "protect_proc")
  lu.assertItemsEquals(step.read_only, { "bus", "fs", "irq", "sys", "sysrq-trigger" })
  lu.assertTrue(#step.masked > 0)
  lu.assertNil(index_of(steps_for({ root = "/sb", proc = false }), "protect_proc"))
end

function TestPlan.test_sys_only_when_asked()
  lu.assertNil(index_of(steps_for({ root = "/sb" }), "mount_sys"))
  local steps = steps_for({ root = "/sb", sys = true })
  lu.assertEquals(find(steps, "mount_sys").dst, "/sys")
  lu.assertTrue(find(steps, "mount_sys").required)
  lu.assertTrue(index_of(steps, "mount_sys") < index_of(steps, "pivot_root"))
end

function TestPlan.test_fds_keyring_and_seccomp()
  local steps = steps_for({ root = "/sb", keep_fds = { "9", "7" } })
  lu.assertEquals(find(steps, "close_inherited_fds").keep, { 7, 9 })
  lu.assertEquals(find(steps, "filter_syscalls").deny_ioctls, { "TIOCSTI", "TIOCLINUX" })
  lu.assertEquals(find(steps, "new_session_keyring").side, "sandbox")
  lu.assertTrue(index_of(steps, "filter_syscalls") < index_of(steps, "exec"))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
