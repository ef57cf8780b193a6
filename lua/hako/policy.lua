-- hako.policy: everything a sandbox's command is confined by, as one plain table. Pure.
--
-- hako-run builds it from the spec (from_spec), completes it once --user is resolved
-- (with_identity), writes it into the sandbox's record, and applies it through the
-- confinement steps (hako.confine_steps). hako-enter reads it back from the record,
-- changes it by its own options (for_enter) and applies it through the same steps: a
-- feature added here and in confine_steps reaches both commands.
--
--   uid, gid, groups    the ids the command runs with; setgroups: false where the user
--                       namespace denies setgroups (rootless, groups not mapped)
--   caps                capability numbers kept (bounding, permitted, effective,
--                       inheritable and ambient sets alike) by a command that is not
--                       uid 0 inside: --cap-add's, less --cap-drop's; none by default
--   root_caps           the same for uid 0 inside: with ids of its own (user namespace
--                       with a range) a container's set (hako.caps.CONTAINER) adjusted by
--                       --cap-add and --cap-drop; else as caps (kept_caps chooses)
--   no_new_privs        always true: nothing the command runs gains privileges by exec
--   keep_fds            fds above 2 the command is given (--keep-fd)
--   env                 the command's whole environment, NAME=VALUE in order
--   chdir               its working directory, inside the sandbox
--   hostname            the sandbox's
--   seccomp             { deny_syscalls = names (EPERM), deny_ioctls = names (EPERM),
--                       tcp_only: sockets only AF_UNIX and TCP (when ports are limited),
--                       program: the BPF hako-run compiled (hako.syscall_filter), those
--                       rules first; sandbox_program: hako-enter's copy of the sandbox's }
--   landlock            the second layer (hako.landlock): ports, scopes, where to write
--   rlimits             resource limits, "nofile=64:128" (hako.rlimits)
--   cgroups             the mounts of the hierarchies the sandbox has cgroups in (hako.cgroup):
--                       hako-enter puts its command into the sandbox's cgroup of each
--
-- Coming confinement (a cgroup) gets a field here, a line in FIELDS, and a step in
-- confine_steps.

local caps = require "hako.caps"
local failure = require "hako.failure"
local landlock = require "hako.landlock"
local rlimits = require "hako.rlimits"

local M = {}

M.DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

-- ioctls that push input into the caller's terminal.
M.DENIED_IOCTLS = { "TIOCSTI", "TIOCLINUX" }
-- System calls that fail with EPERM (doc/THREATS.md 12): a user's keyrings belong to its
-- uid, and without a user namespace the command's uid is the host's: its user and
-- persistent keyrings are the host user's (root's for uid 0), and request_key makes the
-- host run /sbin/request-key as root.
M.DENIED_SYSCALLS = { "keyctl", "add_key", "request_key" }

local function copy(list)
  return { table.unpack(list or {}) }
end

-- from_spec(spec) -> the policy hako-run's command gets. The ids are root's until
-- with_identity puts in what --user and --group resolve to, at run time.
function M.from_spec(spec)
  local keep_fds = {}
  for _, fd in ipairs(spec.keep_fds or {}) do
    -- The supervisor's status fd is not the command's, unless it is 0-2.
    if fd ~= spec.json_status_fd then keep_fds[#keep_fds + 1] = fd end
  end
  local drop = spec.cap_drop or {}
  local added = caps.adjust({}, spec.caps or {}, drop)
  local container = {}
  if spec.userns and spec.userns.range then
    for i, name in ipairs(caps.CONTAINER) do container[i] = caps.number(name) end
  end
  return {
    uid = 0, gid = 0, groups = { 0 },
    setgroups = spec.userns == nil or spec.userns.setgroups == true,
    caps = added,
    root_caps = caps.adjust(container, added, drop),
    no_new_privs = true,
    keep_fds = keep_fds,
    env = copy(spec.env),
    chdir = spec.chdir or "/",
    hostname = spec.hostname,
    seccomp = { deny_syscalls = copy(M.DENIED_SYSCALLS), deny_ioctls = copy(M.DENIED_IOCTLS),
      -- Landlock limits TCP ports only: "only TCP 443 out" must close UDP and raw too.
      tcp_only = spec.allow_connect ~= nil or spec.allow_bind ~= nil },
    landlock = landlock.from_spec(spec),
    rlimits = copy(spec.rlimits),
    cgroups = {}, -- filled in once made (prepare_steps.make_cgroups)
  }
end

local function find(env, name)
  for i, entry in ipairs(env) do
    if entry:sub(1, #name + 1) == name .. "=" then return i, entry:sub(#name + 2) end
  end
end

-- set_env(env, entry): NAME=VALUE replaces NAME's entry, or comes last.
local function set_env(env, entry)
  local name = entry:match("^([^=]+)=")
  if not name then return end -- not a variable (a caller's environment may hold anything)
  env[find(env, name) or #env + 1] = entry
end

-- kept_caps(policy) -> the capabilities the command keeps: uid 0 inside gets root_caps,
-- any other user caps (hako-enter --user changes which).
function M.kept_caps(p)
  if p.uid == 0 and p.root_caps then return p.root_caps end
  return p.caps
end

-- search_path(policy) -> where a command name without "/" is looked for: PATH.
function M.search_path(p)
  local _, path = find(p.env, "PATH")
  return path or M.DEFAULT_PATH
end

-- with_identity(policy, identity) -> the policy for the user --user/--group resolved to
-- ({ uid, gid, groups, home }, or nil for root); HOME is that user's home unless the
-- environment sets it. Groups are not set where setgroups is denied.
function M.with_identity(p, identity)
  local id = identity or { uid = 0, gid = 0, groups = { 0 } }
  local out = {}
  for k, v in pairs(p) do out[k] = v end
  out.uid, out.gid = id.uid, id.gid
  out.groups = p.setgroups and copy(id.groups) or {}
  out.env = copy(p.env)
  if not find(out.env, "HOME") then set_env(out.env, "HOME=" .. (id.home or "/")) end
  return out
end

local function union(a, b)
  local out, seen = {}, {}
  for _, list in ipairs({ a or {}, b or {} }) do
    for _, v in ipairs(list) do
      if not seen[v] then seen[v], out[#out + 1] = true, v end
    end
  end
  return out
end

-- for_enter(recorded, overrides, caller, identity) -> what hako-enter's command gets:
-- the sandbox's recorded policy, changed by hako-enter's options. overrides = { env,
-- keep_env, user, group, chdir }; identity is what --user/--group resolved to (nil
-- without them); caller = { euid, environ }. Only root on the host may give the command
-- more than the sandbox's own processes have; nobody may give it less than hako's own
-- walls (no_new_privs, the denied calls), whatever the record says.
function M.for_enter(recorded, overrides, caller, identity)
  local p = {}
  for k, v in pairs(recorded) do p[k] = v end
  if identity then p.uid, p.gid, p.groups = identity.uid, identity.gid, identity.groups end
  if caller.euid ~= 0 and recorded.uid ~= 0 then
    local allowed = { [recorded.gid] = true }
    for _, g in ipairs(recorded.groups) do allowed[g] = true end
    if p.uid ~= recorded.uid then
      failure.raise("--user " .. tostring(overrides.user), "not allowed: only root can enter as another user")
    end
    for _, g in ipairs({ p.gid, table.unpack(p.groups) }) do
      if not allowed[g] then failure.raise("group " .. g, "not allowed: the sandbox's processes do not have it") end
    end
  end
  if not p.setgroups then p.groups = {} end
  -- The caller's fds are not the sandbox's: the numbers hako-run's command kept mean nothing here.
  p.keep_fds = {}
  p.no_new_privs = true
  -- The sandbox's filter exactly, on top of hako's own rules (which it holds already,
  -- unless the record lies): two filters, the stricter answer wins.
  local seccomp = recorded.seccomp or {}
  p.seccomp = { deny_syscalls = union(M.DENIED_SYSCALLS, seccomp.deny_syscalls),
    deny_ioctls = union(M.DENIED_IOCTLS, seccomp.deny_ioctls), tcp_only = seccomp.tcp_only,
    sandbox_program = seccomp.program }
  -- The command is a Landlock domain of its own (there is no joining the sandbox's): scoped
  -- signals would keep it from signalling the sandbox's processes. In the sandbox's PID
  -- namespace (--fork) it can name no other process anyway; without it, scoping keeps it in.
  if overrides.fork and recorded.landlock then
    p.landlock = {}
    for k, v in pairs(recorded.landlock) do p.landlock[k] = v end
    p.landlock.scope = {}
    for _, name in ipairs(recorded.landlock.scope) do
      if name ~= "signal" then p.landlock.scope[#p.landlock.scope + 1] = name end
    end
  end
  local env = {}
  for _, e in ipairs(overrides.keep_env and caller.environ or recorded.env) do set_env(env, e) end
  -- Another user's home, unless the options say otherwise.
  if identity and not overrides.keep_env then set_env(env, "HOME=" .. (identity.home or "/")) end
  for _, e in ipairs(overrides.env or {}) do set_env(env, e) end
  p.env = env
  p.chdir = overrides.chdir or recorded.chdir or "/"
  return p
end

-- How each field is written in a record, and checked when read back (a record is a file
-- its owner can write: what root's hako-enter reads from a user's must be well formed).
-- kind: "id" (0 .. 2^32-2), "ids" (space-separated ids), "flag" (0 or 1), "text" (one
-- line), "lines" (one line per entry), "names" (space-separated words), "path".
M.FIELDS = {
  { "uid", "id" }, { "gid", "id" }, { "groups", "ids" }, { "setgroups", "flag" },
  { "caps", "caps" }, { "root_caps", "caps" }, { "no_new_privs", "flag" }, { "keep_fds", "ids" },
  { "env", "lines" }, { "chdir", "path" }, { "hostname", "text" },
  { "seccomp.deny_syscalls", "names" }, { "seccomp.deny_ioctls", "ioctls" }, { "seccomp.tcp_only", "flag" },
  { "seccomp.program", "bpf" },
  { "landlock.scope", "names" }, { "landlock.connect", "ports" }, { "landlock.bind", "ports" },
  { "landlock.fs", "flag" }, { "landlock.writable", "paths" }, { "landlock.devices", "paths" },
  { "landlock.files", "paths" }, { "landlock.required", "flag" },
  { "rlimits", "rlimits" }, { "cgroups", "cgroups" },
}
-- Fields a policy may lack: a hako-run of a recipe that leaves the filter step out gives
-- no program (hako-enter's command then gets hako's own rules alone); a record of an
-- earlier hako-run has no root_caps (uid 0 kept caps then: kept_caps).
local OPTIONAL = { ["seccomp.program"] = true, root_caps = true }
-- Kinds written one line per entry: present (empty) even when no line says so.
local LINES = { lines = true, paths = true, rlimits = true, cgroups = true }
local KIND = {}
for _, f in ipairs(M.FIELDS) do KIND[f[1]] = f[2] end
M.KIND = KIND

local MAX_ID = 4294967294 -- (uid_t)-1 means "unchanged" to setresuid
local LAST_CAP = 63

local function get(p, name)
  local outer, inner = name:match("^(%w+)%.(.+)$")
  if outer then return (p[outer] or {})[inner] end
  return p[name]
end

local function put(p, name, value)
  local outer, inner = name:match("^(%w+)%.(.+)$")
  if outer then
    p[outer] = p[outer] or {}
    p[outer][inner] = value
  else
    p[name] = value
  end
end

-- A seccomp program is written as hex: a record is text. Encoded by one string.format
-- a slice of bytes, which makes no short string: a table of the 256 two-digit strings,
-- built at load, was a sixth of every hako-run's start-up instructions (callgrind), and
-- built later, after the sandbox's clone, its strings grew Lua's string table, whose
-- rehash writes into every string and so broke copy-on-write on ~90 pages (perf).
-- A slice is small: its bytes go on Lua's stack, and a stack grown to thousands of slots
-- cost 37 more faults. Decoding (hako-enter) builds its table on first use.
local HEX_SLICE = 64
local HEX_FORMAT = string.rep("%02x", HEX_SLICE)
local function hex(bytes)
  local out = {}
  for i = 1, #bytes, HEX_SLICE do
    local j = math.min(i + HEX_SLICE - 1, #bytes)
    out[#out + 1] = string.format(j - i + 1 == HEX_SLICE and HEX_FORMAT or string.rep("%02x", j - i + 1),
      bytes:byte(i, j))
  end
  return table.concat(out)
end
local BYTE_OF_HEX
local function unhex(text)
  if not BYTE_OF_HEX then
    BYTE_OF_HEX = {}
    for i = 0, 255 do BYTE_OF_HEX[string.format("%02x", i)] = string.char(i) end
  end
  return (text:gsub("..", BYTE_OF_HEX))
end

-- encode(policy) -> { {name, value text}... } in FIELDS order; "lines" give one per entry.
function M.encode(p)
  local out = {}
  for _, f in ipairs(M.FIELDS) do
    local name, kind, value = f[1], f[2], get(p, f[1])
    if value ~= nil then
      if LINES[kind] then
        for _, v in ipairs(value) do out[#out + 1] = { name, v } end
      elseif kind == "ids" or kind == "caps" or kind == "names" or kind == "ioctls" then
        out[#out + 1] = { name, table.concat(value, " ") }
      elseif kind == "flag" then
        out[#out + 1] = { name, value and "1" or "0" }
      elseif kind == "bpf" then
        out[#out + 1] = { name, hex(value) }
      else
        out[#out + 1] = { name, tostring(value) }
      end
    end
  end
  return out
end

local function integer(text, max)
  local n = text:match("^%d+$") and #text <= 10 and math.tointeger(tonumber(text))
  if n and n <= max then return n end
end

local DECODE = {
  id = function(text) return integer(text, MAX_ID) end,
  flag = function(text) return text == "1" or (text ~= "0" and nil) end,
  text = function(text) return text end,
  path = function(text) return text:sub(1, 1) == "/" and text or nil end,
  ports = function(text)
    local ok, ports = pcall(landlock.ports, text, "ports")
    return ok and ports == text and ports or nil
  end,
}
local function list_of(item)
  return function(text)
    local list = {}
    for word in text:gmatch("%S+") do
      local value = item(word)
      if value == nil then return nil end
      list[#list + 1] = value
    end
    return list
  end
end
-- A seccomp program: whole instructions (8 bytes), at most the kernel's 4096.
DECODE.bpf = function(text)
  if #text == 0 or #text % 16 ~= 0 or #text > 4096 * 16 or text:find("[^0-9a-f]") then return nil end
  return unhex(text)
end
DECODE.ids = list_of(DECODE.id)
DECODE.caps = list_of(function(word) return integer(word, LAST_CAP) end)
DECODE.names = list_of(function(word) return word:match("^[%w_]+$") end)
-- Only the ioctls hako knows: the name is looked up among hako.core's constants.
local KNOWN_IOCTLS = {}
for _, name in ipairs(M.DENIED_IOCTLS) do KNOWN_IOCTLS[name] = name end
DECODE.ioctls = list_of(function(word) return KNOWN_IOCTLS[word] end)

-- decode(entries) -> policy | nil, why. entries: { {name, value text}... } as encode
-- gives them; names this version does not know are refused (a policy must not be
-- applied in part).
-- A record's limit must be one hako would have written.
local function rlimit_text(text)
  local ok, r = pcall(rlimits.parse, text)
  return ok and rlimits.format(r) == text
end

function M.decode(entries)
  local p = {}
  for _, f in ipairs(M.FIELDS) do
    if LINES[f[2]] then put(p, f[1], {}) end
  end
  for _, entry in ipairs(entries) do
    local name, text = entry[1], entry[2]
    local kind = KIND[name]
    if not kind then return nil, "unknown policy field " .. name end
    if LINES[kind] then
      local good = kind == "lines" and text:match("^[^=]+=") or kind == "paths" and text:sub(1, 1) == "/"
        or kind == "rlimits" and rlimit_text(text)
        or kind == "cgroups" and text:match("^/%S*$") and not text:find("/%.%.?/") and not text:find("/%.%.?$")
      if not good then return nil, "bad " .. name end
      table.insert(get(p, name), text)
    else
      local value = DECODE[kind](text)
      if value == nil then return nil, "bad " .. name end
      put(p, name, value)
    end
  end
  for _, f in ipairs(M.FIELDS) do
    if get(p, f[1]) == nil and not OPTIONAL[f[1]] then return nil, "no " .. f[1] end
  end
  return p
end

return M
