-- escape_privileges_spec: what a program inside may do, as uid 0 there and as a plain
-- user (doc/THREATS.md 7, 8, 9, 12, 13). Each attack also runs once where the defence is
-- absent (on the host, or with the option that relaxes it) to show it is detected.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

TestEscapePrivileges = {}

function TestEscapePrivileges:setUp()
  escape.set_up(self)
  process.sh("echo host-secret > " .. self.host .. "/host-only")
end

function TestEscapePrivileges:tearDown()
  escape.tear_down(self)
end

-- The probe's line inside, for uid 0 and for the plain user, with extra options.
function TestEscapePrivileges:both(options, ...)
  local lines = {}
  for _, who in ipairs({ "root", "user" }) do
    local argv = { table.unpack(escape.AS[who]) }
    table.move(options, 1, #options, #argv + 1, argv)
    lines[who] = escape.inside(self, argv, ...)
  end
  return lines
end

-- 7: a setuid-root file in the tree does not make a user root.
function TestEscapePrivileges:test_setuid_root_file_does_not_elevate()
  local suid = self.sb:path("bin/suid-probe")
  process.sh("cp " .. self.sb:path("bin/probe") .. " " .. suid .. " && chown 0:0 " .. suid .. " && chmod 4755 " .. suid)
  lu.assertEquals(escape.outside(self, escape.UID, "euid"), "BLOCKED: euid 1000") -- the probe's own
  lu.assertEquals(process.sh("setpriv --reuid=1000 --regid=1000 --clear-groups " .. suid .. " euid"), "ESCAPED\n")
  local r = self.sb:run(escape.AS.user, { "/bin/suid-probe", "euid" })
  lu.assertEquals(r.stdout, "BLOCKED: euid 1000\n", r.stderr)
end

-- A device node, mode 666, that the probe can read on this host: the host's root disk
-- where the machine lets it be opened, else /dev/zero's numbers (the test is about
-- nodev, which stops any device node alike).
function TestEscapePrivileges:device_node()
  local major, minor = process.sh("findmnt -no MAJ:MIN /"):match("(%d+):(%d+)")
  local node = "mknod -m 666 %s b " .. major .. " " .. minor
  process.sh(node:format(self.host .. "/disk"))
  local readable = escape.outside(self, escape.UID, "read", self.host .. "/disk") == "ESCAPED"
  process.sh("rm " .. self.host .. "/disk")
  return readable and node or "mknod -m 666 %s c 1 5"
end

-- 7: a device node in the tree cannot be opened; with --dev-bind, deliberately, it can.
function TestEscapePrivileges:test_device_node_in_the_tree_cannot_be_opened()
  local node = self:device_node()
  process.sh(node:format(self.sb:path("tmp/disk")))
  process.sh("mkdir " .. self.host .. "/devs && " .. node:format(self.host .. "/devs/disk"))
  lu.assertEquals(escape.outside(self, escape.UID, "read", self.sb:path("tmp/disk")), "ESCAPED")
  lu.assertEquals(self:both({}, "read", "/tmp/disk"), { root = "BLOCKED: EACCES", user = "BLOCKED: EACCES" })
  lu.assertEquals(self:both({ "--mount", self.host .. "/devs:/mnt" }, "read", "/mnt/disk"),
    { root = "BLOCKED: EACCES", user = "BLOCKED: EACCES" })
  lu.assertEquals(self:both({ "--dev-bind", self.host .. "/devs:/mnt" }, "read", "/mnt/disk"),
    { root = "ESCAPED", user = "ESCAPED" })
end

-- 8: uid 0 inside has no capabilities but, in its own user namespace, a container's set
-- (37): each call below needs one, of which only sys_chroot is in that set. --cap-add
-- gives it back, which shows the probe would see it work (in the old mode: in its own
-- user namespace open_by_handle_at and mknod need the capability in the host's, so they
-- stay refused with it, a second wall).
local PRIVILEGED = {
  { "mount", "sys_admin" },
  { "sethostname", "sys_admin" },
  { "shocker", "dac_read_search" },
  { "chroot", "sys_chroot" },
  { "mknod", "mknod", "/tmp/mem" },
}

function TestEscapePrivileges:test_privileged_calls_fail_without_capabilities()
  for _, case in ipairs(PRIVILEGED) do
    local attack, cap, arg = case[1], case[2], case[3]
    local options = { "--tmpfs", "/tmp" }
    local root = escape.OWN_USERNS and cap == "sys_chroot" and "ESCAPED" or "BLOCKED: EPERM"
    lu.assertEquals(self:both(options, attack, arg), { root = root, user = "BLOCKED: EPERM" }, attack)
    lu.assertEquals(escape.inside(self, { "--tmpfs", "/tmp", "--userns", "host", "--cap-add", cap }, attack, arg),
      "ESCAPED", attack)
    local host_only = cap == "dac_read_search" or cap == "mknod"
    lu.assertEquals(escape.inside(self, { "--tmpfs", "/tmp", "--cap-add", cap }, attack, arg),
      escape.OWN_USERNS and host_only and "BLOCKED: EPERM" or "ESCAPED", attack)
  end
end

-- 8: the "shocker" for real: from a handle of its file system's root (inode 2), a
-- process with CAP_DAC_READ_SEARCH opens any file of the host on the same file system.
function TestEscapePrivileges:test_shocker_cannot_reach_host_files()
  local target = (self.host .. "/host-only"):sub(2) -- relative to the file system's root
  lu.skipIf(escape.outside(self, nil, "shocker", target) ~= "ESCAPED",
    "the sandbox's file system has no inode-number handles, or is not the host's root")
  lu.assertEquals(self:both({}, "shocker", target), { root = "BLOCKED: EPERM", user = "BLOCKED: EPERM" })
  -- So --cap-add dac_read_search is a way out, as the documentation warns, for host uid 0
  -- (--userns host); in its own user namespace the kernel wants it in the host's.
  lu.assertEquals(escape.inside(self, { "--userns", "host", "--cap-add", "dac_read_search" }, "shocker", target),
    "ESCAPED")
  lu.assertEquals(escape.inside(self, { "--userns", "auto", "--cap-add", "dac_read_search" }, "shocker", target),
    "BLOCKED: EPERM")
end

-- 1, 8: the nested-chroot escape. Without CAP_SYS_CHROOT it cannot start; with it (uid 0
-- has it in its own user namespace), the walk up ends at the sandbox's root, since the
-- host's root is detached.
function TestEscapePrivileges:test_nested_chroot_escape_stays_inside()
  process.sh("touch " .. self.sb:path("inside-marker"))
  local args = { "chroot-escape", "/inside-marker", self.host .. "/host-only" }
  -- In a plain chroot(1) of the same tree, root walks out.
  lu.assertEquals(process.sh("chroot " .. self.sb.root .. " /bin/probe " .. table.concat(args, " ")), "ESCAPED\n")
  process.sh("rmdir " .. self.sb:path("chroot-escape.d"))
  local options = { "--tmpfs", "/tmp", "--chdir", "/tmp" }
  lu.assertEquals(self:both(options, table.unpack(args)),
    { root = escape.OWN_USERNS and "BLOCKED: inside" or "BLOCKED: EPERM", user = "BLOCKED: EPERM" })
  table.insert(options, "--cap-add")
  table.insert(options, "sys_chroot")
  lu.assertEquals(self:both(options, table.unpack(args)), { root = "BLOCKED: inside", user = "BLOCKED: inside" })
end

-- 13: kill(-1, SIGKILL) inside reaches only the sandbox, even as the same uid.
local VICTIM_UID = 47113 -- a uid nothing else on the machine runs as

local alive = escape.alive

function TestEscapePrivileges:victim()
  local pid = process.sh("setpriv --reuid=" .. VICTIM_UID .. " --regid=" .. VICTIM_UID
    .. " --clear-groups sleep 1000 >/dev/null 2>&1 & echo $!"):gsub("\n", "")
  table.insert(self.cleanups, function() process.run({ "kill", "-KILL", pid }) end)
  lu.assertTrue(escape.eventually(function() return alive(pid) end))
  return pid
end

function TestEscapePrivileges:test_kill_all_does_not_reach_the_host()
  local pid = self:victim()
  for _, options in ipairs({ {}, { "--user", tostring(VICTIM_UID), "--group", tostring(VICTIM_UID) } }) do
    escape.inside(self, options, "kill-all")
    lu.assertTrue(alive(pid), "a host process died of kill(-1) from inside")
  end
  -- The same uid on the host, without hako, kills it.
  escape.outside(self, VICTIM_UID, "kill-all")
  lu.assertTrue(escape.eventually(function() return not alive(pid) end))
end

-- 12: the sandbox has its own session keyring, not the caller's. The keyring calls fail
-- inside (below), so it is seen without the seccomp filter.
function TestEscapePrivileges:test_own_session_keyring()
  local host = escape.outside(self, nil, "keyring")
  lu.assertStrMatches(host, "%d+")
  lu.assertEquals(escape.outside(self, nil, "keyring"), host) -- without hako: the caller's
  for _, user in ipairs({ "", "probe" }) do -- "": root
    local inside = escape.without(self, { "filter_syscalls" }, user, "keyring")
    lu.assertStrMatches(inside, "%d+")
    lu.assertNotEquals(inside, host)
  end
  -- and without the step that makes it, the caller's, where uid 0 is the caller (--userns
  -- host; in its own user namespace the caller's keyring is not its to use anyway)
  lu.assertEquals(escape.without(self, { "filter_syscalls", "new_session_keyring" }, { userns = "host" }, "keyring"),
    host)
end

-- 12: without a user namespace the command's uid is the host's, and so are the user and
-- persistent keyrings of that uid (root's for uid 0); request_key would make the host
-- run /sbin/request-key as root. keyctl, add_key and request_key fail with EPERM.
function TestEscapePrivileges:test_keyring_calls_are_refused()
  local host = { root = escape.outside(self, nil, "keys"), user = escape.outside(self, escape.UID, "keys") }
  lu.assertStrMatches(host.root, "ESCAPED keyctl,add_key,request_key @u=%d+")
  -- Without the filter, the command reaches the very keyrings of the host's root and user
  -- (--userns host: in its own user namespace its uids are not the host's, a second wall).
  lu.assertEquals(escape.without(self, { "filter_syscalls" }, { userns = "host" }, "keys"), host.root)
  lu.assertEquals(escape.without(self, { "filter_syscalls" }, { user = "probe", userns = "host" }, "keys"), host.user)
  lu.assertNotEquals(escape.without(self, { "filter_syscalls" }, { userns = "auto" }, "keys"), host.root)
  lu.assertEquals(self:both({}, "keys"), { root = "BLOCKED: EPERM", user = "BLOCKED: EPERM" })
end

-- 9: an fd the caller left open on a host directory does not reach the command.
local function with_fd_7(argv)
  return process.run({ "sh", "-c", "exec 7</ && exec \"$@\"", "sh", table.unpack(argv) })
end

function TestEscapePrivileges:test_inherited_directory_fd_is_closed()
  local target = (self.host .. "/host-only"):sub(2) -- relative to the host's /
  local r = with_fd_7({ self.sb:path("bin/probe"), "fd", "7", target })
  lu.assertEquals(r.stdout, "ESCAPED\n", r.stderr)
  for _, who in ipairs({ "root", "user" }) do
    local argv = { sandbox.bin("hako-run"), table.unpack(escape.AS[who]) }
    r = with_fd_7({ table.unpack(argv), self.sb.root, "/bin/probe", "fd", "7", target })
    lu.assertEquals(r.stdout, "BLOCKED: EBADF\n", r.stderr)
  end
  -- Kept on purpose, it is there: Landlock still allows nothing outside the root through
  -- it; without Landlock, the probe would have seen the host's file.
  r = with_fd_7({ sandbox.bin("hako-run"), "--keep-fd", "7", self.sb.root, "/bin/probe", "fd", "7", target })
  lu.assertEquals(r.stdout, "BLOCKED: EACCES\n", r.stderr)
  local argv = escape.without_steps(self, { "restrict_landlock" }, { keep_fd = "7" })
  table.move({ "/bin/probe", "fd", "7", target }, 1, 4, #argv + 1, argv)
  r = with_fd_7(argv)
  lu.assertEquals(r.stdout, "ESCAPED\n", r.stderr)
end

function TestEscapePrivileges:test_only_0_1_2_and_kept_fds_are_open_inside()
  local r = with_fd_7({ sandbox.bin("hako-run"), self.sb.root, "/bin/ls", "/proc/self/fd" })
  lu.assertEquals(r.stdout, "0\n1\n2\n3\n", r.stderr) -- 3: ls's own directory
  r = with_fd_7({ sandbox.bin("hako-run"), "--keep-fd", "7", self.sb.root, "/bin/ls", "/proc/self/fd" })
  lu.assertEquals(r.stdout, "0\n1\n2\n3\n7\n", r.stderr)
end

-- Root's sandbox (--userns auto, the default): its uid 0 (and every other id) is an unprivileged range of
-- the host's, not host root, and the caller's supplementary groups are not the sandbox's.
-- Checked from the host, on the sandbox's processes. The positive control is --userns
-- host, where uid 0 inside is host root: the same check sees it.
function TestEscapePrivileges:test_userns_as_root_maps_to_an_unprivileged_range()
  local idmap = require "hako.idmap"
  local function file(path)
    local f = io.open(path)
    if not f then return "" end
    local text = f:read("a")
    f:close()
    return text
  end
  local uids, gids = idmap.pool(file("/etc/subuid")), idmap.pool(file("/etc/subgid"))
  -- host ids of the sandbox's PID 1 and of its command, started with groups 4 and 6
  local function ids(options)
    local pidfile = self.host .. "/pid"
    local line = "setpriv --groups 4,6 " .. process.quote(sandbox.bin("hako-run")) .. " --pid-file "
      .. pidfile .. " " .. table.concat(options, " ") .. " " .. self.sb.root .. " /bin/sleep 1000"
    local supervisor = process.sh(line .. " >/dev/null 2>&1 & echo $!"):match("%d+")
    lu.assertTrue(escape.eventually(function() return io.open(pidfile) ~= nil end))
    local pid = io.open(pidfile):read("l")
    local child
    escape.eventually(function()
      child = file("/proc/" .. pid .. "/task/" .. pid .. "/children"):match("%d+")
      return child and file("/proc/" .. child .. "/comm"):match("^sleep")
    end)
    -- The slot this sandbox holds: the first host id its map gives uid (gid) 0.
    local uid_start = tonumber(file("/proc/" .. pid .. "/uid_map"):match("^%s*0%s+(%d+)"))
    local gid_start = tonumber(file("/proc/" .. pid .. "/gid_map"):match("^%s*0%s+(%d+)"))
    local seen = { uid_start = uid_start, gid_start = gid_start }
    for _, p in ipairs({ pid, child }) do
      local status = file("/proc/" .. p .. "/status")
      seen[#seen + 1] = { uid = tonumber(status:match("\nUid:%s+(%d+)")),
        gid = tonumber(status:match("\nGid:%s+(%d+)")),
        groups = (status:match("\nGroups:%s*([^\n]*)"):gsub("%s+$", "")) }
    end
    process.sh("kill " .. supervisor .. "; while kill -0 " .. supervisor .. " 2>/dev/null; do sleep 0.01; done")
    return seen
  end
  for _, who in ipairs({ "root", "user" }) do
    local inside = who == "root" and 0 or escape.UID
    local seen = ids({ "--userns", "auto", table.unpack(escape.AS[who]) })
    lu.assertEquals((seen.uid_start - uids.start) % 65536, 0)
    lu.assertTrue(seen.uid_start >= uids.start and seen.uid_start < uids.start + uids.slots * 65536)
    lu.assertTrue(seen.gid_start >= gids.start and seen.gid_start < gids.start + gids.slots * 65536)
    for _, id in ipairs(seen) do
      lu.assertEquals(id.uid, seen.uid_start + inside, who)
      lu.assertEquals(id.gid, seen.gid_start + inside, who)
      lu.assertEquals(id.groups, tostring(seen.gid_start + inside), who)
    end
  end
  lu.assertEquals(ids({ "--userns", "host" })[2].uid, 0)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
