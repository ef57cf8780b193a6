-- run_errors_spec: bad input gets one line, the right status, and leaves the host as it was.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local ROOT = process.is_root()

local function snapshot(sb)
  return sandbox.host_mounts({ sb.root }) .. process.sh("find " .. sb.root .. " | sort")
end

TestRunErrors = {}

function TestRunErrors:setUp()
  self.sb = sandbox.new()
end

function TestRunErrors:tearDown()
  self.sb:remove()
end

-- hako-run with argv fails with status and exactly one line matching message.
local function fails(sb, argv, status, message)
  local before = snapshot(sb)
  local r = process.run({ sandbox.bin("hako-run"), table.unpack(argv) })
  lu.assertEquals(r.status, status, r.stderr)
  lu.assertEquals(r.stdout, "")
  lu.assertEquals(r.stderr, "hako-run: " .. message .. "\n")
  lu.assertEquals(snapshot(sb), before)
end

function TestRunErrors:test_missing_target()
  fails(self.sb, {}, 125, "target: missing (usage: hako-run [options] <target> [command])")
  fails(self.sb, { self.sb.root .. "/nope" }, 125,
    "target " .. self.sb.root .. "/nope: No such file or directory")
end

function TestRunErrors:test_target_is_not_a_directory()
  self.sb:write("file", "")
  fails(self.sb, { self.sb:path("file") }, 125, "target " .. self.sb:path("file") .. ": not a directory")
end

function TestRunErrors:test_old_root_missing()
  process.sh("rmdir " .. self.sb:path(".hako"))
  fails(self.sb, { self.sb.root, "/bin/true" }, 125,
    self.sb:path(".hako") .. ": missing: create it as an empty directory, pivot_root needs it")
end

function TestRunErrors:test_old_root_not_empty()
  self.sb:write(".hako/x", "")
  fails(self.sb, { self.sb.root, "/bin/true" }, 125, self.sb:path(".hako") .. ": not empty")
end

function TestRunErrors:test_old_root_is_a_symlink()
  process.sh("rmdir " .. self.sb:path(".hako") .. " && ln -s /tmp " .. self.sb:path(".hako"))
  fails(self.sb, { self.sb.root, "/bin/true" }, 125,
    self.sb:path(".hako") .. ": is a symbolic link, not a directory")
end

function TestRunErrors:test_old_root_is_a_file()
  process.sh("rmdir " .. self.sb:path(".hako") .. " && touch " .. self.sb:path(".hako"))
  fails(self.sb, { self.sb.root, "/bin/true" }, 125, self.sb:path(".hako") .. ": not a directory")
end

function TestRunErrors:test_unknown_option()
  fails(self.sb, { "--bogus", self.sb.root }, 125, "--bogus: unknown option (try --help)")
end

function TestRunErrors:test_command_not_found()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  fails(self.sb, { self.sb.root, "nosuch" }, 127, "nosuch: command not found")
  fails(self.sb, { self.sb.root, "/bin/nosuch" }, 127, "/bin/nosuch: No such file or directory")
end

function TestRunErrors:test_command_not_executable()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  self.sb:write("etc/data", "not a program")
  fails(self.sb, { self.sb.root, "/etc/data" }, 126, "/etc/data: Permission denied")
  fails(self.sb, { self.sb.root, "/etc" }, 126, "/etc: Permission denied")
end

function TestRunErrors:test_no_process_is_left_behind()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  fails(self.sb, { self.sb.root, "nosuch" }, 127, "nosuch: command not found")
  -- "[/]tmp/..." matches the sandbox path but not this pgrep's own shell.
  local pattern = "[/]" .. self.sb.root:sub(2)
  lu.assertEquals(process.sh("pgrep -f '" .. pattern .. "' || true"), "")
end

-- Options: each bad value named in one line, before or while the sandbox is made.

function TestRunErrors:test_mount_source_missing()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  fails(self.sb, { "-m", "/nonexistent:/mnt", self.sb.root, "true" }, 125,
    "mount source /nonexistent: No such file or directory")
end

function TestRunErrors:test_mount_destination_missing()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  fails(self.sb, { "-m", "/etc:/nonexistent", self.sb.root, "true" }, 125,
    "mount destination /nonexistent: No such file or directory")
end

function TestRunErrors:test_mount_destination_of_another_type()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  fails(self.sb, { "-m", "/etc/hostname:/mnt", self.sb.root, "true" }, 125,
    "mount destination /mnt: is a directory, the source a file")
end

function TestRunErrors:test_mount_destination_relative_or_escaping()
  fails(self.sb, { "-m", "/etc:mnt", self.sb.root }, 125, "--mount /etc:mnt: destination mnt must be absolute")
  fails(self.sb, { "-m", "/etc:/mnt/../..", self.sb.root }, 125,
    "--mount /etc:/mnt/../..: destination /mnt/../.. must not contain ..")
end

function TestRunErrors:test_malformed_mount_specs()
  fails(self.sb, { "-m", "a", self.sb.root }, 125, "--mount a: expected SRC:DST[:ro|:rw]")
  fails(self.sb, { "-m", "a::b", self.sb.root }, 125, "--mount a::b: empty destination")
  fails(self.sb, { "-m", "a:b:c:d", self.sb.root }, 125, "--mount a:b:c:d: expected SRC:DST[:ro|:rw]")
  fails(self.sb, { "-m", "a:/b:xx", self.sb.root }, 125, "--mount a:/b:xx: mode xx must be ro or rw")
  fails(self.sb, { "-m", "", self.sb.root }, 125, "--mount: empty (expected SRC:DST[:ro|:rw])")
  fails(self.sb, { "-t", "/tmp:lots", self.sb.root }, 125,
    "--tmpfs /tmp:lots: size lots must be a number with an optional k, m, g or % suffix")
end

function TestRunErrors:test_unknown_user_and_group()
  self.sb:write("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
  self.sb:write("etc/group", "root:x:0:\n")
  fails(self.sb, { "-u", "mallory", self.sb.root }, 125, "--user mallory: no such user in the sandbox's /etc/passwd")
  fails(self.sb, { "-g", "staff", self.sb.root }, 125, "--group staff: no such group in the sandbox's /etc/group")
  fails(self.sb, { "-u", "", self.sb.root }, 125, "--user: must not be empty")
  fails(self.sb, { "-u", "4242", self.sb.root }, 125, "--user 4242: not in the sandbox's /etc/passwd: give --group too")
end

function TestRunErrors:test_bad_id_numbers()
  fails(self.sb, { "-u", "99999999999", "-g", "0", self.sb.root }, 125, "--user 99999999999: out of range")
  fails(self.sb, { "-u", "0", "-g", "4294967295", self.sb.root }, 125, "--group 4294967295: out of range")
end

-- The user's passwd file is a symlink out of the sandbox: hako does not read the host's.
function TestRunErrors:test_passwd_symlink_does_not_reach_the_host()
  process.sh("ln -s /etc/passwd " .. self.sb:path("etc/passwd"))
  fails(self.sb, { "-u", "root", self.sb.root }, 125, "--user root: no such user in the sandbox's /etc/passwd")
end

-- A FIFO or a device node in the tree's place of /etc/passwd is never opened by hako-run.
function TestRunErrors:test_passwd_that_is_not_a_regular_file_is_not_read()
  process.sh("mkfifo " .. self.sb:path("etc/passwd"))
  fails(self.sb, { "-u", "root", self.sb.root }, 125, "--user root: no such user in the sandbox's /etc/passwd")
end

function TestRunErrors:test_pid_file_directory_missing()
  fails(self.sb, { "-p", self.sb:path("nodir/sb.pid"), self.sb.root }, 125,
    "--pid-file " .. self.sb:path("nodir/sb.pid") .. ": No such file or directory")
end

function TestRunErrors:test_pid_file_directory_not_writable()
  fails(self.sb, { "-p", "/sys/hako.pid", self.sb.root }, 125, "--pid-file /sys/hako.pid: Permission denied")
end

function TestRunErrors:test_pid_file_that_names_a_directory()
  local dir = self.sb:path("etc")
  fails(self.sb, { "-p", dir .. "/", self.sb.root }, 125, "--pid-file " .. dir .. "/: not a file name")
  fails(self.sb, { "-p", dir .. "/..", self.sb.root }, 125, "--pid-file " .. dir .. "/..: not a file name")
  fails(self.sb, { "-p", dir, self.sb.root }, 125, "--pid-file " .. dir .. ": exists and is not a regular file")
end

function TestRunErrors:test_pid_file_is_a_symlink()
  process.sh("ln -s " .. self.sb:path("etc/target") .. " " .. self.sb:path("sb.pid"))
  fails(self.sb, { "-p", self.sb:path("sb.pid"), self.sb.root }, 125,
    "--pid-file " .. self.sb:path("sb.pid") .. ": is a symbolic link, refused")
end

function TestRunErrors:test_net_path_is_not_a_network_namespace()
  fails(self.sb, { "--net", "/etc/hostname", self.sb.root }, 125, "--net /etc/hostname: not a network namespace")
  fails(self.sb, { "--net", "/proc/self/ns/uts", self.sb.root }, 125,
    "--net /proc/self/ns/uts: not a network namespace")
  fails(self.sb, { "--net", "/nonexistent", self.sb.root }, 125, "--net /nonexistent: No such file or directory")
  fails(self.sb, { "--net", "bridge", self.sb.root }, 125,
    "--net bridge: expected none, host or the path of a network namespace file")
end

function TestRunErrors:test_hostname_too_long()
  local name = string.rep("h", 65)
  fails(self.sb, { "-H", name, self.sb.root }, 125, "hostname " .. name .. ": longer than 64 bytes")
end

function TestRunErrors:test_env_without_equals()
  fails(self.sb, { "-e", "FOO", self.sb.root }, 125, "--env FOO: expected NAME=VALUE")
end

function TestRunErrors:test_chdir_missing()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  fails(self.sb, { "-c", "/nonexistent", self.sb.root, "true" }, 125,
    "working directory /nonexistent: No such file or directory")
end

function TestRunErrors:test_proc_asked_for_but_missing_or_a_symlink()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  process.sh("rmdir " .. self.sb:path("proc"))
  fails(self.sb, { "--proc", self.sb.root, "true" }, 125, "/proc: no such directory in the sandbox")
  process.sh("ln -s /tmp " .. self.sb:path("proc"))
  fails(self.sb, { self.sb.root, "true" }, 125, "/proc: is a symbolic link in the sandbox, refused")
end

function TestRunErrors:test_missing_value_of_an_option()
  fails(self.sb, { "-m" }, 125, "-m: missing value SRC:DST[:ro|:rw] (try --help)")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
