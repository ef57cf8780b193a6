-- record_fallback_spec: a rootless hako-run without XDG_RUNTIME_DIR (cron, su) keeps its
-- record in /tmp/hako-UID, made 0700 and checked as any runtime directory is, so its
-- sandbox can be entered; one someone else made first is refused, and says so. Needs
-- root (to drop to other users); skipped with the reason otherwise.
local lu = require "luaunit"
local process = require "support.process"
local support = require "support.enter"

local ENTER, q = support.ENTER, process.quote
local HAKO_RUN = require("support.sandbox").bin("hako-run")

-- Uid 65534 without XDG_RUNTIME_DIR; its fallback directory.
local NOBODY = support.NOBODY .. "env -u XDG_RUNTIME_DIR "
local FALLBACK = "/tmp/hako-65534"
-- A uid of these tests' own, whose /tmp/hako-UID another user makes first.
local VICTIM, SQUATTED = 61234, "/tmp/hako-61234"

TestRecordFallback = support.suite()

function TestRecordFallback:setUp()
  getmetatable(TestRecordFallback).setUp(self)
  lu.skipIf(not os.execute(support.NOBODY .. "unshare -U true 2>/dev/null"), "no user namespaces for nobody here")
  process.sh("chmod 755 " .. self.sb.root)
end

function TestRecordFallback:test_without_xdg_runtime_dir_the_record_is_in_tmp_and_the_sandbox_entered()
  if not os.execute("test -e " .. FALLBACK) then self.dirs[#self.dirs + 1] = FALLBACK end
  local pid = self:start({}, NOBODY, FALLBACK)
  lu.assertEquals(process.sh("stat -c '%F %U %a' " .. FALLBACK), "directory nobody 700\n")
  lu.assertEquals(process.sh("stat -c '%U %a' " .. FALLBACK .. "/" .. pid), "nobody 600\n")
  -- Its owner, from cron too, and root (who looks in /tmp/hako-UID of the process's uid).
  local owner = process.run({ "sh", "-c", NOBODY .. q(ENTER) .. " " .. pid .. " /bin/sh -c 'id -u; hostname'" })
  lu.assertEquals(owner.stderr, "")
  lu.assertEquals(owner.stdout, "0\nhako\n")
  local root = support.enter({ pid, "/bin/sh", "-c", "id -u; hostname" })
  lu.assertEquals(root.stderr, "")
  lu.assertEquals(root.stdout, "0\nhako\n")
end

local function run_as_victim(sb)
  return process.run({ "setpriv", "--reuid=" .. VICTIM, "--regid=" .. VICTIM, "--clear-groups",
    "env", "-u", "XDG_RUNTIME_DIR", HAKO_RUN, sb.root, "/bin/touch", "/tmp/ran" })
end

-- /tmp is everyone's: another user may make /tmp/hako-UID first, as a directory of its
-- own or a symlink to one, to read or plant the victim's records. Refused, and explained.
function TestRecordFallback:test_a_fallback_directory_someone_else_made_is_refused()
  lu.skipIf(os.execute("test -e " .. SQUATTED .. " -o -L " .. SQUATTED), SQUATTED .. " exists already")
  process.sh("chmod 1777 " .. self.sb:path("tmp"))
  self.dirs[#self.dirs + 1] = SQUATTED
  process.sh("mkdir -m 700 " .. SQUATTED .. " && chown 65534:65534 " .. SQUATTED)
  local r = run_as_victim(self.sb)
  lu.assertEquals(r.stderr, "hako-run: runtime directory " .. SQUATTED .. ": owned by uid 65534: someone else"
    .. " made it (remove it, or set XDG_RUNTIME_DIR)\n")
  lu.assertEquals(r.status, 125)
  process.sh("rmdir " .. SQUATTED .. " && ln -s " .. self.sb.root .. " " .. SQUATTED
    .. " && chown -h 65534:65534 " .. SQUATTED)
  r = run_as_victim(self.sb)
  lu.assertEquals(r.stderr, "hako-run: runtime directory " .. SQUATTED .. ": a symbolic link of uid 65534,"
    .. " refused: someone else made it (remove it, or set XDG_RUNTIME_DIR)\n")
  lu.assertEquals(r.status, 125)
  lu.assertEquals(process.sh("ls " .. self.sb:path("tmp")), "") -- the command never ran
  -- The victim's own, once the squatter's is gone: made 0700, and the command runs.
  process.sh("rm " .. SQUATTED)
  r = run_as_victim(self.sb)
  lu.assertEquals(r.stderr, "")
  lu.assertEquals(r.status, 0)
  lu.assertEquals(process.sh("stat -c '%u %a' " .. SQUATTED), VICTIM .. " 700\n")
end

-- The victim's hako-enter does not follow a squatter's directory either.
function TestRecordFallback:test_hako_enter_says_whose_the_fallback_directory_is()
  lu.skipIf(os.execute("test -e " .. SQUATTED .. " -o -L " .. SQUATTED), SQUATTED .. " exists already")
  self.dirs[#self.dirs + 1] = SQUATTED
  process.sh("mkdir -m 755 " .. SQUATTED .. " && chown 65534:65534 " .. SQUATTED)
  local r = process.run({ "setpriv", "--reuid=" .. VICTIM, "--regid=" .. VICTIM, "--clear-groups",
    "env", "-u", "XDG_RUNTIME_DIR", ENTER, self.pid, "true" })
  lu.assertEquals(r.stderr, "hako-enter: " .. self.pid .. ": not a hako sandbox (runtime directory " .. SQUATTED
    .. ": owned by uid 65534: someone else made it (remove it, or set XDG_RUNTIME_DIR))\n")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
