-- seccomp_command_spec: hako-seccomp (run a command under a policy; --check, --print,
-- --dump) and hako-run's --seccomp and --nested-userns, with real processes.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

local SECCOMP = sandbox.bin("hako-seccomp")
local PROBE = sandbox.bin("probe")
local q = process.quote

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- The probe's "calls" lines as a table.
local function calls(out)
  local got = {}
  for name, result in out:gmatch("(%S+) (%S+)\n") do got[name] = result end
  return got
end

TestSeccompCommand = {}

function TestSeccompCommand:setUp()
  self.dir = process.sh("mktemp -d /tmp/hako-seccomp.XXXXXX"):gsub("\n$", "")
end

function TestSeccompCommand:tearDown()
  process.sh("rm -rf " .. q(self.dir))
end

function TestSeccompCommand:file(name, text)
  local path = self.dir .. "/" .. name
  write(path, text)
  return path
end

-- Fails with one line "hako-seccomp: message" and status.
local function fails(argv, status, message)
  local r = process.run({ SECCOMP, table.unpack(argv) })
  lu.assertEquals(r.stderr, "hako-seccomp: " .. message .. "\n")
  lu.assertEquals(r.status, status)
  lu.assertEquals(r.stdout, "")
end

-- Even root with every capability gets EPERM from the filter: the calls are closed by it,
-- where the probe run directly (the control) gets through or fails otherwise.
function TestSeccompCommand:test_the_default_profile_closes_calls_whoever_runs_it()
  local under = calls(process.run({ SECCOMP, "--", PROBE, "calls" }).stdout)
  local direct = calls(process.run({ PROBE, "calls" }).stdout)
  for _, name in ipairs({ "clone-newuser", "unshare-newuser", "io_uring_setup", "bpf", "userfaultfd",
    "open_tree", "setns", "kcmp", "personality", "socket-vsock", "mount", "pivot_root" }) do
    lu.assertEquals(under[name], "EPERM", name)
    lu.assertNotEquals(direct[name], "EPERM", name .. " without the filter")
  end
  lu.assertEquals(under.clone3, "ENOSYS")
  lu.assertEquals(under.newest, "ENOSYS")
end

function TestSeccompCommand:test_nested_user_namespaces_on_request()
  local got = calls(process.run({ SECCOMP, "--nested-userns", PROBE, "calls" }).stdout)
  lu.assertEquals({ got["clone-newuser"], got["unshare-newuser"], got.setns }, { "OK", "OK", "EPERM" })
end

function TestSeccompCommand:test_a_policy_file_and_its_errno()
  local policy = self:file("p.policy", "# no mkdir here\ndefault allow\nerrno EACCES mkdir mkdirat\n")
  local r = process.run({ SECCOMP, "--policy", policy, "sh", "-c", "mkdir " .. q(self.dir .. "/x") .. "; echo $?" })
  lu.assertStrContains(r.stderr, "Permission denied")
  lu.assertEquals(r.stdout, "1\n")
  lu.assertEquals(process.run({ "test", "-e", self.dir .. "/x" }).status, 1)
end

function TestSeccompCommand:test_an_oci_profile()
  local profile = self:file("docker.json", [[{
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [ { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 } ] }]])
  local r = process.run({ SECCOMP, "--policy", profile, "mkdir", self.dir .. "/x" })
  lu.assertEquals(r.status, 1)
  lu.assertStrContains(r.stderr, "Permission denied")
  lu.assertStrMatches(process.run({ SECCOMP, "--check", profile }).stdout,
    "seccomp: .*docker.json: %d+ BPF instructions\n")
end

function TestSeccompCommand:test_check_print_and_dump()
  local good = self:file("good", "errno EPERM ptrace\n@include <default>\n")
  lu.assertStrMatches(process.run({ SECCOMP, "--check", good }).stdout, "seccomp: .*/good: %d+ BPF instructions\n")
  -- What --print shows is a policy that compiles to the same filter.
  local printed = process.run({ SECCOMP, "--policy", good, "--print" }).stdout
  lu.assertStrContains(printed, "# errno EPERM ioctl: arg1 & 0xffffffff == 21522\n") -- hako's own first
  local again = self:file("again", printed)
  local dump = process.run({ SECCOMP, "--policy", good, "--dump" }).stdout
  lu.assertTrue(process.run({ SECCOMP, "--policy", again, "--dump" }).stdout == dump, "--print's policy differs")
  lu.assertStrMatches(dump, "^0000: ld %[arch%]\n.*ret KILL_PROCESS\n.*")
  lu.assertNotEquals(process.run({ SECCOMP, "--profile", "strict", "--dump" }).stdout, dump)
end

function TestSeccompCommand:test_bad_input()
  local bad = self:file("bad", "default allow\nalow read\n")
  fails({ "--check", bad }, 125, bad .. ':2: unknown action "alow"')
  fails({ "--profile", "lax", "true" }, 125, "--profile lax: expected default, strict or none")
  fails({ "--profile", "strict", "--policy", bad, "true" }, 125, "--profile strict: cannot go with a policy file")
  fails({ "--policy", self.dir .. "/none", "true" }, 125,
    "--policy " .. self.dir .. "/none: No such file or directory")
  fails({}, 125, "command: missing (try --help)")
  fails({ "no-such-command-here" }, 127, "no-such-command-here: command not found")
  fails({ "/etc/passwd" }, 126, "/etc/passwd: Permission denied")
end

-- A policy file or an @include that is a FIFO (or a device) is refused without being
-- opened: root reading a user's policy would otherwise wait for ever on a FIFO no one
-- writes. Control: the same text in a regular file is read.
function TestSeccompCommand:test_a_fifo_for_a_policy_is_refused_at_once()
  local fifo = self.dir .. "/fifo"
  process.sh("mkfifo " .. q(fifo))
  local include = self:file("include", "default allow\n@include " .. fifo .. "\n")
  for _, argv in ipairs({ { "--check", fifo }, { "--check", include }, { "--policy", fifo, "true" } }) do
    local r = process.run({ "timeout", "10", SECCOMP, table.unpack(argv) })
    lu.assertEquals(r.status, 125, table.concat(argv, " ") .. ": " .. r.stderr)
    lu.assertStrContains(r.stderr, "not a regular file")
  end
  fails({ "--check", "/dev/null" }, 125, "--check /dev/null: not a regular file")
  process.sh("rm " .. q(fifo))
  self:file("fifo", "errno EPERM ptrace\n")
  lu.assertStrMatches(process.run({ SECCOMP, "--check", include }).stdout, "seccomp: .*: %d+ BPF instructions\n")
end

-- hako-run --seccomp: a file, a profile, none, and the refusal of a bad one before
-- anything is made.
TestRunSeccomp = {}

function TestRunSeccomp:setUp()
  escape.set_up(self)
end

function TestRunSeccomp:tearDown()
  escape.tear_down(self)
end

function TestRunSeccomp:test_a_policy_file_closes_what_it_says()
  local policy = self.host .. "/p.policy"
  -- Before the profile: the first rule that holds decides.
  write(policy, "errno EACCES mkdir mkdirat\n@include <default>\n")
  lu.assertEquals(self.sb:sh("mkdir /tmp/x 2>&1; echo $?", { "--seccomp", policy }).stdout,
    "mkdir: can't create directory '/tmp/x': Permission denied\n1\n")
  lu.assertEquals(self.sb:sh("mkdir /tmp/x; echo $?", { "--seccomp", "none" }).stdout, "0\n")
end

-- A recipe gives the policy as a table (hako.seccomp_table), the same rules as a file.
function TestRunSeccomp:test_a_recipes_table()
  local recipe = self.host .. "/recipe.lua"
  write(recipe, string.format([[
local hako = require "hako"
os.exit(hako.run({ root = %q, command = { "/bin/sh", "-c", "mkdir /tmp/x; echo $?" },
  seccomp = { default = "allow", rules = { { "mkdir", "mkdirat", action = "errno EACCES" } } } }))
]], self.sb.root))
  local r = process.run({ sandbox.bin("hako"), recipe })
  lu.assertEquals(r.stdout, "1\n")
  lu.assertStrContains(r.stderr, "Permission denied")
end

function TestRunSeccomp:test_strict_closes_inet_sockets()
  lu.assertEquals(escape.inside(self, { "--seccomp", "strict" }, "net", "udp", "9"), "BLOCKED: EPERM")
  lu.assertNotEquals(escape.inside(self, {}, "net", "udp", "9"), "BLOCKED: EPERM")
end

function TestRunSeccomp:test_nested_user_namespaces_on_request()
  local got = calls(self.sb:run({ "--nested-userns" }, { "/bin/probe", "calls" }).stdout)
  lu.assertEquals({ got["clone-newuser"], got["unshare-newuser"] }, { "OK", "OK" })
end

function TestRunSeccomp:test_dry_run_says_the_filter()
  lu.assertStrMatches(self.sb:run({ "--dry-run" }, { "/bin/true" }).stdout,
    ".*\nseccomp: default: %d+ BPF instructions\nlandlock: .*")
  lu.assertStrMatches(self.sb:run({ "-n", "--seccomp", "strict", "--nested-userns" }, { "/bin/true" }).stdout,
    ".*\nseccomp: strict %(nested user namespaces allowed%): %d+ BPF instructions\nlandlock: .*")
end

function TestRunSeccomp:test_a_bad_policy_is_refused_before_anything_is_made()
  local bad = self.host .. "/bad.policy"
  write(bad, "default allow\nallow frobnicate\n")
  local r = self.sb:run({ "--seccomp", bad }, { "/bin/true" })
  lu.assertEquals(r.stderr, "hako-run: --seccomp " .. bad .. ": unknown system call frobnicate\n")
  lu.assertEquals(r.status, 125)
  r = self.sb:run({ "--seccomp", "no-such-profile" }, { "/bin/true" })
  lu.assertStrMatches(r.stderr, "hako%-run: %-%-seccomp no%-such%-profile: No such file or directory\n")
  lu.assertEquals(r.status, 125) -- and tearDown finds the host's mounts as they were
end

os.exit(lu.LuaUnit.run("-o", "tap"))
