-- run_spec: hako-run makes a real sandbox (needs root; skipped with the reason otherwise).
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local ROOT = process.is_root()

local function mountinfo(t)
  return sandbox.host_mounts({ t.sb and t.sb.root })
end

TestRun = {}

function TestRun:setUp()
  lu.skipIf(not ROOT, "needs root (rootless hako-run is a later feature)")
  self.mounts = mountinfo(self)
  self.sb = sandbox.new()
end

function TestRun:tearDown()
  if not self.sb then return end
  self.sb:remove()
  -- Whatever the test did, the host's mount table is as it was.
  lu.assertEquals(mountinfo(self), self.mounts)
end

function TestRun:test_the_command_runs_under_hako_init_in_a_new_pid_namespace()
  local r = self.sb:sh("echo $$ $PPID")
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertEquals(r.stdout, "2 1\n")
  r = self.sb:run({ "--as-pid-1" }, { "/bin/sh", "-c", "echo $$" })
  lu.assertEquals(r.stdout, "1\n")
end

function TestRun:test_only_sandbox_processes_are_visible()
  local r = self.sb:sh("ps -o pid,comm")
  lu.assertEquals(r.status, 0, r.stderr)
  local pids = {}
  for pid in r.stdout:gmatch("\n%s*(%d+)") do pids[#pids + 1] = tonumber(pid) end
  lu.assertEquals(pids, { 1, 2 }) -- hako's init, and the command (sh exec'd ps)
end

function TestRun:test_hostname_is_the_sandbox_own()
  local host = process.sh("hostname")
  -- Changing it needs CAP_SYS_ADMIN, dropped by default: keep it for this test.
  local r = self.sb:sh("hostname; hostname changed; hostname", { "--cap-add", "sys_admin" })
  lu.assertEquals(r.stdout, "hako\nchanged\n")
  r = self.sb:sh("hostname changed")
  lu.assertEquals(r.status, 1)
  lu.assertEquals(process.sh("hostname"), host)
  r = self.sb:run({ "--hostname", "box" }, { "hostname" })
  lu.assertEquals(r.stdout, "box\n")
end

function TestRun:test_the_host_filesystem_is_not_visible()
  local r = self.sb:sh("ls -a / && ls -a /.hako && cat /etc/os-release")
  lu.assertEquals(r.stdout, ".\n..\n.hako\nbin\ndev\netc\nmnt\nproc\ntmp\n.\n..\n")
  lu.assertStrContains(r.stderr, "/etc/os-release")
  lu.assertEquals(r.status, 1)
end

function TestRun:test_the_old_root_is_not_mounted_inside()
  -- (what is mounted under /proc are its own masks, see escape_kernel_files_spec)
  local r = self.sb:sh("cut -d' ' -f5 /proc/self/mountinfo | grep -v '^/proc/'", { "--no-dev" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertEquals(r.stdout, "/\n/proc\n") -- the root and its /proc, nothing of the host
end

function TestRun:test_exit_statuses_pass_through()
  for _, code in ipairs({ 0, 1, 42, 255 }) do
    lu.assertEquals(self.sb:sh("exit " .. code).status, code)
  end
end

function TestRun:test_a_command_killed_by_a_signal_gives_128_plus_n()
  -- Kill the sandbox's first process (hako's init) from the host.
  local script = table.concat({
    process.quote(sandbox.bin("hako-run")) .. " " .. self.sb.root .. " /bin/sleep 100 & hp=$!",
    "while [ -z \"$(cat /proc/$hp/task/$hp/children 2>/dev/null)\" ]; do sleep 0.01; done",
    "kill -KILL $(cat /proc/$hp/task/$hp/children)",
    "wait $hp; echo $?",
  }, "\n")
  lu.assertEquals(process.sh(script), "137\n")
end

function TestRun:test_options_after_the_target_belong_to_the_command()
  local r = self.sb:run({}, { "/bin/ls", "-a", "/.hako" })
  lu.assertEquals(r.stdout, ".\n..\n")
end

function TestRun:test_a_name_without_slash_is_found_in_path_inside()
  local r = self.sb:run({}, { "echo", "found" })
  lu.assertEquals(r.stdout, "found\n")
end

function TestRun:test_clean_environment()
  local r = process.run({ "env", "SECRET=1", "TERM=vt100", sandbox.bin("hako-run"), self.sb.root, "/bin/env" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertItemsEquals((function()
    local lines = {}
    for line in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = line end
    return lines
  end)(), { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "TERM=vt100" })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
