-- debian_spec: what issue 19 asked for, in a real Debian root (debootstrap minbase
-- bookworm, made once by spec/support/debian_root.sh and kept in /var/cache/hako-test,
-- copied for each run): as root, apt-get installs a package and it runs, useradd and su
-- work, and what uid 0 made inside is uid 0's on disk, as in a chroot, while the
-- sandbox's processes are never uid 0 on the host. Needs root, debootstrap and, the first
-- time and for apt-get, the Debian archive.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

local CACHE = os.getenv("HAKO_DEBIAN_ROOT") or "/var/cache/hako-test/bookworm"

TestDebian = {}

function TestDebian:setUp()
  lu.skipIf(not process.is_root(), "needs root to make sandboxes")
  lu.skipIf(not os.execute("command -v debootstrap >/dev/null"), "debootstrap is missing (spec/deps.sh installs it)")
  local made = os.execute("sh spec/support/debian_root.sh " .. process.quote(CACHE))
  lu.assertTrue(made, "cannot make the Debian root in " .. CACHE .. " (is the archive reachable?)")
  self.dir = process.sh("mktemp -d /tmp/hako-debian.XXXXXX"):gsub("\n$", "")
  self.root = self.dir .. "/root"
  self.mounts = sandbox.host_mounts({ self.dir })
  process.sh("cp -a " .. process.quote(CACHE) .. " " .. self.root .. " && mkdir -p " .. self.root .. "/.hako")
end

function TestDebian:tearDown()
  if not self.dir then return end
  local mounts = sandbox.host_mounts({ self.dir })
  process.sh("rm -rf --one-file-system " .. self.dir)
  lu.assertEquals(mounts, self.mounts)
end

function TestDebian:run(...)
  local r = process.run({ sandbox.bin("hako-run"), "-N", "host", self.root, ... })
  lu.assertEquals(r.status, 0, r.stdout .. r.stderr)
  return r.stdout
end

local function owner(path)
  return process.sh("stat -c '%u:%g' " .. process.quote(path)):gsub("\n$", "")
end

function TestDebian:test_apt_useradd_and_su_as_root_inside()
  self:run("apt-get", "update", "-qq")
  self:run("apt-get", "install", "-y", "-qq", "hello")
  lu.assertEquals(self:run("hello"), "Hello, world!\n")
  lu.assertEquals(owner(self.root .. "/usr/bin/hello"), "0:0")
  self:run("useradd", "-m", "alice")
  lu.assertStrMatches(self:run("su", "alice", "-c", "id"), "uid=1000%(alice%) gid=1000%(alice%) groups=1000%(alice%)\n")
  lu.assertEquals(owner(self.root .. "/home/alice"), "1000:1000")
  self:run("sh", "-c", "echo made > /root/made && touch /home/alice/x && chown alice /home/alice/x")
  lu.assertEquals(owner(self.root .. "/root/made"), "0:0")
  lu.assertEquals(owner(self.root .. "/home/alice/x"), "1000:0")
  -- The same root's processes, seen from the host: never uid 0.
  local pidfile = self.dir .. "/pid"
  local supervisor = process.sh(process.quote(sandbox.bin("hako-run")) .. " --pid-file " .. pidfile .. " "
    .. self.root .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  lu.assertTrue(escape.eventually(function() return io.open(pidfile) ~= nil end))
  local pid = io.open(pidfile):read("l")
  local status = io.open("/proc/" .. pid .. "/status"):read("a")
  process.sh("kill " .. supervisor .. "; while kill -0 " .. supervisor .. " 2>/dev/null; do sleep 0.01; done")
  for _, id in ipairs({ status:match("\nUid:%s+(%d+)%s+(%d+)%s+(%d+)%s+(%d+)") }) do
    lu.assertTrue(tonumber(id) >= 65536, "uid " .. id .. " on the host")
  end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
