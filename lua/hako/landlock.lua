-- hako.landlock: Landlock (landlock(7)) as a second layer behind the sandbox's mounts and
-- namespaces: TCP ports, abstract unix sockets and signals scoped to the sandbox, and
-- where the command may write, execute, and use device ioctls. Pure: it turns the policy's
-- `landlock` part and the kernel's ABI into the rules hako.confine_steps loads.
--
-- The policy's part (hako.policy):
--   scope      names of what stays inside the sandbox: "abstract_unix_socket", "signal"
--   connect    TCP ports the command may connect to: "any" (no rule), "none", "80,443,8000-8100"
--   bind       the same for binding
--   fs         true: the file-system layer is on (unless the command keeps CAP_SYS_ADMIN)
--   writable   where files may be made (the root unless -R, :rw binds, tmpfs, /dev/shm)
--   devices    where device ioctls are allowed (hako's /dev, --dev-bind targets)
--   files      where files that are there may be written, not made (/proc: oom_score_adj...)
--   required   true: a right the kernel lacks is an error, not a warning

local failure = require "hako.failure"

local M = {}

-- The Landlock ABI each right came with (landlock(7)).
M.FS_RIGHTS = {
  { "execute", 1 }, { "write_file", 1 }, { "read_file", 1 }, { "read_dir", 1 }, { "remove_dir", 1 },
  { "remove_file", 1 }, { "make_char", 1 }, { "make_dir", 1 }, { "make_reg", 1 }, { "make_sock", 1 },
  { "make_fifo", 1 }, { "make_block", 1 }, { "make_sym", 1 }, { "refer", 2 }, { "truncate", 3 },
  { "ioctl_dev", 5 },
}
M.NET_ABI, M.SCOPE_ABI = 4, 6

local READ = { "read_file", "read_dir" }
-- What a writable place allows besides reading (execution is granted apart).
local WRITE = { "write_file", "remove_dir", "remove_file", "make_char", "make_dir", "make_reg",
  "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate" }
-- Device files: written and truncated (`> /dev/null`), not made.
local DEVICE_FILES = { "write_file", "truncate" }
-- The rights a path_beneath rule on a file (not a directory) may hold.
local FILE_RIGHTS = { execute = true, write_file = true, read_file = true, truncate = true, ioctl_dev = true }

local MAX_PORT = 65535
local CAP_SYS_ADMIN = 21

-- ports(text, what) -> the normalized text ("any", "none", "80,443,8000-8100") or a failure.
function M.ports(text, what)
  if text == "any" or text == "none" then return text end
  local parts = {}
  for item in (text .. ","):gmatch("([^,]*),") do
    local from, to = item:match("^(%d+)%-(%d+)$")
    from = tonumber(from or item:match("^%d+$"))
    to = tonumber(to) or from
    if not from or from < 1 or to > MAX_PORT or to < from then
      failure.raise(what .. " " .. text, "expected any, none, or ports and ranges like 80,443,8000-8100")
    end
    parts[#parts + 1] = from == to and tostring(from) or from .. "-" .. to
  end
  return table.concat(parts, ",")
end

-- port_list(text) -> every port a normalized text names (nil for "any").
function M.port_list(text)
  if text == "any" then return nil end
  local list = {}
  for item in text:gmatch("[^,]+") do
    if item ~= "none" then
      local from, to = item:match("^(%d+)%-(%d+)$")
      for port = tonumber(from or item), tonumber(to or item) do list[#list + 1] = port end
    end
  end
  return list
end

-- from_spec(spec) -> the policy's landlock part for hako-run.
function M.from_spec(spec)
  local writable, devices = {}, {}
  if not spec.read_only then writable[1] = "/" end
  for _, m in ipairs(spec.mounts or {}) do
    if m.type == "tmpfs" or (m.mode == "rw" or m.mode == nil and not spec.read_only) then
      writable[#writable + 1] = m.dst
    end
    if m.devices then devices[#devices + 1] = m.dst end
  end
  if spec.dev ~= "off" then
    writable[#writable + 1] = "/dev/shm"
    table.insert(devices, 1, "/dev")
  end
  local files = spec.proc ~= "off" and { "/proc" } or {}
  local scope = { "signal" }
  if not spec.share_abstract_sockets then table.insert(scope, 1, "abstract_unix_socket") end
  -- A landlocked process cannot mount at all: a command given CAP_SYS_ADMIN is given it
  -- to mount, so the file-system layer (not the scopes or ports) is left out then.
  local may_mount = false
  for _, cap in ipairs(spec.caps or {}) do may_mount = may_mount or cap == CAP_SYS_ADMIN end
  return {
    scope = scope, connect = spec.allow_connect or "any", bind = spec.allow_bind or "any",
    fs = not may_mount, writable = writable, devices = devices, files = files,
    required = spec.landlock_required == true,
  }
end

local function mask(names, K)
  local m = 0
  for _, name in ipairs(names) do m = m | K["LANDLOCK_ACCESS_FS_" .. name:upper()] end
  return m
end

-- wanted(policy_part) -> the list of rights (and their ABIs) the part asks for.
local function wanted(l)
  local list = {}
  if l.fs then
    for _, r in ipairs(M.FS_RIGHTS) do list[#list + 1] = { r[1], r[2] } end
  end
  if l.connect ~= "any" then list[#list + 1] = { "connect_tcp", M.NET_ABI, explicit = true } end
  if l.bind ~= "any" then list[#list + 1] = { "bind_tcp", M.NET_ABI, explicit = true } end
  for _, s in ipairs(l.scope) do list[#list + 1] = { "scope_" .. s, M.SCOPE_ABI } end
  return list
end

-- missing(policy_part, abi) -> names of the rights the part wants that a kernel of that
-- ABI (0: no Landlock) lacks, and whether an option given on purpose needs one of them.
function M.missing(l, abi)
  local names, explicit = {}, false
  for _, w in ipairs(wanted(l)) do
    if w[2] > abi then
      names[#names + 1] = w[1]
      explicit = explicit or w.explicit or false
    end
  end
  return names, explicit
end

-- describe(abi, missing) -> what a kernel of that ABI lacks, for people.
function M.describe(abi, missing)
  if abi == 0 then return "not available in this kernel" end
  if #missing == 0 then return "ABI " .. abi .. ", every right wanted is there" end
  return "ABI " .. abi .. " lacks " .. table.concat(missing, ", ")
end

-- ruleset(policy_part, abi, K) -> { fs, net, scoped, paths = { {path, mask} },
-- ports = { {port, mask} } }: what to load on a kernel of that ABI, K being hako.core (its
-- LANDLOCK_* constants). Rights the ABI lacks are left out.
function M.ruleset(l, abi, K)
  local supported = {}
  for _, r in ipairs(M.FS_RIGHTS) do supported[r[1]] = r[2] <= abi end
  local function only(names)
    local kept = {}
    for _, n in ipairs(names) do if supported[n] then kept[#kept + 1] = n end end
    return mask(kept, K)
  end
  local rules = { fs = 0, net = 0, scoped = 0, paths = {}, ports = {} }
  if l.fs then
    rules.fs = only(READ) | only({ "execute" }) | only(WRITE) | only({ "ioctl_dev" })
    rules.paths[#rules.paths + 1] = { "/", only(READ) | only({ "execute" }) }
    for _, path in ipairs(l.writable) do rules.paths[#rules.paths + 1] = { path, only(WRITE) } end
    for _, path in ipairs(l.devices) do
      rules.paths[#rules.paths + 1] = { path, only(DEVICE_FILES) | only({ "ioctl_dev" }) }
    end
    for _, path in ipairs(l.files) do rules.paths[#rules.paths + 1] = { path, only(DEVICE_FILES) } end
  end
  if abi >= M.NET_ABI then
    for _, kind in ipairs({ { "connect", "CONNECT_TCP" }, { "bind", "BIND_TCP" } }) do
      local ports = M.port_list(l[kind[1]])
      if ports then
        local right = K["LANDLOCK_ACCESS_NET_" .. kind[2]]
        rules.net = rules.net | right
        for _, port in ipairs(ports) do rules.ports[#rules.ports + 1] = { port, right } end
      end
    end
  end
  if abi >= M.SCOPE_ABI then
    for _, s in ipairs(l.scope) do rules.scoped = rules.scoped | K["LANDLOCK_SCOPE_" .. s:upper()] end
  end
  return rules
end

-- file_mask(mask, K) -> the part of a rule's rights a file (not a directory) may hold.
function M.file_mask(m, K)
  local out = 0
  for name in pairs(FILE_RIGHTS) do
    local bit = K["LANDLOCK_ACCESS_FS_" .. name:upper()]
    if m & bit ~= 0 then out = out | bit end
  end
  return out
end

return M
