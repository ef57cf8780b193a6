-- userns_spec: root's sandbox in a user namespace of its own, "root inside, nobody outside"
-- (doc/THREATS.md 37): ids of its own on the host, idmapped root and binds, a container's
-- capabilities for uid 0 inside and none for others, the refusal where idmapped mounts
-- cannot be made, and --userns host, today's chroot-like mode. As root, real sandboxes.
local lu = require "luaunit"
local caps = require "hako.caps"
local escape = require "support.escape"
local idmap = require "hako.idmap"
local process = require "support.process"
local sandbox = require "support.sandbox"

TestUserns = {}

function TestUserns:setUp()
  escape.set_up(self)
end

function TestUserns:tearDown()
  escape.tear_down(self)
end

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function ok(r)
  lu.assertEquals(r.status, 0, r.stderr)
  return r.stdout
end

local CONTAINER = {}
for i, name in ipairs(caps.CONTAINER) do CONTAINER[i] = caps.number(name) end

-- The sandbox's CapEff, as a number.
local function cap_eff(t, options)
  return tonumber(ok(t.sb:sh("grep CapEff /proc/self/status", options)):match("CapEff:%s*(%x+)"), 16)
end

-- A sandbox that sleeps: its hako-run's pid and the host pid of its first process.
local function start(t, name)
  local pidfile = t.host .. "/" .. name .. ".pid"
  local supervisor = process.sh(process.quote(sandbox.bin("hako-run")) .. " --pid-file " .. pidfile .. " "
    .. t.sb.root .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  table.insert(t.cleanups, function()
    process.sh("kill " .. supervisor .. "; while kill -0 " .. supervisor .. " 2>/dev/null; do sleep 0.01; done")
  end)
  lu.assertTrue(escape.eventually(function() return read(pidfile) ~= nil end), "the sandbox did not start")
  return supervisor, read(pidfile):match("%d+")
end

-- The uid 0 inside is a host id of the pool, the same for the map and for the processes;
-- a file uid 0 makes in the root is uid 0's on disk, and a host file keeps its owner.
function TestUserns:test_root_inside_is_nobody_outside_and_files_keep_their_owners()
  process.sh("touch " .. self.sb:path("etc/owned") .. " && chown 1234:2345 " .. self.sb:path("etc/owned"))
  local out = ok(self.sb:sh("touch /tmp/made && mkdir /tmp/dir && stat -c '%u %g' /etc/owned; cat /proc/self/uid_map"))
  local owner, first = out:match("^(%d+ %d+)\n%s*0%s+(%d+)%s+65536\n$")
  lu.assertEquals(owner, "1234 2345")
  local pool = idmap.pool(read("/etc/subuid"))
  first = tonumber(first)
  lu.assertTrue(first >= pool.start and first < pool.start + pool.slots * 65536 and (first - pool.start) % 65536 == 0)
  lu.assertEquals(process.sh("stat -c '%u %g' " .. self.sb:path("tmp/made") .. " " .. self.sb:path("tmp/dir")),
    "0 0\n0 0\n")
  -- Control: --userns host, the old mode, is host uid 0 with the host's whole map.
  lu.assertStrMatches(ok(self.sb:sh("cat /proc/self/uid_map", { "--userns", "host" })), "%s*0%s+0%s+4294967295\n")
end

-- Checked from the host: the sandbox's processes run as its range's ids, never uid 0; two
-- sandboxes running at once have different ranges, and the record and hako ps say which.
-- A target of mode 0700 (as mktemp -d makes it) is the caller's to give: its first
-- process, not the target's owner on the host, must not need to look anything up in it.
function TestUserns:test_a_target_only_root_may_enter()
  process.sh("chmod 700 " .. self.sb.root)
  lu.assertEquals(ok(self.sb:run({}, { "/bin/id", "-u" })), "0\n")
  lu.assertEquals(ok(self.sb:run({ "--userns", "host" }, { "/bin/id", "-u" })), "0\n")
end

function TestUserns:test_two_sandboxes_at_once_get_different_ranges()
  local _, first = start(self, "a")
  local _, second = start(self, "b")
  local ranges = {}
  for i, pid in ipairs({ first, second }) do
    local status = read("/proc/" .. pid .. "/status")
    local uid = tonumber(status:match("\nUid:%s+(%d+)"))
    ranges[i] = tonumber(read("/proc/" .. pid .. "/uid_map"):match("^%s*0%s+(%d+)"))
    lu.assertEquals(uid, ranges[i])
    lu.assertNotEquals(uid, 0)
    lu.assertEquals(tonumber(status:match("\nGid:%s+(%d+)")), tonumber(read("/proc/" .. pid .. "/gid_map")
      :match("^%s*0%s+(%d+)")))
    local rec = read("/run/hako/" .. pid)
    lu.assertStrContains(rec, "\nuid_range " .. ranges[i] .. "-" .. (ranges[i] + 65535) .. "\n")
  end
  lu.assertNotEquals(ranges[1], ranges[2])
  lu.assertTrue(math.abs(ranges[1] - ranges[2]) >= 65536)
  local ps = process.sh(process.quote(sandbox.bin("hako")) .. " ps")
  lu.assertStrContains(ps, ranges[1] .. "-" .. (ranges[1] + 65535))
  lu.assertStrContains(ps, ranges[2] .. "-" .. (ranges[2] + 65535))
end

-- uid 0 inside gets a container's set, another user none; --cap-add and --cap-drop adjust
-- the set; --userns host keeps today's rule (none unless --cap-add).
function TestUserns:test_capabilities_of_root_and_of_other_users()
  lu.assertEquals(cap_eff(self, {}), caps.mask(CONTAINER))
  lu.assertEquals(cap_eff(self, { "--user", "probe" }), 0)
  local adjusted = caps.adjust(CONTAINER, { caps.number("net_raw") }, { caps.number("chown") })
  lu.assertEquals(cap_eff(self, { "--cap-add", "net_raw", "--cap-drop", "CAP_CHOWN" }), caps.mask(adjusted))
  lu.assertEquals(cap_eff(self, { "--userns", "host" }), 0)
  lu.assertEquals(cap_eff(self, { "--userns", "host", "--cap-add", "net_raw" }), 1 << caps.number("net_raw"))
end

-- hako-enter joins the sandbox's user namespace and applies the same rule: uid 0 gets the
-- container's set, another user none.
function TestUserns:test_hako_enter_joins_the_user_namespace_with_the_same_rule()
  local _, pid = start(self, "e")
  local enter = { sandbox.bin("hako-enter"), pid, "/bin/sh", "-c",
    "cat /proc/self/uid_map; grep CapEff /proc/self/status" }
  local out = ok(process.run(enter))
  lu.assertEquals(out:match("^%s*0%s+(%d+)"), read("/proc/" .. pid .. "/uid_map"):match("^%s*0%s+(%d+)"))
  lu.assertStrContains(out, string.format("CapEff:\t%016x\n", caps.mask(CONTAINER)))
  table.insert(enter, 2, "--user")
  table.insert(enter, 3, "probe")
  lu.assertStrContains(ok(process.run(enter)), "CapEff:\t0000000000000000\n")
end

-- With its capabilities uid 0 inside is root over what its user namespace maps: files of
-- host ids 0-65535 in its tree (control: it reads another id's 0600 file), and nothing
-- else: a file of a host id past its range, a host file through a leaked fd (no
-- Landlock, to see this wall alone; control: --userns host, where uid 0 is the owner).
function TestUserns:test_root_inside_cannot_use_its_capabilities_on_host_files()
  process.sh("echo mapped > " .. self.sb:path("etc/mapped") .. " && chown 1000 " .. self.sb:path("etc/mapped")
    .. " && chmod 600 " .. self.sb:path("etc/mapped"))
  process.sh("echo far > " .. self.sb:path("etc/far") .. " && chown 100000 " .. self.sb:path("etc/far")
    .. " && chmod 600 " .. self.sb:path("etc/far"))
  lu.assertEquals(escape.inside(self, {}, "read", "/etc/mapped"), "ESCAPED")
  lu.assertEquals(escape.inside(self, {}, "read", "/etc/far"), "BLOCKED: EACCES")
  process.sh("echo secret > " .. self.host .. "/secret && chmod 600 " .. self.host .. "/secret")
  local attack = " /bin/probe fd 7 secret 7<" .. self.host
  local function leaked(userns)
    local argv = escape.without_steps(self, { "restrict_landlock" }, { keep_fd = "7", userns = userns })
    for i, w in ipairs(argv) do argv[i] = process.quote(w) end
    return process.sh(table.concat(argv, " ") .. attack)
  end
  lu.assertEquals(leaked(nil), "BLOCKED: EACCES\n")
  lu.assertEquals(leaked("host"), "ESCAPED\n")
end

-- A read-write bind of a host directory: what uid 0 makes there is uid 0's on disk, what
-- uid 1000 makes (setuid too) is uid 1000's; chown to an id outside the sandbox's range
-- fails (there is no such id inside), to one inside it works (control).
function TestUserns:test_a_read_write_bind_keeps_owners_and_no_id_past_the_range()
  local dir = self.host .. "/shared"
  process.sh("mkdir " .. dir .. " && chmod 1777 " .. dir)
  ok(self.sb:sh("touch /mnt/by-root && chown 1000:1000 /mnt/by-root && touch /mnt/other", { "-m", dir .. ":/mnt" }))
  ok(self.sb:sh("touch /mnt/by-user && chmod 4755 /mnt/by-user", { "-m", dir .. ":/mnt", "--user", "probe" }))
  lu.assertEquals(process.sh("stat -c '%n %u %g %a' " .. dir .. "/by-root " .. dir .. "/other " .. dir .. "/by-user"),
    dir .. "/by-root 1000 1000 644\n" .. dir .. "/other 0 0 644\n" .. dir .. "/by-user 1000 1000 4755\n")
  local r = self.sb:sh("chown 70000 /mnt/other", { "-m", dir .. ":/mnt" })
  lu.assertNotEquals(r.status, 0)
  lu.assertStrContains(r.stderr, "Invalid argument")
  lu.assertEquals(process.sh("stat -c %u " .. dir .. "/other"), "0\n")
end

-- Read-only: the root with -R and a :ro bind refuse writes though uid 0 has
-- CAP_DAC_OVERRIDE; a tmpfs is writable (control).
function TestUserns:test_read_only_holds_for_root_with_capabilities()
  local r = self.sb:sh("touch /etc/x", { "-R" })
  lu.assertStrContains(r.stderr, "Read-only file system")
  r = self.sb:sh("touch /mnt/x", { "-m", self.host .. ":/mnt:ro" })
  lu.assertStrContains(r.stderr, "Read-only file system")
  ok(self.sb:sh("touch /tmp/x", { "-R", "-t", "/tmp" }))
end

-- A file system without idmapped mounts (ramfs) as the target or a bind's source: one
-- line, exit 125, nothing left on the host; --userns host runs there (control).
function TestUserns:test_refused_where_mounts_cannot_be_idmapped()
  local ram = self.host .. "/ram"
  process.sh("mkdir " .. ram .. " && mount -t ramfs hako-test " .. ram)
  table.insert(self.cleanups, function() process.sh("umount " .. ram) end)
  local r = self.sb:sh("true", { "-m", ram .. ":/mnt" })
  lu.assertEquals(r.status, 125)
  lu.assertEquals(r.stderr, "hako-run: mount source " .. ram .. ": its file system, or one mounted beneath it,"
    .. " does not support idmapped mounts; --userns host runs the sandbox without a user namespace\n")
  ok(self.sb:sh("true", { "-m", ram .. ":/mnt", "--userns", "host" }))
  process.sh("cp -a " .. self.sb.root .. "/. " .. ram)
  r = process.run({ sandbox.bin("hako-run"), ram, "/bin/true" })
  lu.assertEquals(r.status, 125)
  lu.assertStrMatches(r.stderr, "hako%-run: target " .. ram:gsub("%p", "%%%0") .. ": its file system.*\n")
  lu.assertEquals(select(2, r.stderr:gsub("\n", "")), 1)
  ok(process.run({ sandbox.bin("hako-run"), "--userns", "host", ram, "/bin/true" }))
end

-- --dry-run names the range and the idmapped mounts.
function TestUserns:test_dry_run_shows_the_range_and_the_idmapped_mounts()
  local out = ok(process.run({ sandbox.bin("hako-run"), "-n", "-m", self.host .. ":/mnt:ro", self.sb.root }))
  lu.assertStrMatches(out,
    ".*\nuser namespace: ids 0%-65535 %-> host uids %d+%-%d+, gids %d+%-%d+ %(slot %d+ of %d+, free now%)\n.*")
  lu.assertStrContains(out, "\nidmapped mounts: " .. self.sb.root .. ", " .. self.host .. " (ro)\n")
  out = ok(process.run({ sandbox.bin("hako-run"), "-n", "--userns", "host", self.sb.root }))
  lu.assertNotStrContains(out, "idmapped")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
