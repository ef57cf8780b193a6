-- run_options_spec: every hako-run option, shown from inside a real sandbox (needs root).
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local ROOT = process.is_root()

local function mountinfo(t)
  return sandbox.host_mounts({ t.sb.root, t.host })
end

local function lines(text)
  local list = {}
  for line in text:gmatch("[^\n]+") do list[#list + 1] = line end
  return list
end

TestRunOptions = {}

function TestRunOptions:setUp()
  lu.skipIf(not ROOT, "needs root (rootless hako-run is a later feature)")
  self.sb = sandbox.new()
  self.host = process.sh("mktemp -d /tmp/hako-host.XXXXXX"):gsub("\n$", "")
  self.mounts = mountinfo(self)
end

function TestRunOptions:tearDown()
  if not self.sb then return end
  lu.assertEquals(mountinfo(self), self.mounts)
  self.sb:remove()
  process.sh("rm -rf --one-file-system " .. self.host)
end

function TestRunOptions:ok(options, script)
  local r = self.sb:sh(script, options)
  lu.assertEquals(r.status, 0, r.stderr)
  return r.stdout
end

function TestRunOptions:test_the_seed_example_verbatim()
  local seed = process.sh("mktemp -d /tmp/hako-seed.XXXXXX"):gsub("\n$", "")
  process.sh("cd " .. seed .. " && mkdir sandbox sandbox/.hako sandbox/bin && touch sandbox/bin/busybox"
    .. " && ln -s busybox sandbox/bin/sh")
  local r = process.run({ "sh", "-c", "cd " .. seed .. " && " .. sandbox.bin("hako-run")
    .. " --mount $(which busybox):/bin/busybox:ro sandbox /bin/sh" }, "echo seed works in $$\n")
  process.sh("rm -rf " .. seed)
  lu.assertEquals(r.stdout, "seed works in 2\n", r.stderr)
  lu.assertEquals(r.status, 0)
end

function TestRunOptions:test_read_only_bind_refuses_writes_also_in_submounts()
  process.sh("mkdir -p " .. self.host .. "/sub && mount -t tmpfs hako-test " .. self.host .. "/sub")
  local ok, err = pcall(function()
    local out = self:ok({ "-m", self.host .. ":/mnt:ro" },
      "touch /mnt/x 2>&1; touch /mnt/sub/x 2>&1; echo done")
    lu.assertEquals(out, "touch: /mnt/x: Read-only file system\n"
      .. "touch: /mnt/sub/x: Read-only file system\ndone\n")
    -- uid 0 inside cannot make it writable again.
    out = self.sb:sh("mount -o remount,rw /mnt 2>&1; mount -o remount,bind,rw /mnt/sub 2>&1; touch /mnt/x 2>&1",
      { "-m", self.host .. ":/mnt:ro" }).stdout
    lu.assertStrContains(out, "touch: /mnt/x: Read-only file system")
  end)
  process.sh("umount " .. self.host .. "/sub")
  if not ok then error(err, 0) end
end

function TestRunOptions:test_read_write_bind_and_file_bind()
  process.sh("echo host-data > " .. self.host .. "/file")
  self.sb:write("etc/hostfile", "")
  local out = self:ok({ "-m", self.host .. ":/mnt", "-m", self.host .. "/file:/etc/hostfile" },
    "echo from-inside > /mnt/new && cat /etc/hostfile")
  lu.assertEquals(out, "host-data\n")
  lu.assertEquals(process.sh("cat " .. self.host .. "/new"), "from-inside\n")
end

function TestRunOptions:test_a_later_mount_covers_an_earlier_one()
  process.sh("mkdir " .. self.host .. "/a " .. self.host .. "/b && touch " .. self.host .. "/a/A "
    .. self.host .. "/b/B")
  lu.assertEquals(self:ok({ "-m", self.host .. "/a:/mnt", "-m", self.host .. "/b:/mnt" }, "ls /mnt"), "B\n")
end

function TestRunOptions:test_colons_in_paths_are_escaped()
  process.sh("mkdir '" .. self.host .. "/a:b' && touch '" .. self.host .. "/a:b/here'")
  lu.assertEquals(self:ok({ "-m", self.host .. "/a\\:b:/mnt" }, "ls /mnt"), "here\n")
end

function TestRunOptions:test_read_only_root_but_rw_binds_and_tmpfs()
  local out = self:ok({ "-R", "-m", self.host .. ":/mnt:rw", "-t", "/tmp" },
    "touch /x 2>&1; touch /mnt/x && touch /tmp/x && echo writable")
  lu.assertEquals(out, "touch: /x: Read-only file system\nwritable\n")
end

function TestRunOptions:test_read_only_applies_to_plain_binds()
  local out = self:ok({ "-R", "-m", self.host .. ":/mnt" }, "touch /mnt/x 2>&1; true")
  lu.assertEquals(out, "touch: /mnt/x: Read-only file system\n")
end

function TestRunOptions:test_tmpfs_with_a_size()
  local out = self:ok({ "--tmpfs", "/tmp:1m" }, "grep ' /tmp ' /proc/self/mountinfo; stat -c %a /tmp")
  lu.assertStrContains(out, "tmpfs")
  lu.assertStrContains(out, "size=1024k")
  lu.assertStrContains(out, "\n1777\n")
end

function TestRunOptions:test_proc_sees_only_the_sandbox()
  local out = self:ok({}, "ps -o pid,comm")
  -- hako's init (PID 1, named after hako-run, whose copy it is) and the command.
  lu.assertEquals(lines(out), { "PID   COMMAND", "    1 hako-run", "    2 ps" })
  lu.assertEquals(self:ok({ "--no-proc" }, "ls /proc | wc -l"), "0\n")
end

function TestRunOptions:test_proc_and_dev_are_skipped_where_the_sandbox_has_no_directory()
  process.sh("rmdir " .. self.sb:path("proc") .. " " .. self.sb:path("dev"))
  lu.assertEquals(self:ok({}, "ls /"), "bin\netc\nmnt\ntmp\n")
end

function TestRunOptions:test_dev_is_minimal_and_works()
  local out = self:ok({}, "ls /dev; echo x > /dev/null && head -c 3 /dev/zero | wc -c && readlink /dev/stdout")
  lu.assertEquals(lines(out), { "fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
    "stdout", "tty", "urandom", "zero", "3", "/proc/self/fd/1" })
  lu.assertEquals(self:ok({ "--no-dev" }, "ls /dev | wc -l"), "0\n")
end

function TestRunOptions:test_default_network_is_loopback_only_and_up()
  local out = self:ok({}, "ip -o link")
  local links = lines(out)
  lu.assertEquals(#links, 1, out)
  lu.assertStrContains(links[1], "1: lo: <LOOPBACK,UP,LOWER_UP>")
end

function TestRunOptions:test_host_network_is_the_callers()
  local host = process.sh("ip -o link | cut -d: -f2 | sort")
  lu.assertEquals(self:ok({ "--net", "host" }, "ip -o link | cut -d: -f2 | sort"), host)
end

function TestRunOptions:test_joining_a_network_namespace()
  -- A process's namespace file, so the test leaves no /run/netns mount behind.
  -- The namespace's own process marks it (never the test: it could still be in the host's).
  local pid = process.sh("unshare --net sh -c 'ip link set lo mtu 1234 && exec sleep 100' >/dev/null 2>&1 & echo $!")
    :gsub("\n", "")
  local ok, err = pcall(function()
    process.sh("until [ \"$(readlink /proc/" .. pid .. "/ns/net)\" != \"$(readlink /proc/self/ns/net)\" ] && "
      .. "nsenter -t " .. pid .. " -n ip -o link show lo | grep -q 'mtu 1234'; do sleep 0.01; done")
    lu.assertStrContains(self:ok({ "-N", "/proc/" .. pid .. "/ns/net" }, "ip -o link"), "mtu 1234")
  end)
  process.sh("kill " .. pid)
  if not ok then error(err, 0) end
end

function TestRunOptions:test_hostname()
  lu.assertEquals(self:ok({ "-H", "box" }, "hostname"), "box\n")
end

function TestRunOptions:test_user_and_groups_from_the_sandbox_files()
  self.sb:write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
  self.sb:write("etc/group", "root:x:0:\nalice:x:1000:\nwheel:x:10:alice\n")
  lu.assertEquals(self:ok({ "-u", "alice" }, "id; echo $HOME"),
    "uid=1000(alice) gid=1000(alice) groups=10(wheel),1000(alice)\n/home/alice\n")
  lu.assertEquals(self:ok({ "-u", "alice", "-g", "wheel" }, "id"), "uid=1000(alice) gid=10(wheel) groups=10(wheel)\n")
  lu.assertEquals(self:ok({ "-u", "4242", "-g", "4343" }, "id; echo $HOME"), "uid=4242 gid=4343 groups=4343\n/\n")
end

function TestRunOptions:test_environment_options()
  local r = process.run({ "env", "-u", "TERM", "SECRET=1", sandbox.bin("hako-run"), "-e", "A=1", "-e", "PATH=/bin",
    self.sb.root, "/bin/env" })
  lu.assertItemsEquals(lines(r.stdout), { "A=1", "PATH=/bin", "HOME=/" })
  r = process.run({ "env", "-i", "SECRET=1", "PATH=/usr/bin:/bin", sandbox.bin("hako-run"), "--keep-env",
    "-e", "A=2", self.sb.root, "/bin/env" })
  lu.assertItemsEquals(lines(r.stdout), { "SECRET=1", "PATH=/usr/bin:/bin", "A=2", "HOME=/" })
end

function TestRunOptions:test_working_directory()
  lu.assertEquals(self:ok({ "-c", "/etc" }, "pwd"), "/etc\n")
  lu.assertEquals(self:ok({}, "pwd"), "/\n")
end

function TestRunOptions:test_pid_file_names_the_sandbox_while_it_runs()
  local pid_file = self.host .. "/sb.pid"
  local script = table.concat({
    process.quote(sandbox.bin("hako-run")) .. " -p " .. pid_file .. " " .. self.sb.root
      .. " /bin/sleep 100 & hp=$!",
    "while [ ! -e " .. pid_file .. " ]; do sleep 0.01; done",
    "child=$(echo $(cat /proc/$hp/task/$hp/children))",
    "[ \"$(cat " .. pid_file .. ")\" = \"$child\" ] && echo pid-matches",
    "ls " .. self.host,
    "kill -KILL $child; wait $hp",
    "ls " .. self.host .. " | wc -l",
  }, "\n")
  lu.assertEquals(process.sh(script), "pid-matches\nsb.pid\n0\n")
end

-- In the old mode (--userns host) uid 0 has none; a user has none in either (uid 0's set
-- in its own user namespace: userns_spec).
function TestRunOptions:test_no_capabilities_and_no_new_privs_by_default()
  local none = "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n"
    .. "CapAmb:\t0000000000000000\nNoNewPrivs:\t1\n"
  for _, options in ipairs({ { "--userns", "host" }, { "--user", "1000", "--group", "1000" } }) do
    lu.assertEquals(self:ok(options, "grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status"), none)
  end
  local out = self:ok({ "--userns", "host", "--cap-add", "CAP_NET_RAW" },
    "grep -E '^(CapEff|CapBnd)' /proc/self/status")
  lu.assertEquals(out, "CapEff:\t0000000000002000\nCapBnd:\t0000000000002000\n")
end

function TestRunOptions:test_dry_run_touches_nothing()
  local r = process.run({ sandbox.bin("hako-run"), "-n", "-m", "/nonexistent:/mnt", self.sb.root, "true" })
  lu.assertEquals(r.status, 0)
  lu.assertStrContains(r.stdout,
    "bind             devices=false dst=/mnt idmapped=true read_only=false src=/nonexistent")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
