-- hako.cgroup: --memory, --pids, --cpus -> the cgroups a sandbox gets, and what is written
-- in them. Pure: the effects are hako.cgroupfs's.
--
-- Where: a cgroup "hako-<pid of hako-run>" under the caller's own cgroup (or under
-- --cgroup-parent, a path from the hierarchy's root), in every hierarchy that has a
-- controller a limit needs: cgroup v2 when its mount offers the controller there, else the
-- v1 hierarchy of that controller (a hybrid host: v1 controllers beside a v2 mount with
-- few or none). When a v2 mount exists the sandbox gets a v2 cgroup too, even without a
-- controller in it: the sandbox starts in it (clone3 CLONE_INTO_CGROUP), and cgroup.kill
-- ends every process in it at once.

local failure = require "hako.failure"

local M = {}

M.CPU_PERIOD = 100000 -- µs, the kernel's default cfs period
M.MIN_QUOTA = 1000 -- µs, the least the kernel takes

local function bad(what, why)
  failure.raise(what, why)
end

local UNITS = { [""] = 1, k = 1 << 10, m = 1 << 20, g = 1 << 30, t = 1 << 40 }

-- size("32M") -> 33554432: bytes, or K, M, G, T (powers of 1024; a "B" or "iB" may follow).
function M.size(text, what)
  local number, unit = tostring(text):lower():match("^(%d+)(%a?)i?b?$")
  local base = number and #number <= 15 and UNITS[unit] and math.tointeger(tonumber(number))
  -- No more than 2^62 bytes: the product must not wrap around.
  local n = base and base <= (1 << 62) // UNITS[unit] and base * UNITS[unit]
  if not n or n < 1 then bad(what .. " " .. tostring(text), "expected a size like 512M, 2G or a number of bytes") end
  return n
end

-- cpus("0.5") -> 50000: the quota, in µs per period, of that many CPUs.
function M.quota(text, what)
  local n = tostring(text):match("^%d*%.?%d+$") and tonumber(text)
  if not n or n <= 0 or n > 4096 then bad(what .. " " .. tostring(text), "expected a number of CPUs like 0.5 or 2") end
  return math.max(M.MIN_QUOTA, math.floor(n * M.CPU_PERIOD + 0.5))
end

function M.count(text, what)
  local n = tostring(text):match("^%d+$") and math.tointeger(tonumber(text))
  if not n or n < 1 or n > 4194304 then bad(what .. " " .. tostring(text), "expected a number of processes") end
  return n
end

-- limits(options) -> { memory = bytes, pids = n, cpu_quota = µs, parent = path } or nil.
function M.limits(options)
  local l = {}
  if options.memory ~= nil then l.memory = M.size(options.memory, "--memory") end
  if options.pids ~= nil then l.pids = M.count(options.pids, "--pids") end
  if options.cpus ~= nil then l.cpu_quota = M.quota(options.cpus, "--cpus") end
  if options.cgroup_parent ~= nil then
    local parent = tostring(options.cgroup_parent)
    if parent:sub(1, 1) ~= "/" or parent:find("/%.%.?/") or parent:find("/%.%.?$") or parent:find("%z") then
      bad("--cgroup-parent " .. parent, "expected an absolute path in the cgroup hierarchy, without . or ..")
    end
    l.parent = parent
  end
  if next(l) == nil then return nil end
  return l
end

-- self_cgroups(text of /proc/self/cgroup) -> { v2 = path, v1 = { controller = path } }
function M.self_cgroups(text)
  local out = { v1 = {} }
  for id, list, path in text:gmatch("(%d+):([^:]*):([^\n]*)") do
    if id == "0" and list == "" then
      out.v2 = path
    else
      for c in list:gmatch("[^,]+") do out.v1[c] = path end
    end
  end
  return out
end

local function unescape(path)
  return (path:gsub("\\(%d%d%d)", function(o) return string.char(tonumber(o, 8)) end))
end

-- mounts(text of /proc/self/mountinfo) -> { v2 = { dir, root }, v1 = { controller = { dir, root } } }
function M.mounts(text)
  local out = { v1 = {} }
  for line in text:gmatch("[^\n]+") do
    local root, dir, rest = line:match("^%S+ %S+ %S+ (%S+) (%S+) .- %- (.*)$")
    local fstype, options = (rest or ""):match("^(%S+) %S+ (%S+)")
    if fstype == "cgroup2" and not out.v2 then
      out.v2 = { unescape(dir), unescape(root) }
    elseif fstype == "cgroup" then
      for c in options:gmatch("[^,]+") do
        if not out.v1[c] then out.v1[c] = { unescape(dir), unescape(root) } end
      end
    end
  end
  return out
end

-- beneath(root, path) -> where a cgroup path of a process is under a mount whose root
-- is `root` (nil: not under it).
function M.beneath(root, path)
  if root == "/" then return path end
  if path == root then return "/" end
  if path:sub(1, #root + 1) == root .. "/" then return path:sub(#root + 1) end
end

local NEEDS = { memory = "memory", pids = "pids", cpu_quota = "cpu" }
local OPTION = { memory = "--memory", pids = "--pids", cpu = "--cpus" }

-- all(plan) -> its cgroups in a list: the v2 one first, if there is one (a host with no
-- cgroup v2 has none: { p.v2, table.unpack(p.v1) } would then start with nil and hold
-- nothing for ipairs, and no limit would be applied).
function M.all(p)
  local list = { p.v2 }
  for _, cg in ipairs(p.v1) do list[#list + 1] = cg end
  return list
end

-- plan(limits, mounts, self, v2_controllers, name) -> { v2 = cgroup, v1 = { cgroups } },
-- each cgroup { kind, mount, parent, name, controllers = { names }, files = { {file, value} } }.
-- v2_controllers: the set the v2 parent offers (its cgroup.controllers).
function M.plan(limits, mounts, self, v2_controllers, name)
  local wanted = {}
  for key, controller in pairs(NEEDS) do
    if limits[key] then wanted[#wanted + 1] = controller end
  end
  table.sort(wanted)
  local function parent_of(path, mount)
    local p = limits.parent or (path and M.beneath(mount[2], path))
    if not p then
      bad("cgroup", "hako-run's own cgroup " .. tostring(path) .. " is outside the mount at " .. mount[1])
    end
    return p
  end
  local result = { v1 = {} }
  if mounts.v2 and self.v2 then
    result.v2 = { kind = "v2", mount = mounts.v2[1], parent = parent_of(self.v2, mounts.v2), name = name,
      controllers = {}, files = {} }
  end
  local v1 = {}
  for _, c in ipairs(wanted) do
    if result.v2 and v2_controllers[c] then
      table.insert(result.v2.controllers, c)
    elseif mounts.v1[c] and self.v1[c] then
      local mount = mounts.v1[c]
      local key = mount[1]
      if not v1[key] then
        v1[key] = { kind = "v1", mount = key, parent = parent_of(self.v1[c], mount), name = name,
          controllers = {}, files = {} }
        result.v1[#result.v1 + 1] = v1[key]
      end
      table.insert(v1[key].controllers, c)
    else
      bad(OPTION[c], "this host has no cgroup controller " .. c .. " (neither cgroup v2 nor v1 offers it)")
    end
  end
  local function add(cg, file, value) cg.files[#cg.files + 1] = { file, tostring(value) } end
  for _, cg in ipairs(M.all(result)) do
    for _, c in ipairs(cg.controllers) do
      if cg.kind == "v2" then
        if c == "memory" then add(cg, "memory.max", limits.memory); add(cg, "memory.swap.max?", 0) end
        if c == "pids" then add(cg, "pids.max", limits.pids) end
        if c == "cpu" then add(cg, "cpu.max", limits.cpu_quota .. " " .. M.CPU_PERIOD) end
      else
        if c == "memory" then
          add(cg, "memory.limit_in_bytes", limits.memory)
          add(cg, "memory.memsw.limit_in_bytes?", limits.memory) -- swap counted, where accounted
        end
        if c == "pids" then add(cg, "pids.max", limits.pids) end
        if c == "cpu" then add(cg, "cpu.cfs_period_us", M.CPU_PERIOD); add(cg, "cpu.cfs_quota_us", limits.cpu_quota) end
      end
    end
  end
  return result
end

-- path(cgroup) -> its directory on the host.
function M.path(cg)
  return cg.mount .. (cg.parent == "/" and "" or cg.parent) .. "/" .. cg.name
end

-- describe(plan) -> lines for --dry-run: every directory and every file hako writes.
function M.describe(p)
  local lines = {}
  for _, cg in ipairs(M.all(p)) do
    local files = {}
    for i, f in ipairs(cg.files) do files[i] = f[1]:gsub("%?$", "") .. "=" .. f[2] end
    lines[#lines + 1] = string.format("cgroup: %s (%s%s)%s%s", M.path(cg), cg.kind,
      #cg.controllers > 0 and ": " .. table.concat(cg.controllers, ",") or "",
      #files > 0 and " " or "", table.concat(files, " "))
  end
  return table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
end

return M
