-- support/enter.lua: what the hako-enter specs share: a running sandbox per test (started
-- in setUp, killed in tearDown), bounded polling, and one-line error checks.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local M = {}

M.ROOT = process.is_root()
M.RECORDS = "/run/hako"
M.ENTER = sandbox.bin("hako-enter")
local RECORDS, ENTER, q = M.RECORDS, M.ENTER, process.quote

-- Run check() until it returns a value, at most `tries` times, 20 ms apart.
function M.poll(check, tries)
  for _ = 1, tries or 500 do
    local value = check()
    if value then return value end
    process.sh("sleep 0.02")
  end
end

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

function M.alive(pid)
  local stat = M.read("/proc/" .. pid .. "/stat")
  return stat ~= nil and not stat:match("^%d+ %b() Z")
end

-- Shell lines that start `hako-enter PID /bin/sleep 1000` in the background as $e and
-- wait (bounded) until its child, $c, has become that sleep.
function M.entered_sleep(pid)
  return table.concat({
    q(ENTER) .. " " .. pid .. " /bin/sleep 1000 & e=$!",
    "i=0; while :; do c=; read -r c _ 2>/dev/null </proc/$e/task/$e/children;"
      .. " [ -n \"$c\" ] && grep -q '^sleep' /proc/$c/comm 2>/dev/null && break;"
      .. " i=$((i+1)); [ $i -gt 500 ] && break; sleep 0.02; done",
  }, "\n")
end

function M.enter(argv, input)
  return process.run({ ENTER, table.unpack(argv) }, input)
end

-- hako-enter with argv fails with status and exactly one line "hako-enter: message".
function M.fails(argv, status, message)
  local r = M.enter(argv)
  lu.assertEquals(r.stderr, "hako-enter: " .. message .. "\n")
  lu.assertEquals(r.status, status)
  lu.assertEquals(r.stdout, "")
end

function M.lines(text)
  local list = {}
  for line in text:gmatch("[^\n]+") do list[#list + 1] = line end
  return list
end

local Suite = {}
Suite.__index = Suite

-- suite() -> a luaunit class whose setUp starts a sandbox (self.pid) and whose tearDown
-- ends everything the test started.
function M.suite()
  return setmetatable({}, Suite)
end

-- A sandbox whose PID 1 sleeps; self.pid is its host pid, with a record.
function Suite:start(options, prefix, records)
  local argv = { sandbox.bin("hako-run"), table.unpack(options or {}) }
  argv[#argv + 1] = self.sb.root
  for _, w in ipairs({ "/bin/sleep", "1000" }) do
    argv[#argv + 1] = w
  end
  for i, w in ipairs(argv) do argv[i] = q(w) end
  local line = (prefix or "") .. table.concat(argv, " ")
  local supervisor = process.sh(line .. " >/dev/null 2>&1 & echo $!"):match("%d+")
  self.supervisors[#self.supervisors + 1] = supervisor
  local pid = M.poll(function()
    return (M.read("/proc/" .. supervisor .. "/task/" .. supervisor .. "/children") or ""):match("%d+")
  end)
  assert(pid, "the sandbox did not start")
  -- Up once the command sleeps (as PID 1, or under hako's init) and hako-run has written
  -- the record.
  local function sleeping(p)
    return p and (M.read("/proc/" .. p .. "/comm") or ""):match("^sleep")
  end
  assert(M.poll(function()
    local child = (M.read("/proc/" .. pid .. "/task/" .. pid .. "/children") or ""):match("%d+")
    return M.read((records or RECORDS) .. "/" .. pid) and (sleeping(pid) or sleeping(child))
  end), "no record for the sandbox")
  return pid, supervisor
end

-- A command line's prefix that runs it as uid 65534, with no groups.
M.NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups "

-- Uid 65534's runtime directory, /run/user/65534 (made for the test if there was none,
-- and then removed), with records in hako/ when `records` is true. -> its path
function Suite:nobody_runtime_dir(records)
  local run_dir = "/run/user/65534"
  if not os.execute("test -e " .. run_dir) then self.dirs[#self.dirs + 1] = run_dir end
  local dirs = run_dir .. (records and " " .. run_dir .. "/hako" or "")
  process.sh("mkdir -p " .. dirs .. " && chown 65534:65534 " .. dirs .. " && chmod 700 " .. dirs)
  return run_dir
end

-- A rootless sandbox: hako-run as uid 65534, its record in 65534's runtime directory.
function Suite:start_rootless()
  lu.skipIf(not os.execute(M.NOBODY .. "unshare -U true 2>/dev/null"), "no user namespaces for nobody here")
  local run_dir = self:nobody_runtime_dir(false)
  process.sh("chmod 755 " .. self.sb.root)
  return self:start({}, M.NOBODY .. "env XDG_RUNTIME_DIR=" .. run_dir .. " ", run_dir .. "/hako")
end

function Suite:setUp()
  lu.skipIf(not M.ROOT, "needs root to make sandboxes (rootless hako-run is a later feature)")
  self.sb = sandbox.new()
  self.supervisors, self.files, self.dirs, self.helpers = {}, {}, {}, {}
  self.pid = self:start()
end

function Suite:tearDown()
  for _, pid in ipairs(self.helpers or {}) do os.execute("kill " .. pid .. " 2>/dev/null") end
  for _, path in ipairs(self.files or {}) do os.remove(path) end
  for _, supervisor in ipairs(self.supervisors or {}) do
    local child = (M.read("/proc/" .. supervisor .. "/task/" .. supervisor .. "/children") or ""):match("%d+")
    -- Killing PID 1 ends the sandbox; hako-run then removes the record and exits.
    if child then os.execute("kill -KILL " .. child .. " 2>/dev/null") end
    if not M.poll(function() return not M.alive(supervisor) end, 250) then
      os.execute("kill -KILL " .. supervisor .. " 2>/dev/null")
    end
  end
  for _, dir in ipairs(self.dirs or {}) do process.sh("rm -rf " .. q(dir)) end
  if self.sb then self.sb:remove() end
end

return M
