-- escape_mount_flags_spec: the flags of the sandbox's mounts, read where the kernel keeps
-- them (/proc/self/mountinfo inside), so that a lost flag is seen even while another wall
-- (no_new_privs against setuid files, no CAP_MKNOD against device files) hides it.
-- The positive control drops the step that sets them, through a recipe. Needs root.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

local q = process.quote

TestEscapeMountFlags = {}

function TestEscapeMountFlags:setUp()
  escape.set_up(self)
end

function TestEscapeMountFlags:tearDown()
  escape.tear_down(self)
end

-- options(mountinfo, point) -> the per-mount options of the mount at point, as a set
local function options(mountinfo, point)
  local found
  for line in mountinfo:gmatch("[^\n]+") do
    local at, opts = line:match("^%S+ %S+ %S+ %S+ (%S+) (%S+)")
    if at == point then found = opts end -- the last one mounted there is the one seen
  end
  lu.assertNotNil(found, "no mount at " .. point .. " in\n" .. mountinfo)
  local set = {}
  for opt in found:gmatch("[^,]+") do set[opt] = true end
  return set
end

function TestEscapeMountFlags:mountinfo(options_)
  local r = self.sb:run(options_, { "/bin/cat", "/proc/self/mountinfo" })
  lu.assertEquals(r.status, 0, r.stderr)
  return r.stdout
end

-- The tree is not trusted: its root and every bind are nosuid and nodev; -R makes the
-- root read-only, :ro a bind; --dev-bind keeps devices; /proc is noexec too.
function TestEscapeMountFlags:test_the_root_and_binds_are_nosuid_and_nodev()
  local info = self:mountinfo({ "-m", self.host .. ":/mnt", "--dev-bind", self.host .. ":/tmp" })
  for _, point in ipairs({ "/", "/mnt" }) do
    local o = options(info, point)
    lu.assertTrue(o.nosuid and o.nodev and o.rw, point)
  end
  local tmp = options(info, "/tmp")
  lu.assertTrue(tmp.nosuid and not tmp.nodev)
  local proc = options(info, "/proc")
  lu.assertTrue(proc.nosuid and proc.nodev and proc.noexec)
  info = self:mountinfo({ "-R", "-m", self.host .. ":/mnt:rw" })
  lu.assertTrue(options(info, "/").ro)
  lu.assertTrue(options(info, "/mnt").rw)
  lu.assertTrue(options(self:mountinfo({ "-m", self.host .. ":/mnt:ro" }), "/mnt").ro)
end

-- Positive control: without protect_root, the root bind has neither flag, in the old mode
-- (--userns host). In its own user namespace the root's idmapped tree has them already,
-- set by hako-run with the idmapping (userns_steps.hand_idmapped_trees): a second wall.
function TestEscapeMountFlags:test_without_protect_root_the_flags_are_missing()
  local recipe = self.host .. "/recipe.lua"
  local f = assert(io.open(recipe, "w"))
  f:write([[
local hako = require "hako"
local steps = {}
for _, step in ipairs(hako.plan{ root = arg[1], command = { "/bin/cat", "/proc/self/mountinfo" }, userns = arg[2] }) do
  if step.op ~= "protect_root" then steps[#steps + 1] = step end
end
os.exit(hako.execute(steps))
]])
  f:close()
  local function root_options(userns)
    local line = q(sandbox.bin("hako")) .. " " .. q(recipe) .. " " .. q(self.sb.root) .. " " .. userns
    return options(process.sh(line), "/")
  end
  local o = root_options("host")
  lu.assertFalse(o.nosuid or o.nodev or false)
  o = root_options("auto")
  lu.assertTrue(o.nosuid and o.nodev)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
