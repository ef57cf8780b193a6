-- rootless_spec: hako-run for an unprivileged user, through a user namespace. As root the
-- tests drop to nobody with setpriv; as another user they run as that user.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local ROOT = process.is_root()
local NOBODY = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups" }

-- Unprivileged users may not reach the build folder: run a copy of the binary (it needs
-- no other file) from a directory anyone can read.
local function private_copy()
  local dir = process.sh("mktemp -d /tmp/hako-bin.XXXXXX"):gsub("\n$", "")
  process.sh("chmod 755 " .. dir .. " && cp " .. sandbox.bin("hako") .. " " .. dir
    .. "/hako && ln -s hako " .. dir .. "/hako-run")
  return dir
end

local function unprivileged(argv)
  if not ROOT then return argv end
  local full = { table.unpack(NOBODY) }
  table.move(argv, 1, #argv, #full + 1, full)
  return full
end

TestRootless = {}

function TestRootless:setUp()
  self.bin = private_copy()
  self.sb = sandbox.new()
  if ROOT then process.sh("chown -R 65534:65534 " .. self.sb.root .. "/tmp") end
  self.mounts = sandbox.host_mounts({ self.sb.root, self.bin })
end

function TestRootless:tearDown()
  lu.assertEquals(sandbox.host_mounts({ self.sb.root, self.bin }), self.mounts)
  self.sb:remove()
  process.sh("rm -rf " .. self.bin)
end

function TestRootless:run(options, command, input)
  local argv = { self.bin .. "/hako-run", table.unpack(options) }
  argv[#argv + 1] = self.sb.root
  table.move(command, 1, #command, #argv + 1, argv)
  return process.run(unprivileged(argv), input)
end

function TestRootless:sh(script, options)
  local r = self:run(options or {}, { "/bin/sh", "-c", script })
  lu.assertEquals(r.status, 0, r.stderr)
  return r.stdout
end

function TestRootless:test_the_caller_is_root_inside_and_itself_outside()
  local outside = ROOT and "65534" or process.sh("id -u"):gsub("\n", "")
  local out = self:sh("id -u; cat /proc/self/uid_map; echo $$")
  local uid, inside, mapped, pid = out:match("^(%d+)\n%s*(%d+)%s+(%d+)%s+1\n(%d+)\n$")
  lu.assertEquals({ uid, inside, mapped, pid }, { "0", "0", outside, "2" }, out)
end

function TestRootless:test_the_seed_example()
  process.sh("rm " .. self.sb:path("bin/busybox") .. " && touch " .. self.sb:path("bin/busybox"))
  local r = self:run({ "--mount", sandbox.BUSYBOX .. ":/bin/busybox:ro" }, { "/bin/sh" }, "echo seed $$\n")
  lu.assertEquals(r.stdout, "seed 2\n", r.stderr)
end

function TestRootless:test_read_only_binds()
  local out = self:sh("touch /mnt/x 2>&1; true", { "-m", "/tmp:/mnt:ro" })
  lu.assertEquals(out, "touch: /mnt/x: Read-only file system\n")
end

function TestRootless:test_proc_dev_and_network()
  lu.assertEquals(self:sh("ps -o pid,comm"), "PID   COMMAND\n    1 hako-run\n    2 ps\n")
  local out = self:sh("echo x > /dev/null && head -c 4 /dev/urandom | wc -c; ip -o link | wc -l")
  lu.assertEquals(out, "4\n1\n")
  lu.assertStrContains(self:sh("ip -o link"), "<LOOPBACK,UP,LOWER_UP>")
end

function TestRootless:test_hostname_and_exit_statuses()
  lu.assertEquals(self:sh("hostname", { "-H", "rootless" }), "rootless\n")
  for _, code in ipairs({ 0, 1, 42, 255 }) do
    lu.assertEquals(self:run({}, { "/bin/sh", "-c", "exit " .. code }).status, code)
  end
end

function TestRootless:test_no_capabilities_and_no_new_privs()
  lu.assertEquals(self:sh("grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status"),
    "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\n")
end

-- --user N: the caller is uid N inside, and so is hako's init when it starts itself again
-- inside (hako.resume); the set-up after that still has its capabilities, the command none.
function TestRootless:test_a_user_other_than_root_inside()
  self.sb:write("etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n")
  self.sb:write("etc/group", "root:x:0:\nalice:x:1000:\n")
  lu.assertEquals(self:sh("id; grep -E '^(CapEff|CapAmb)' /proc/self/status; cat /proc/1/environ || echo closed",
    { "-u", "alice" }), "uid=1000(alice) gid=1000(alice)\n"
      .. "CapEff:\t0000000000000000\nCapAmb:\t0000000000000000\nclosed\n")
end

-- uid 0 inside is the caller outside: a host file the caller cannot write stays unwritten.
function TestRootless:test_root_inside_cannot_write_what_the_caller_cannot()
  lu.skipIf(not ROOT, "needs a root-owned directory that the test can create")
  local dir = process.sh("mktemp -d /tmp/hako-owned.XXXXXX"):gsub("\n$", "")
  process.sh("chmod 755 " .. dir .. " && echo original > " .. dir .. "/file && chmod 644 " .. dir .. "/file")
  local out = self:sh("echo changed > /mnt/file 2>&1; touch /mnt/new 2>&1; true", { "-m", dir .. ":/mnt:rw" })
  local content = process.sh("cat " .. dir .. "/file; ls " .. dir)
  process.sh("rm -rf " .. dir)
  lu.assertStrContains(out, "Permission denied")
  lu.assertEquals(content, "original\nfile\n")
end

function TestRootless:test_pid_file()
  local pid_file = self.sb:path("tmp/sb.pid")
  lu.assertEquals(self:sh("true", { "-p", pid_file }), "")
  lu.assertEquals(process.sh("ls " .. self.sb:path("tmp")), "")
end

-- With --map-users/--map-groups auto the caller's subordinate ranges are mapped through
-- newuidmap/newgidmap. The ranges come from a copy of /etc with subuid and subgid files,
-- bound over /etc in a mount namespace of the test's own: the host's /etc is untouched.
function TestRootless:test_subordinate_ranges_through_newuidmap()
  lu.skipIf(not ROOT, "needs root to give nobody a subordinate range in a private /etc")
  lu.skipIf(not os.execute("test -u /usr/bin/newuidmap"), "newuidmap missing: apt-get install uidmap")
  local etc = process.sh("mktemp -d /tmp/hako-etc.XXXXXX"):gsub("\n$", "")
  process.sh("cp -a /etc/. " .. etc .. " && echo nobody:100000:65536 > " .. etc .. "/subuid"
    .. " && echo nobody:100000:65536 > " .. etc .. "/subgid")
  self.sb:write("etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n")
  self.sb:write("etc/group", "root:x:0:\nalice:x:1000:\nwheel:x:10:alice\n")
  local hako_run = table.concat(NOBODY, " ") .. " " .. self.bin .. "/hako-run --map-users auto --map-groups auto "
  local line = "mount --bind " .. etc .. " /etc && " .. hako_run .. "-u alice " .. self.sb.root
    .. " /bin/sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id' && " .. hako_run .. self.sb.root
    .. " /bin/sh -c 'grep CapEff /proc/self/status'"
  local r = process.run({ "unshare", "--mount", "--propagation", "private", "sh", "-c", line })
  process.sh("rm -rf " .. etc)
  lu.assertEquals(r.status, 0, r.stderr)
  local maps = {}
  for a, b, c in r.stdout:gmatch("(%d+)%s+(%d+)%s+(%d+)\n") do maps[#maps + 1] = a .. " " .. b .. " " .. c end
  lu.assertEquals(maps, { "0 65534 1", "1 100000 65536", "0 65534 1", "1 100000 65536" })
  -- Several ids exist inside, and setgroups is allowed: alice has her groups.
  lu.assertStrContains(r.stdout, "uid=1000(alice) gid=1000(alice) groups=10(wheel),1000(alice)")
  -- With ids of its own, uid 0 inside has a container's capabilities (alice none).
  local caps = require "hako.caps"
  local kept = {}
  for i, name in ipairs(caps.CONTAINER) do kept[i] = caps.number(name) end
  lu.assertStrContains(r.stdout, string.format("CapEff:\t%016x\n", caps.mask(kept)))
end

function TestRootless:test_map_users_without_a_range_is_an_error()
  lu.skipIf(not ROOT, "needs nobody as the caller, who has no subordinate range here")
  lu.skipIf(os.execute("grep -q '^nobody:' /etc/subuid 2>/dev/null"), "nobody has a range on this host")
  local r = self:run({ "--map-users", "auto" }, { "/bin/true" })
  lu.assertEquals(r.status, 125)
  lu.assertEquals(r.stderr, "hako-run: --map-users auto: no range for nobody in /etc/subuid\n")
end

-- A runtime directory others may write is refused before the sandbox is made.
function TestRootless:test_a_bad_record_directory_is_refused_before_the_sandbox()
  local runtime = process.sh("mktemp -d /tmp/hako-xdg.XXXXXX"):gsub("\n$", "")
  process.sh("mkdir " .. runtime .. "/hako && chmod 777 " .. runtime .. "/hako && chmod 755 " .. runtime)
  if ROOT then process.sh("chown 65534:65534 " .. runtime .. "/hako") end
  local argv = unprivileged({ "env", "XDG_RUNTIME_DIR=" .. runtime, self.bin .. "/hako-run", self.sb.root,
    "/bin/touch", "/tmp/ran" })
  local r = process.run(argv)
  process.sh("rm -rf " .. runtime)
  lu.assertEquals(r.status, 125)
  lu.assertEquals(r.stderr, "hako-run: runtime directory " .. runtime .. "/hako: mode 777 is too open\n")
  lu.assertEquals(process.sh("ls " .. self.sb:path("tmp")), "") -- the command never ran
end

-- Without user namespaces the error names the setting that forbids them. The limit is
-- set in a user namespace of the test's own, so the host's setting is never touched.
function TestRootless:test_user_namespaces_disabled_is_explained()
  -- uid 0 of that namespace keeps records in /run/hako: a /run of its own holds them.
  local script = "mount -t tmpfs none /run && echo 0 > /proc/sys/user/max_user_namespaces && exec "
    .. self.bin .. "/hako-run --userns " .. self.sb.root .. " /bin/true"
  local r = process.run(unprivileged({ "unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script }))
  lu.assertEquals(r.status, 125)
  -- hako-run is uid 0 there: root's refusal, which names the old mode.
  lu.assertEquals(r.stderr, "hako-run: clone: user namespaces are not available: sysctl user.max_user_namespaces"
    .. " is 0; --userns host runs the sandbox without one\n")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
