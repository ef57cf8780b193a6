-- support/escape.lua: the escape suite's tools: a busybox sandbox with the attack probe
-- (spec/probe/probe.c, built static by make check) and a user, and ways to run the
-- probe inside hako-run, or on the host without hako to show the attack can succeed.

local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local M = {}

M.ROOT = process.is_root()
-- Root's sandboxes in a user namespace of their own (the default; HAKO_TEST_USERNS=host runs
-- the suites in the old mode): some attacks then meet that wall first, and say so.
M.OWN_USERNS = sandbox.USERNS ~= "host"
M.PROBE = sandbox.bin("probe")
M.UID = 1000 -- "probe" in the sandbox's /etc/passwd
-- hako-run options that make the probe run as uid 0 inside, and as a plain user.
M.AS = { root = {}, user = { "--user", "probe" } }

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

function M.skip_unless_ready()
  lu.skipIf(not M.ROOT, "needs root to make sandboxes")
  lu.skipIf(not exists(M.PROBE), M.PROBE .. " is missing: make check builds it")
end

-- alive(pid) -> whether pid is a process that has not ended (a zombie has).
function M.alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return false end
  local state = f:read("a"):match("^%d+ %b() (%a)")
  f:close()
  return state ~= "Z"
end

local function mountinfo(t)
  return sandbox.host_mounts({ t.sb and t.sb.root, t.host })
end

-- setUp/tearDown for a test class: a sandbox with the probe, a host temp dir, and a
-- check that the host's mounts are as they were.
function M.set_up(t)
  M.skip_unless_ready()
  t.sb = sandbox.new()
  t.host = process.sh("mktemp -d /tmp/hako-host.XXXXXX"):gsub("\n$", "")
  t.mounts = mountinfo(t)
  process.sh("chmod 755 " .. t.host .. " && cp " .. M.PROBE .. " " .. t.sb:path("bin/probe"))
  t.sb:write("etc/passwd", "root:x:0:0:root:/:/bin/sh\nprobe:x:1000:1000::/:/bin/sh\n")
  t.sb:write("etc/group", "root:x:0:\nprobe:x:1000:\n")
  t.cleanups = {}
end

function M.tear_down(t)
  if not t.sb then return end
  for i = #t.cleanups, 1, -1 do t.cleanups[i]() end
  local mounts = mountinfo(t)
  t.sb:remove()
  process.sh("rm -rf --one-file-system " .. t.host)
  lu.assertEquals(mounts, t.mounts)
end

local function line(r)
  lu.assertEquals(r.status, 0, r.stderr)
  return (r.stdout:gsub("\r?\n$", ""))
end

-- inside(t, options, args...) -> the probe's one line, run by hako-run with options.
function M.inside(t, options, ...)
  return line(t.sb:run(options, { "/bin/probe", ... }))
end

-- outside(t, uid, args...) -> the probe's one line, run on the host without hako,
-- as uid (nil: as root); the copy in the sandbox, so any uid may run it.
function M.outside(t, uid, ...)
  local argv = { t.sb:path("bin/probe"), ... }
  if uid then
    argv = { "setpriv", "--reuid=" .. uid, "--regid=" .. uid, "--clear-groups", table.unpack(argv) }
  end
  return line(process.run(argv))
end

-- A recipe for the hako binary that runs what hako-run would, but for the steps named:
-- the positive control for a defence that one step makes ("dumpable" leaves hako's init
-- dumpable). Its arguments: the root, the ops to leave out ("a,b"), the settings
-- ("user=NAME,pid_file=PATH,keep_fd=N,chdir=DIR,read_only=1,tmpfs=DST,net=MODE,userns=MODE", or ""),
-- the command.
M.WITHOUT_STEPS = [[
local hako = require "hako"
local drop, set = {}, {}
for op in arg[2]:gmatch("[^,]+") do drop[op] = true end
for key, value in arg[3]:gmatch("([%w_]+)=([^,]*)") do set[key] = value end
local options = { root = arg[1], user = set.user, pid_file = set.pid_file, chdir = set.chdir,
  keep_fds = { set.keep_fd }, read_only = set.read_only == "1", mounts = { set.tmpfs and { tmpfs = set.tmpfs } },
  net = set.net, command = { table.unpack(arg, 4) } }
-- HAKO_TEST_USERNS is root's mode (support.sandbox); a rootless caller has but one.
local test_userns = os.getenv("HAKO_TEST_USERNS")
if test_userns == "" then test_userns = nil end
options.userns = set.userns or require("hako.core").geteuid() == 0 and test_userns or nil
local steps = {}
for _, step in ipairs(hako.plan(options)) do
  if step.op == "set_dumpable" and drop.dumpable then step.dumpable = true end
  if not drop[step.op] then steps[#steps + 1] = step end
end
os.exit(hako.execute(steps))
]]

-- without_steps(t, ops, settings) -> the argv that runs that recipe on t's sandbox, to
-- which the command is added; anyone may read the recipe. settings: a user's name, or
-- { user = NAME, pid_file = PATH, keep_fd = N, chdir = DIR, read_only = "1", tmpfs = DST, net = MODE,
-- userns = MODE } (userns: HAKO_TEST_USERNS's, if not given: see support.sandbox).
function M.without_steps(t, ops, settings)
  local recipe = t.host .. "/without-steps.lua"
  local f = assert(io.open(recipe, "w"))
  f:write(M.WITHOUT_STEPS)
  f:close()
  if type(settings) ~= "table" then settings = { user = settings } end
  local pairs_ = {}
  for _, key in ipairs({ "user", "pid_file", "keep_fd", "chdir", "read_only", "tmpfs", "net", "userns" }) do
    if (settings[key] or "") ~= "" then pairs_[#pairs_ + 1] = key .. "=" .. settings[key] end
  end
  return { sandbox.bin("hako"), recipe, t.sb.root, table.concat(ops, ","), table.concat(pairs_, ",") }
end

-- without(t, ops, user, args...) -> the probe's line, run inside by that recipe.
function M.without(t, ops, user, ...)
  local argv = M.without_steps(t, ops, user)
  table.move({ "/bin/probe", ... }, 1, select("#", ...) + 1, #argv + 1, argv)
  return line(process.run(argv))
end

-- A caller that catches SIGUSR1, in a session of its own, runs the shell line run: what
-- both print ("caller got USR1" once a kill(0, SIGUSR1) from inside reached its group).
function M.in_caller_group(run)
  return process.sh("setsid sh -c " .. process.quote("trap 'echo caller got USR1' USR1; " .. run .. "; echo done"))
end

-- Bounded polling: true as soon as f() is, false after `tries` looks (no fixed sleeps).
function M.eventually(f, tries)
  for _ = 1, tries or 500 do
    if f() then return true end
    process.sh("sleep 0.01")
  end
  return false
end

return M
