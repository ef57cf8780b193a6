-- escape_kernel_files_spec: kernel-global files (doc/THREATS.md 11) are read-only or masked
-- inside: uid 0 there owns /proc/sys and would change the host through it. Needs root.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"

TestEscapeKernelFiles = {}

function TestEscapeKernelFiles:setUp()
  escape.set_up(self)
end

function TestEscapeKernelFiles:tearDown()
  escape.tear_down(self)
end

local function on_host(path)
  return os.execute("test -e " .. path) == true
end

-- Writing is refused inside, as uid 0, as a user, and with CAP_SYS_ADMIN (read-only is a
-- mount flag, not a permission), while root on the host may open it for writing. In its
-- own user namespace uid 0 is not the files' owner (host root, unmapped): that wall says
-- EACCES first; the read-only one is seen in the old mode (HAKO_TEST_USERNS=host).
local function read_only_answer(options)
  if options == escape.AS.user or escape.OWN_USERNS then return "BLOCKED: EACCES" end
  return "BLOCKED: EROFS"
end

function TestEscapeKernelFiles:read_only(path)
  lu.skipIf(not on_host(path), "this kernel has no " .. path)
  lu.assertEquals(escape.outside(self, nil, "open-write", path), "ESCAPED")
  for _, options in ipairs({ {}, escape.AS.user, { "--cap-add", "sys_admin" } }) do
    local got = escape.inside(self, options, "open-write", path)
    lu.assertTrue(got == read_only_answer(options) or (options == escape.AS.user and got == "BLOCKED: EROFS"),
      path .. ": " .. got)
  end
end

function TestEscapeKernelFiles:test_core_pattern_is_read_only()
  self:read_only("/proc/sys/kernel/core_pattern")
end

function TestEscapeKernelFiles:test_sysrq_trigger_is_read_only()
  self:read_only("/proc/sysrq-trigger")
end

function TestEscapeKernelFiles:test_all_of_proc_sys_is_read_only()
  self:read_only("/proc/sys/vm/drop_caches")
end

function TestEscapeKernelFiles:test_a_read_only_proc_sys_cannot_be_made_writable_again()
  local r = self.sb:sh("mount -o remount,rw /proc/sys 2>&1; mount -o remount,bind,rw /proc/sys 2>&1;"
    .. " umount /proc/sys 2>&1; /bin/probe open-write /proc/sys/kernel/core_pattern")
  lu.assertStrContains(r.stdout, read_only_answer({}) .. "\n")
end

-- Masked files read empty (or not at all) inside; root on the host reads them.
function TestEscapeKernelFiles:masked(path)
  lu.skipIf(not on_host(path), "this kernel has no " .. path)
  lu.assertEquals(escape.outside(self, nil, "read", path), "ESCAPED")
  for _, options in ipairs({ {}, escape.AS.user }) do
    lu.assertStrContains(escape.inside(self, options, "read", path), "BLOCKED: ")
  end
end

function TestEscapeKernelFiles:test_kcore_is_masked()
  self:masked("/proc/kcore")
end

function TestEscapeKernelFiles:test_keys_is_masked()
  escape.outside(self, nil, "keyring") -- makes sure the host has a key to list
  self:masked("/proc/keys")
end

function TestEscapeKernelFiles:test_timer_list_is_masked()
  self:masked("/proc/timer_list")
end

-- A masked directory is an empty read-only tmpfs: on the host it is proc's own.
function TestEscapeKernelFiles:test_masked_directories_are_empty_and_read_only()
  lu.skipIf(not on_host("/proc/acpi"), "this kernel has no /proc/acpi")
  local line = "ls -A /proc/acpi; touch /proc/acpi/x 2>&1; grep -c ' /proc/acpi .* - tmpfs ' /proc/self/mountinfo"
  lu.assertNotStrContains(process.sh("sh -c " .. process.quote(line) .. " || true"), "Read-only")
  local r = self.sb:sh(line)
  lu.assertEquals(r.stdout, "touch: /proc/acpi/x: Read-only file system\n1\n")
end

function TestEscapeKernelFiles:test_the_rest_of_proc_still_works()
  local r = self.sb:sh("cut -d' ' -f1,2 /proc/1/stat /proc/self/stat; cat /proc/sys/kernel/hostname")
  lu.assertNotNil(r.stdout:match("^1 %(hako%-run%)\n%d+ %(cut%)\nhako\n$"), r.stdout .. r.stderr)
end

-- /sys: not mounted unless asked; then read-only.
function TestEscapeKernelFiles:test_sys_is_not_mounted_by_default()
  process.sh("mkdir " .. self.sb:path("sys"))
  lu.assertEquals(self.sb:sh("ls -A /sys | wc -l").stdout, "0\n")
  lu.assertNotEquals(self.sb:sh("ls -A /sys | wc -l", { "--sys" }).stdout, "0\n")
end

function TestEscapeKernelFiles:test_sys_is_read_only_when_asked()
  local path = "/sys/kernel/mm/transparent_hugepage/enabled"
  lu.skipIf(not on_host(path), "this kernel has no " .. path)
  process.sh("mkdir " .. self.sb:path("sys"))
  lu.assertEquals(escape.outside(self, nil, "open-write", path), "ESCAPED")
  lu.assertEquals(escape.inside(self, { "--sys" }, "open-write", path), read_only_answer({}))
  lu.assertEquals(escape.inside(self, { "--sys", "--cap-add", "sys_admin" }, "open-write", path), read_only_answer({}))
end

function TestEscapeKernelFiles:test_sys_needs_a_directory_when_asked()
  local r = self.sb:run({ "--sys" }, { "/bin/true" })
  lu.assertEquals(r.status, 125)
  lu.assertEquals(r.stderr, "hako-run: /sys: no such directory in the sandbox\n")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
