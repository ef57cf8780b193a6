-- enter_spec: hako-enter joins real running sandboxes (needs root; skipped with the reason
-- otherwise). Each test starts a sandbox in the background and kills it in tearDown.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"
local support = require "support.enter"

local RECORDS, ENTER, q = support.RECORDS, support.ENTER, process.quote
local poll, read, alive, enter, fails, lines, entered_sleep = support.poll, support.read,
  support.alive, support.enter, support.fails, support.lines, support.entered_sleep

TestEnter = support.suite()

function TestEnter:test_the_seed_example()
  local help = process.run({ sandbox.bin("hako-run"), "--help" }).stdout
  lu.skipIf(not help:find("--pid-file", 1, true), "hako-run --pid-file comes with issue 3")
  local pidfile = self.sb.root .. ".pid"
  self.files[#self.files + 1] = pidfile
  self:start({ "--pid-file", pidfile })
  local pid = assert(poll(function() return (read(pidfile) or ""):match("%d+") end))
  local r = process.run({ "sh", "-c", q(ENTER) .. " --fork $(cat " .. q(pidfile) .. ") /bin/sh" }, "echo $$\n")
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertTrue(tonumber(r.stdout) < 10, r.stdout)
  lu.assertNotEquals(pid, "")
end

function TestEnter:test_hako_run_pid_leads_to_its_sandbox()
  -- A pid file may hold hako-run's own pid: its record names it as the supervisor.
  local r = enter({ self.supervisors[1], "hostname" })
  lu.assertEquals(r.stdout, "hako\n", r.stderr)
end

-- The command gets what the record says, not what hako-enter has: rewrite the record
-- the way a sandbox with fewer rights would have it.
function TestEnter:test_the_recorded_policy_is_applied()
  process.sh("chmod 755 " .. self.sb.root)
  local path = RECORDS .. "/" .. self.pid
  local text = assert(read(path))
  local f = assert(io.open(path, "w"))
  f:write((text:gsub("\npolicy.uid 0\n", "\npolicy.uid 1000\n"):gsub("\npolicy.gid 0\n", "\npolicy.gid 100\n")
    :gsub("\npolicy.groups [^\n]*\n", "\npolicy.groups 100 5 6\n"):gsub("\npolicy.caps [^\n]*\n", "\npolicy.caps 10\n")
    :gsub("\npolicy.env [^\n]*", "") .. "policy.env ONLY=this\n"))
  f:close()
  lu.assertEquals(enter({ self.pid, "/bin/env" }).stdout, "ONLY=this\n")
  local r = enter({ self.pid, "/bin/sh", "-c", "id -u; id -g; id -G;"
    .. " grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertEquals(r.stdout, table.concat({ "1000", "100", "100 5 6",
    "CapInh:\t0000000000000400", "CapPrm:\t0000000000000400", "CapEff:\t0000000000000400",
    "CapBnd:\t0000000000000400", "CapAmb:\t0000000000000400", "NoNewPrivs:\t1", "" }, "\n"))
end

-- A rootless sandbox (hako-run as nobody, through a user namespace) keeps its record in
-- its owner's runtime directory: the owner may enter it, root too, another user not.
function TestEnter:test_a_rootless_sandbox_is_entered_by_its_owner_and_by_root()
  local nobody, run_dir = support.NOBODY, "/run/user/65534"
  local pid = self:start_rootless()
  local script = "echo $$; id -u; cat /proc/self/uid_map"
  local owner = process.run({ "sh", "-c", nobody .. "env XDG_RUNTIME_DIR=" .. run_dir .. " "
    .. q(ENTER) .. " " .. pid .. " /bin/sh -c " .. q(script) })
  lu.assertEquals(owner.stderr, "")
  lu.assertStrMatches(owner.stdout, "%d\n0\n%s*0%s+65534%s+1\n")
  local root = enter({ pid, "/bin/sh", "-c", script })
  lu.assertEquals(root.stderr, "")
  lu.assertStrMatches(root.stdout, "%d\n0\n%s*0%s+65534%s+1\n")
  local other = process.run({ "setpriv", "--reuid=65533", "--regid=65533", "--clear-groups",
    "env", "-u", "XDG_RUNTIME_DIR", ENTER, pid, "true" })
  lu.assertEquals(other.stderr, "hako-enter: " .. pid
    .. ": permission denied (only root or the sandbox's owner can enter it)\n")
end

-- --net PATH: the sandbox joins that namespace in its own steps, after hako-run may have
-- read /proc/PID/ns/net; the record must name the joined one, or hako-enter refuses it.
function TestEnter:test_a_sandbox_in_a_named_network_namespace_can_be_entered()
  local name = "hako-test-" .. self.pid
  process.sh("ip netns add " .. name .. " && ip netns exec " .. name .. " ip link set lo mtu 1234")
  local ok, err = pcall(function()
    local pid = self:start({ "-N", "/run/netns/" .. name })
    local r = enter({ pid, "ip", "-o", "link" })
    lu.assertEquals(r.stderr, "")
    lu.assertStrContains(r.stdout, "mtu 1234")
  end)
  process.sh("ip netns delete " .. name)
  if not ok then error(err, 0) end
end

function TestEnter:test_the_shell_is_in_the_sandbox_pid_namespace()
  local r = enter({ "--fork", self.pid, "/bin/sh" }, "echo $$\n")
  lu.assertEquals(r.status, 0, r.stderr)
  local pid = tonumber(r.stdout)
  lu.assertTrue(pid ~= nil and pid > 1 and pid < 10, r.stdout)
end

function TestEnter:test_ps_sees_the_sandbox_processes_and_not_hako_enter()
  local r = enter({ self.pid, "ps", "-o", "pid,comm" })
  lu.assertEquals(r.status, 0, r.stderr)
  local seen = lines(r.stdout)
  table.remove(seen, 1)
  -- hako's init, the sandbox's command, and ps; hako-enter itself is outside.
  lu.assertEquals(#seen, 3, r.stdout)
  lu.assertStrMatches(seen[1], "%s*1 hako%-run")
  lu.assertStrMatches(seen[2], "%s*2 sleep")
  lu.assertStrMatches(seen[3], "%s*%d+ ps")
end

function TestEnter:test_hostname_mounts_root_and_uid_are_the_sandbox_own()
  local r = enter({ self.pid, "/bin/sh", "-c",
    "hostname; id -u; ls /; cmp /proc/1/mountinfo /proc/self/mountinfo && echo same-mounts; pwd" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertEquals(r.stdout, "hako\n0\nbin\ndev\netc\nmnt\nproc\ntmp\nsame-mounts\n/\n")
end

function TestEnter:test_capabilities_and_no_new_privs_are_the_sandbox_own()
  local r = enter({ self.pid, "/bin/sh", "-c",
    "grep -E '^(CapBnd|CapEff|CapPrm|NoNewPrivs)' /proc/1/status; echo --;"
      .. " grep -E '^(CapBnd|CapEff|CapPrm|NoNewPrivs)' /proc/self/status" })
  lu.assertEquals(r.status, 0, r.stderr)
  local sandbox_own, entered = r.stdout:match("^(.*)%-%-\n(.*)$")
  lu.assertEquals(entered, sandbox_own)
  lu.assertStrContains(entered, "NoNewPrivs:\t1")
end

function TestEnter:test_the_environment_is_the_sandbox_own_unless_overridden()
  local r = process.run({ "env", "SECRET=1", ENTER, self.pid, "/bin/env" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertNotStrContains(r.stdout, "SECRET")
  lu.assertStrContains(r.stdout, "HOME=/\n")
  r = process.run({ "env", "SECRET=1", ENTER, "-e", "SECRET=3", "-e", "HOME=/tmp", self.pid, "/bin/env" })
  lu.assertStrContains(r.stdout, "SECRET=3\n")
  lu.assertStrContains(r.stdout, "HOME=/tmp\n")
  r = process.run({ "env", "SECRET=2", ENTER, "--keep-env", self.pid, "/bin/env" })
  lu.assertStrContains(r.stdout, "SECRET=2\n")
end

function TestEnter:test_user_and_groups_can_be_overridden()
  process.sh("chmod 755 " .. self.sb.root)
  self.sb:write("etc/passwd", "root:x:0:0::/root:/bin/sh\njoe:x:1000:100::/home/joe:/bin/sh\n")
  self.sb:write("etc/group", "root:x:0:\nusers:x:100:\nwheel:x:10:joe\n")
  local r = enter({ "-u", "joe", self.pid, "/bin/sh", "-c",
    "id -u; id -g; id -G; echo $HOME; grep -E '^CapEff' /proc/self/status" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertEquals(r.stdout, "1000\n100\n100 10\n/home/joe\nCapEff:\t0000000000000000\n")
  r = enter({ "-u", "1000", "-g", "wheel", self.pid, "/bin/sh", "-c", "id -u; id -G" })
  lu.assertEquals(r.stdout, "1000\n10\n", r.stderr)
  lu.assertEquals(enter({ "-u", "nobody", self.pid, "true" }).stderr,
    "hako-enter: --user nobody: no such user in the sandbox's /etc/passwd\n")
end

function TestEnter:test_a_double_dash_may_come_before_or_after_the_pid()
  lu.assertEquals(enter({ "--", self.pid, "echo", "-n", "a" }).stdout, "a")
  lu.assertEquals(enter({ self.pid, "--", "echo", "-n", "b" }).stdout, "b")
end

function TestEnter:test_chdir()
  lu.assertEquals(enter({ "-c", "/etc", self.pid, "pwd" }).stdout, "/etc\n")
end

function TestEnter:test_no_host_file_descriptor_reaches_the_command()
  local r = process.run({ "sh", "-c", q(ENTER) .. " " .. self.pid
    .. " /bin/sh -c 'ls /proc/$$/fd; :' 7</etc/hostname 9>/dev/null" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertEquals(lines(r.stdout), { "0", "1", "2" })
end

function TestEnter:test_exit_status_and_forwarded_signals()
  lu.assertEquals(enter({ self.pid, "sh", "-c", "exit 42" }).status, 42)
  lu.assertEquals(enter({ self.pid, "sh", "-c", "kill -KILL $$" }).status, 137)
  local script = entered_sleep(self.pid) .. "\nkill -TERM $e; wait $e; echo $?"
  lu.assertEquals(process.sh(script), "143\n")
end

function TestEnter:test_the_command_dies_with_hako_enter()
  local script = entered_sleep(self.pid) .. "\n" .. table.concat({
    "kill -KILL $e; wait $e",
    "i=0; while [ -e /proc/$c ] && ! grep -q '^State:.Z' /proc/$c/status 2>/dev/null; do",
    "  i=$((i+1)); [ $i -gt 500 ] && break; sleep 0.02; done",
    "[ -e /proc/$c ] && grep -q '^State:.Z' /proc/$c/status 2>/dev/null || [ ! -e /proc/$c ] && echo gone",
  }, "\n")
  lu.assertEquals(process.sh(script), "gone\n")
end

function TestEnter:test_no_fork_execs_in_place_outside_the_pid_namespace()
  local r = enter({ "--no-fork", self.pid, "/bin/sh", "-c", "echo $$; hostname" })
  lu.assertEquals(r.status, 0, r.stderr)
  local pid, host = r.stdout:match("^(%d+)\n(.*)$")
  lu.assertTrue(tonumber(pid) > 1)
  lu.assertEquals(host, "hako\n")
end

function TestEnter:test_errors()
  fails({ "99999999999" }, 125, "pid 99999999999: not a number")
  fails({ "a/b" }, 125, "name a/b: neither a pid nor a sandbox's name (a name: expected 1 to 64 letters,"
    .. " digits, '_', '.' or '-', starting with a letter or digit)")
  fails({}, 125, "pid: missing (usage: hako-enter [options] <pid>|<name> [command])")
  fails({ "-c", "/nope", self.pid, "true" }, 125, "working directory /nope: No such file or directory")
  fails({ self.pid, "nosuch" }, 127, "nosuch: command not found")
  fails({ self.pid, "/etc" }, 126, "/etc: Permission denied")
  fails({ "--bogus", self.pid }, 125, "--bogus: unknown option (try --help)")
end

function TestEnter:test_a_host_process_is_not_a_sandbox()
  local host = process.sh("sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  self.helpers[#self.helpers + 1] = host
  fails({ host, "true" }, 125, host .. ": not a hako sandbox (no record in /run/hako)")
end

function TestEnter:test_a_dead_sandbox_is_refused_and_its_record_gone()
  os.execute("kill -KILL " .. self.pid)
  assert(poll(function() return not read(RECORDS .. "/" .. self.pid) end), "record left behind")
  fails({ self.pid, "true" }, 125, self.pid .. ": no such process")
end

-- hako-run SIGKILLed: the sandbox dies with it and the record stays; hako-enter sees
-- through it, and through the same record put on a live process (a reused pid).
function TestEnter:test_a_stale_record_and_a_reused_pid_are_refused()
  local supervisor = self.supervisors[1]
  os.execute("kill -KILL " .. supervisor)
  assert(poll(function() return not alive(self.pid) end), "the sandbox outlived hako-run")
  local stale = assert(read(RECORDS .. "/" .. self.pid), "the record should stay after SIGKILL")
  self.files[#self.files + 1] = RECORDS .. "/" .. self.pid
  fails({ self.pid, "true" }, 125, self.pid .. ": no such process")
  local reused = process.sh("sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  self.helpers[#self.helpers + 1] = reused
  local f = assert(io.open(RECORDS .. "/" .. reused, "w"))
  f:write((stale:gsub("\npid %d+\n", "\npid " .. reused .. "\n")))
  f:close()
  self.files[#self.files + 1] = RECORDS .. "/" .. reused
  fails({ reused, "true" }, 125, reused .. ": not a hako sandbox (stale record: the recorded process"
    .. " has ended and its pid was reused)")
end

function TestEnter:test_a_record_that_does_not_match_is_refused()
  local path = RECORDS .. "/" .. self.pid
  local text = assert(read(path))
  local f = assert(io.open(path, "w"))
  f:write((text:gsub("\nns%.mnt (%d+:%d+) %d+\n", "\nns.mnt %1 1\n")))
  f:close()
  fails({ self.pid, "true" }, 125, self.pid .. ": record mismatch: mnt namespace is not the recorded one")
end

function TestEnter:test_permission_denied_for_another_user()
  local r = process.run({ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
    "env", "-u", "XDG_RUNTIME_DIR", ENTER, self.pid, "true" })
  lu.assertEquals(r.stderr, "hako-enter: " .. self.pid
    .. ": permission denied (only root or the sandbox's owner can enter it)\n")
  lu.assertEquals(r.status, 125)
end

function TestEnter:test_a_namespace_that_cannot_be_joined()
  -- Root without CAP_SYS_ADMIN may read the record but not join a mount namespace of the
  -- host's user namespace (--userns host). One of a sandbox's own user namespace it may:
  -- root owns that namespace, and has every capability there once it has joined it.
  local pid = self:start({ "--userns", "host" })
  local r = process.run({ "setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin",
    ENTER, pid, "true" })
  lu.assertEquals(r.stderr, "hako-enter: join the namespaces of " .. pid .. ": Operation not permitted\n")
  lu.assertEquals(r.status, 125)
  if sandbox.USERNS ~= "host" then
    r = process.run({ "setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", ENTER, self.pid, "true" })
    lu.assertEquals(r.status, 0, r.stderr)
  end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
