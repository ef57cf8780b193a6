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

-- The policy the command is confined by (hako.policy), as the plan gives it.
local function policy_of(steps)
  return find(steps, "resolve_policy").policy
end

-- hako.plan.confine's steps, which both commands end with.
local CONFINEMENT = { "build_landlock", "set_rlimits", "limit_capabilities", "set_ids", "set_capabilities",
  "set_no_new_privs",
  "set_dumpable", "new_session_keyring", "filter_syscalls", "chdir", "restrict_landlock" }

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
    { "SIGCHLD", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH",
      "SIGCONT", "SIGIO", "SIGTTOU" })
end

function TestPlan.test_clone_makes_the_namespaces()
  lu.assertEquals(find(steps_for({ root = "/sb" }), "clone").flags,
    { "CLONE_NEWUSER", "CLONE_NEWNS", "CLONE_NEWPID", "CLONE_NEWIPC", "CLONE_NEWUTS", "CLONE_NEWNET" })
  lu.assertEquals(find(steps_for({ root = "/sb", userns = "host" }), "clone").flags,
    { "CLONE_NEWNS", "CLONE_NEWPID", "CLONE_NEWIPC", "CLONE_NEWUTS", "CLONE_NEWNET" })
end

function TestPlan.test_sandbox_order()
  local ops = {}
  for _, step in ipairs(steps_for({ root = "/sb", command = { "sh" }, userns = "host" })) do
    if step.side == "sandbox" then ops[#ops + 1] = step.op end
  end
  lu.assertEquals(ops, { "close_host_fds", "new_process_group", "die_with_parent", "await_release",
    "set_dumpable", "make_private", "bind_root", "protect_root",
    "mount_proc", "protect_proc", "mount_dev", "pivot_root", "detach_old_root", "sethostname",
    "loopback_up", "build_landlock", "set_rlimits", "limit_capabilities", "set_ids", "set_capabilities",
    "set_no_new_privs",
    "set_dumpable",
    "new_session_keyring", "filter_syscalls", "chdir", "restrict_landlock", "die_with_parent", "init" })
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
  -- The old mode's way: the sandbox joins (root's own user namespace: userns_steps_spec).
  local steps = steps_for({ root = "/sb", net = "/run/netns/x", userns = "host" })
  lu.assertEquals(find(steps, "open_netns").path, "/run/netns/x")
  lu.assertTrue(index_of(steps, "open_netns") < index_of(steps, "clone"))
  lu.assertTrue(index_of(steps, "join_netns") < index_of(steps, "make_private"))
  lu.assertNil(index_of(steps, "loopback_up"))
end

function TestPlan.test_the_policy_is_resolved_on_the_host_before_the_clone()
  local resolve = find(steps_for({ root = "/sb" }), "resolve_policy")
  lu.assertEquals({ resolve.user, resolve.group }, { nil, nil })
  local steps = steps_for({ root = "/sb", user = "alice", group = "wheel", cap_add = { "net_raw" } })
  resolve = find(steps, "resolve_policy")
  lu.assertEquals({ resolve.user, resolve.group }, { "alice", "wheel" })
  lu.assertTrue(index_of(steps, "resolve_policy") < index_of(steps, "clone"))
  lu.assertEquals(policy_of(steps).caps, { 13 })
end

function TestPlan.test_privileges_are_dropped_after_the_mounts_and_before_exec()
  local ops = ops_of(steps_for({ root = "/sb", chdir = "/tmp", command = { "sh" } }), "sandbox")
  local function at(op)
    for i, o in ipairs(ops) do if o == op then return i end end
  end
  lu.assertTrue(at("detach_old_root") < at("build_landlock"))
  -- ids, capabilities, no_new_privs, keyring and seccomp (which needs no_new_privs), the
  -- working directory as the command's user, then the parent-death signal again, which
  -- the credential change cleared
  local want = { table.unpack(CONFINEMENT) }
  want[#want + 1] = "die_with_parent"
  want[#want + 1] = "init"
  lu.assertEquals({ table.unpack(ops, at("build_landlock")) }, want)
end

function TestPlan.test_rootless_steps()
  local steps = plan.build(spec.build({ root = "/sb" }, { cwd = "/", uid = 1000, gid = 100 }))
  lu.assertEquals(find(steps, "clone").flags[1], "CLONE_NEWUSER")
  lu.assertEquals(index_of(steps, "write_id_maps"), index_of(steps, "start_job") + 1)
  local maps = find(steps, "write_id_maps")
  lu.assertEquals({ maps.uid, maps.gid, maps.map_users }, { 1000, 100, false })
  -- The sandbox waits for the maps (and its identification) before its first privileged step.
  lu.assertEquals(index_of(steps, "identify_sandbox"), index_of(steps, "write_id_maps") + 1)
  lu.assertEquals(index_of(steps, "release_sandbox"), index_of(steps, "identify_sandbox") + 1)
  lu.assertEquals(index_of(steps, "await_release"), index_of(steps, "make_private") - 2)
  lu.assertTrue(find(steps, "mount_dev").bind_devices)
  lu.assertFalse(policy_of(steps).setgroups)
  steps = plan.build(spec.build({ root = "/sb", map_groups = "auto" }, { cwd = "/", uid = 1000, gid = 100 }))
  lu.assertTrue(policy_of(steps).setgroups)
  steps = steps_for({ root = "/sb", userns = "host" })
  lu.assertNil(index_of(steps, "write_id_maps"))
  lu.assertTrue(policy_of(steps).setgroups)
  lu.assertFalse(find(steps, "mount_dev").bind_devices)
end

function TestPlan.test_pid_file_is_prepared_before_and_written_after_the_sandbox_is_up()
  local steps = steps_for({ root = "/sb", pid_file = "/run/sb.pid" })
  lu.assertTrue(index_of(steps, "prepare_pid_file") < index_of(steps, "clone"))
  lu.assertTrue(index_of(steps, "await_sandbox") < index_of(steps, "write_pid_file"))
  lu.assertTrue(index_of(steps, "write_pid_file") < index_of(steps, "supervise"))
  lu.assertEquals(find(steps, "write_pid_file").path, "/run/sb.pid")
end

function TestPlan.test_as_pid_1_execs_the_command_itself()
  local ops = {}
  for _, step in ipairs(steps_for({ root = "/sb", command = { "sh" }, as_pid_1 = true })) do
    if step.side == "sandbox" then ops[#ops + 1] = step.op end
  end
  lu.assertEquals({ table.unpack(ops, #ops - 3) },
    { "restrict_landlock", "die_with_parent", "restore_signals", "exec" })
end

function TestPlan.test_the_default_init_is_pid_1_itself()
  local steps = steps_for({ root = "/sb" })
  lu.assertEquals(steps[index_of(steps, "exec")].argv, { "/sbin/init" })
  lu.assertNil(index_of(steps, "init"))
  lu.assertNil(index_of(steps, "open_result_pipe"))
end

function TestPlan.test_init_carries_the_command_and_the_signals_it_forwards()
  local steps = steps_for({ root = "/sb", command = { "ls", "-l" } })
  local init = find(steps, "init")
  lu.assertEquals(init.argv, { "ls", "-l" })
  lu.assertEquals(policy_of(steps).env[1], "PATH=" .. spec.DEFAULT_PATH)
  lu.assertItemsEquals(init.forward, { "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1",
    "SIGUSR2", "SIGWINCH", "SIGCONT" })
  lu.assertNil(index_of(steps, "exec"))
  -- The init reports how the command ended through a pipe made before the clone.
  lu.assertTrue(index_of(steps, "open_result_pipe") < index_of(steps, "clone"))
end

-- Credential changes clear the parent-death signal: it is armed again after the last of
-- them, before the init forks or the command is exec'd.
function TestPlan.test_die_with_parent_is_armed_first_and_again_after_the_credentials()
  for _, options in ipairs({ { root = "/sb", command = { "sh" } }, { root = "/sb" } }) do
    local ops = {}
    for _, step in ipairs(steps_for(options)) do
      if step.side == "sandbox" then ops[#ops + 1] = step.op end
    end
    -- Before it: only what keeps the sandbox from reaching this process and the host.
    lu.assertEquals({ table.unpack(ops, 1, 3) }, { "close_host_fds", "new_process_group", "die_with_parent" })
    local dropped, armed
    for i, op in ipairs(ops) do
      if op == "set_ids" then dropped = i end
      if op == "die_with_parent" then armed = i end
    end
    lu.assertTrue(armed > dropped)
    -- Nothing after it changes credentials, and the command follows soon after.
    lu.assertTrue(#ops - armed <= 3)
  end
end

function TestPlan.test_json_status_fd_steps()
  local steps = steps_for({ root = "/sb", command = { "sh" }, json_status_fd = "7", userns = "host" })
  lu.assertEquals(find(steps, "check_status_fd").fd, 7)
  -- The first step: before hako opens an fd that a closed number could turn out to be.
  lu.assertEquals(steps[1].op, "check_status_fd")
  -- The sandbox is identified right after the clone, and waits for that.
  lu.assertEquals(index_of(steps, "identify_sandbox"), index_of(steps, "start_job") + 1)
  lu.assertEquals(index_of(steps, "release_sandbox"), index_of(steps, "identify_sandbox") + 1)
  lu.assertEquals(find(steps, "report_up").namespaces, { "mnt", "pid", "ipc", "uts", "net" })
  lu.assertEquals(index_of(steps, "await_release"), index_of(steps, "die_with_parent") + 1)
  lu.assertEquals(find(steps, "report_up").fd, 7)
  lu.assertTrue(index_of(steps, "await_sandbox") < index_of(steps, "report_up"))
  lu.assertEquals(steps[#steps - 1].op, "supervise")
  lu.assertEquals(steps[#steps], { op = "report_end", side = "host", fd = 7 })
end

-- The sandbox does not keep the supervisor's fd, not even when --keep-fd names it; one of
-- 0-2 is the command's own anyway.
function TestPlan.test_the_status_fd_is_not_the_commands()
  local steps = steps_for({ root = "/sb", command = { "sh" }, json_status_fd = 7, keep_fds = { 7, 9 } })
  lu.assertEquals(policy_of(steps).keep_fds, { 9 })
  steps = steps_for({ root = "/sb", command = { "sh" }, json_status_fd = 1 })
  lu.assertEquals(find(steps, "report_up").fd, 1)
end

function TestPlan.test_without_json_status_fd_no_status_steps()
  local steps = steps_for({ root = "/sb", command = { "sh" } })
  for _, op in ipairs({ "check_status_fd", "report_up", "report_end" }) do
    lu.assertNil(index_of(steps, op), op)
  end
end

-- The sandbox becomes non-dumpable only once the host has identified it for the record:
-- after that, a hako-run without CAP_SYS_PTRACE could not read its namespaces. With no
-- record, no status report and no user namespace, nothing needs holding it.
function TestPlan.test_the_sandbox_is_held_until_identified_for_the_record()
  local steps = steps_for({ root = "/sb", command = { "sh" } })
  lu.assertTrue(index_of(steps, "identify_sandbox") < index_of(steps, "release_sandbox"))
  lu.assertTrue(index_of(steps, "await_release") < index_of(steps, "set_dumpable"))
  local s = spec.build({ root = "/sb", command = { "sh" }, userns = "host" }, { cwd = "/" })
  s.record_dir = nil
  lu.assertNil(index_of(plan.build(s), "await_release"))
end

-- Rootless, the init starts itself again inside the user namespace before it becomes
-- non-dumpable (hako.resume); every set_dumpable makes it non-dumpable.
function TestPlan.test_a_rootless_init_starts_itself_again_inside_then_is_not_dumpable()
  local rootless = { cwd = "/", uid = 1000, gid = 100 }
  local steps = plan.build(spec.build({ root = "/sb", command = { "sh" } }, rootless))
  local again = index_of(steps, "reexec_in_userns")
  lu.assertEquals(steps[again - 1].op, "await_release")
  lu.assertEquals(steps[again + 1].op, "set_dumpable")
  for _, step in ipairs(steps) do
    if step.op == "set_dumpable" then lu.assertFalse(step.dumpable) end
  end
  -- Not as root, nor for --as-pid-1, whose command's own exec does the same.
  lu.assertNil(index_of(steps_for({ root = "/sb", command = { "sh" } }), "reexec_in_userns"))
  lu.assertNil(index_of(plan.build(spec.build({ root = "/sb", command = { "sh" }, as_pid_1 = true }, rootless)),
    "reexec_in_userns"))
end

function TestPlan.test_timeout_goes_to_supervise()
  local supervise = find(steps_for({ root = "/sb", timeout = "2.5" }), "supervise")
  lu.assertEquals(supervise.timeout, 2.5)
  lu.assertEquals(supervise.grace, spec.DEFAULT_TIMEOUT_GRACE)
  supervise = find(steps_for({ root = "/sb", timeout = 1, timeout_grace = 0.5 }), "supervise")
  lu.assertEquals(supervise.grace, 0.5)
  supervise = find(steps_for({ root = "/sb" }), "supervise")
  lu.assertNil(supervise.timeout)
  lu.assertNil(supervise.grace)
end

function TestPlan.test_pivot_root_uses_hako_as_the_old_root()
  local steps = steps_for({ root = "/sb" })
  lu.assertEquals(find(steps, "bind_root").path, "/sb")
  lu.assertEquals(find(steps, "pivot_root").old, ".hako")
  lu.assertEquals(find(steps, "detach_old_root").path, "/.hako")
end

function TestPlan.test_exec_gets_the_command_the_policy_the_environment()
  local steps = steps_for({ root = "/sb", command = { "ls", "-l" }, as_pid_1 = true, env = { "PATH=/x" } })
  lu.assertEquals(find(steps, "exec").argv, { "ls", "-l" })
  lu.assertEquals(policy_of(steps).env[1], "PATH=/x")
end

function TestPlan.test_host_waits_for_the_sandbox_then_supervises()
  local steps = steps_for({ root = "/sb" })
  lu.assertTrue(index_of(steps, "await_sandbox") < index_of(steps, "supervise"))
  lu.assertEquals(steps[#steps].op, "supervise")
end

-- Written aside while the sandbox sets itself up, published once it is up, first of all.
function TestPlan.test_the_record_is_identified_at_the_clone_and_published_once_up()
  local steps = steps_for({ root = "/sb", hostname = "box", userns = "host" })
  lu.assertEquals(index_of(steps, "identify_sandbox"), index_of(steps, "start_job") + 1)
  local host_ops = {}
  for _, step in ipairs(steps) do host_ops[#host_ops + 1] = step.side == "host" and step.op or nil end
  lu.assertEquals(table.concat(host_ops, " "):match("leave_target (%S+ %S+)"), "write_record await_sandbox")
  lu.assertEquals(index_of(steps, "publish_record"), index_of(steps, "await_sandbox") + 1)
  -- Its directory is checked before the sandbox exists: a bad one leaves nothing behind.
  lu.assertEquals(find(steps, "open_record_directory").dir, "/run/hako")
  lu.assertTrue(index_of(steps, "open_record_directory") < index_of(steps, "clone"))
  lu.assertEquals(find(steps, "write_record").root, "/sb")
  -- --name is held from the records' directory on; the record keeps it and the command.
  steps = steps_for({ root = "/sb", name = "web", command = { "ls", "-l" } })
  lu.assertEquals(find(steps, "open_record_directory").name, "web")
  lu.assertEquals(find(steps, "write_record").name, "web")
  lu.assertEquals(find(steps, "write_record").command, { "ls", "-l" })
  lu.assertNil(find(steps, "write_record").defer) -- with limits, it waits for the cgroup namespace:
  lu.assertTrue(find(steps_for({ root = "/sb", pids = "10" }), "write_record").defer)
end

function TestPlan.test_describe_shows_one_line_per_step()
  local steps = steps_for({ root = "/my sb", hostname = "box" })
  local text = plan.describe(steps)
  local _, lines = text:gsub("\n", "")
  lu.assertEquals(lines, #steps)
  lu.assertStrContains(text, 'check_target     path="/my sb"')
  lu.assertStrContains(text, "hostname=box")
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

-- --noexec-writable: every writable mount is noexec, which stops mmap for execution too.
function TestPlan.test_noexec_writable_makes_the_writable_mounts_noexec()
  local steps = steps_for({ root = "/sb", read_only = true, noexec_writable = true,
    mounts = { "/a:/rw:rw", "/b:/ro", { tmpfs = "/t" } } })
  local noexec = {}
  for _, step in ipairs(steps) do
    if step.op == "bind" or step.op == "tmpfs" then noexec[step.dst] = step.noexec or false end
  end
  lu.assertEquals(noexec, { ["/rw"] = true, ["/ro"] = false, ["/t"] = true })
  for _, step in ipairs(steps_for({ root = "/sb", mounts = { { tmpfs = "/t" } } })) do
    if step.op == "tmpfs" then lu.assertNil(step.noexec) end
  end
end

-- The cgroups are made with the signals blocked and a watcher there first: no moment
-- where one exists and nothing would remove it.
function TestPlan.test_cgroups_are_made_after_the_signals_are_blocked()
  local steps = steps_for({ root = "/sb", pids = 9 })
  lu.assertTrue(index_of(steps, "block_signals") < index_of(steps, "make_cgroups"))
  lu.assertTrue(index_of(steps, "make_cgroups") < index_of(steps, "clone"))
  lu.assertNil(index_of(steps_for({ root = "/sb" }), "make_cgroups"))
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
  lu.assertEquals(policy_of(steps).keep_fds, { 7, 9 })
  lu.assertEquals(policy_of(steps).seccomp, { deny_ioctls = { "TIOCSTI", "TIOCLINUX" },
    deny_syscalls = { "keyctl", "add_key", "request_key" }, tcp_only = false })
  lu.assertEquals(find(steps, "new_session_keyring").side, "sandbox")
  -- the keyring is made before the filter forbids keyctl
  lu.assertTrue(index_of(steps, "new_session_keyring") < index_of(steps, "filter_syscalls"))
  lu.assertTrue(index_of(steps, "filter_syscalls") < index_of(steps, "exec"))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
