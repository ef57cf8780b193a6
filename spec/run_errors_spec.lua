-- run_errors_spec: bad input gets one line, the right status, and leaves the host as it was.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local ROOT = process.is_root()

local function snapshot(sb)
  return process.sh("cat /proc/self/mountinfo | sort; find " .. sb.root .. " | sort")
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

os.exit(lu.LuaUnit.run("-o", "tap"))
