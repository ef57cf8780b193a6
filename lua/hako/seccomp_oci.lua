-- hako.seccomp_oci: an OCI runtime-spec seccomp profile (the JSON Docker's and podman's
-- profiles are written in) read into the resolved seccomp policy (hako.seccomp_format).
-- Pure; the JSON is parsed by Debian's lua-dkjson, which the hako binary embeds.
--
-- As runc reads it: defaultAction, defaultErrnoRet, architectures and Docker's archMap
-- (the ABIs of this machine's family among them), syscalls[{names, action, errnoRet,
-- args}]; SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD, as in libseccomp; an ERRNO without
-- errnoRet is EPERM; a rule with the default's action is dropped (runc drops it too).
-- Args: conditions on different argument indexes are ANDed in one rule; when one index
-- appears more than once, each condition is a rule of its own (an OR). MASKED_EQ takes
-- the mask in value and the datum in valueTwo, as libseccomp does.
--
-- Docker's includes/excludes say when an entry applies to the caller:
--  * caps: the sandbox holds only the capabilities options.caps names (hako's default:
--    none), so "includes caps" entries mostly do not apply and "excludes caps" ones do;
--  * arches: the machine's family (options.machine, uname's machine): on x86 amd64,
--    x86_64, x32, x86, 386 and i386 match, on arm arm64, aarch64 and arm, as the filter
--    covers every ABI of the family;
--  * minKernel: the kernel is taken as new enough (hako needs one newer than any
--    minKernel Docker writes), so includes apply and excludes exclude.
-- Not supported, with a clear error: SCMP_ACT_TRACE (no tracer) and SCMP_ACT_NOTIFY (no
-- seccomp agent). flags and listenerPath are ignored. Numbers: dkjson reads integers
-- exactly up to 2^63-1 (and floats up to 2^53); a value it cannot read exactly is refused.

local failure = require "hako.failure"

local M = {}

local ARCHES = { SCMP_ARCH_X86_64 = "x86_64", SCMP_ARCH_X86 = "i386", SCMP_ARCH_X32 = "x32",
  SCMP_ARCH_AARCH64 = "aarch64", SCMP_ARCH_ARM = "arm" }
local FAMILY_OF_ABI = { x86_64 = "x86", i386 = "x86", x32 = "x86", aarch64 = "arm", arm = "arm" }
-- Docker's arch names (Go's GOARCH, and x32) by family.
local DOCKER_ARCHES = { x86 = { amd64 = true, x86_64 = true, x32 = true, x86 = true, ["386"] = true, i386 = true },
  arm = { arm64 = true, aarch64 = true, arm = true } }

local ACTIONS = { SCMP_ACT_ALLOW = "allow", SCMP_ACT_ERRNO = "errno", SCMP_ACT_KILL = "kill_thread",
  SCMP_ACT_KILL_THREAD = "kill_thread", SCMP_ACT_KILL_PROCESS = "kill_process", SCMP_ACT_TRAP = "trap",
  SCMP_ACT_LOG = "log" }
local REFUSED = { SCMP_ACT_TRACE = "hako has no tracer to hand the call to",
  SCMP_ACT_NOTIFY = "hako has no seccomp agent to notify" }
local OPS = { SCMP_CMP_EQ = "eq", SCMP_CMP_NE = "ne", SCMP_CMP_LT = "lt", SCMP_CMP_LE = "le", SCMP_CMP_GT = "gt",
  SCMP_CMP_GE = "ge", SCMP_CMP_MASKED_EQ = "masked_eq" }
local EPERM, MAX_ERRNO = 1, 4095
local EXACT_FLOAT = 2 ^ 53

-- family(machine) -> "x86", "arm" or nil for uname's machine name.
function M.family(machine)
  if machine == "x86_64" or (machine or ""):match("^i[3-6]86$") then return "x86" end
  if machine == "aarch64" or machine == "arm64" or (machine or ""):match("^arm") then return "arm" end
end

local show = require("hako.seccomp_rules").show
local MAX_RULES = require("hako.seccomp_rules").MAX_RULES

local function kind(value)
  local meta = getmetatable(value)
  if type(value) == "table" then return meta and meta.__jsontype or "object" end
  return type(value)
end

-- A reader of one profile: fail(path, why) raises "NAME: path: why".
local function reader(name)
  local r = {}
  function r.fail(path, fmt, ...)
    failure.raise(name, path .. ": " .. string.format(fmt, ...))
  end
  function r.typed(value, want, path, optional)
    if value == nil and optional then return nil end
    if kind(value) ~= want then
      r.fail(path, "expected %s %s, got %s", want:match("^[ao]") and "an" or "a", want,
        value == nil and "nothing" or kind(value))
    end
    return value
  end
  -- integer(value, path) -> a non-negative integer dkjson read exactly.
  function r.integer(value, path)
    if math.type(value) == "float" and value >= 0 and value < EXACT_FLOAT and value == math.floor(value) then
      return math.tointeger(value)
    end
    if math.type(value) == "integer" and value >= 0 then return value end
    if type(value) ~= "number" then
      r.fail(path, "expected a number, got %s", value == nil and "nothing" or kind(value))
    end
    if value < 0 then r.fail(path, "%s is negative", tostring(value)) end
    if value ~= math.floor(value) then r.fail(path, "%s is not an integer", tostring(value)) end
    r.fail(path, "%s is past what hako reads exactly from JSON (integers up to 2^63-1)", string.format("%.17g", value))
  end
  return r
end

-- action_of(r, name, errno_ret, path, errno_path) -> ACTION. errnoRet goes with ERRNO only
-- (defaultErrnoRet is ignored with another default action, as runc does).
local function action_of(r, name, errno_ret, path, errno_path)
  r.typed(name, "string", path)
  if REFUSED[name] then r.fail(path, "%s: %s", name, REFUSED[name]) end
  local k = ACTIONS[name]
  if not k then r.fail(path, "unknown action %s", show(name)) end
  if k ~= "errno" then
    if errno_ret ~= nil and errno_path:match("%.errnoRet$") then
      r.fail(errno_path, "only SCMP_ACT_ERRNO takes one")
    end
    return { kind = k }
  end
  local errno = EPERM
  if errno_ret ~= nil then
    errno = r.integer(errno_ret, errno_path)
    if errno > MAX_ERRNO then r.fail(errno_path, "%d out of range (0 to %d)", errno, MAX_ERRNO) end
  end
  return { kind = "errno", errno = errno }
end

local function same(a, b)
  return a.kind == b.kind and a.errno == b.errno
end

-- abis(r, profile, family) -> nil (every ABI) or the ABIs of this machine's family named.
local function abis(r, profile, family)
  local list, seen, named = {}, {}, 0
  local function add(arch, path)
    r.typed(arch, "string", path)
    if not arch:match("^SCMP_ARCH_[%w_]+$") then r.fail(path, "unknown architecture %s", show(arch)) end
    named = named + 1
    local abi = ARCHES[arch] -- other machines' architectures are left out
    if abi and not seen[abi] and (not family or FAMILY_OF_ABI[abi] == family) then
      list[#list + 1], seen[abi] = abi, true
    end
  end
  for i, arch in ipairs(r.typed(profile.architectures, "array", "architectures", true) or {}) do
    add(arch, string.format("architectures[%d]", i - 1))
  end
  for i, entry in ipairs(r.typed(profile.archMap, "array", "archMap", true) or {}) do
    local path = string.format("archMap[%d]", i - 1)
    r.typed(entry, "object", path)
    add(entry.architecture, path .. ".architecture")
    for j, sub in ipairs(r.typed(entry.subArchitectures, "array", path .. ".subArchitectures", true) or {}) do
      add(sub, string.format("%s.subArchitectures[%d]", path, j - 1))
    end
  end
  if named == 0 then return nil end
  if #list == 0 then r.fail("architectures", "none of this machine's (%s)", family or "unknown") end
  return list
end

-- applies(r, entry, path, context) -> whether Docker's includes/excludes let the entry apply.
local function applies(r, entry, path, context)
  local function met(filter, where, excludes)
    if filter == nil then return nil end
    r.typed(filter, "object", where)
    local caps = r.typed(filter.caps, "array", where .. ".caps", true) or {}
    local held = 0
    for i, cap in ipairs(caps) do
      r.typed(cap, "string", string.format("%s.caps[%d]", where, i - 1))
      if context.caps[cap] or context.caps["CAP_" .. cap] then held = held + 1 end
    end
    local arches = r.typed(filter.arches, "array", where .. ".arches", true) or {}
    local on_machine = false
    for i, arch in ipairs(arches) do
      r.typed(arch, "string", string.format("%s.arches[%d]", where, i - 1))
      if context.arches[arch] then on_machine = true end
    end
    r.typed(filter.minKernel, "string", where .. ".minKernel", true)
    if excludes then -- any condition met excludes
      return held > 0 or on_machine or filter.minKernel ~= nil
    end
    return held == #caps and (#arches == 0 or on_machine)
  end
  if met(entry.includes, path .. ".includes") == false then return false end
  return not met(entry.excludes, path .. ".excludes", true)
end

-- conditions(r, args, path) -> a list of alternatives, each a list of COND.
local function conditions(r, args, path)
  local list, count = {}, {}
  for i, a in ipairs(r.typed(args, "array", path, true) or {}) do
    local where = string.format("%s[%d]", path, i - 1)
    r.typed(a, "object", where)
    local index = r.integer(a.index, where .. ".index")
    if index > 5 then r.fail(where .. ".index", "%d is not an argument (0 to 5)", index) end
    local op = OPS[r.typed(a.op, "string", where .. ".op")]
    if not op then r.fail(where .. ".op", "unknown operator %s", show(a.op)) end
    local value = r.integer(a.value, where .. ".value")
    local two = a.valueTwo ~= nil and r.integer(a.valueTwo, where .. ".valueTwo") or 0
    if op == "masked_eq" then
      list[#list + 1] = { arg = index, op = op, mask = value, value = two }
    else
      list[#list + 1] = { arg = index, op = op, value = value }
    end
    count[index] = (count[index] or 0) + 1
  end
  for _, n in pairs(count) do
    if n > 1 then -- runc: one index more than once makes each condition its own rule
      local alternatives = {}
      for i, c in ipairs(list) do alternatives[i] = { c } end
      return alternatives
    end
  end
  return { list }
end

local function copy(conds)
  local out = {}
  for i, c in ipairs(conds) do out[i] = { arg = c.arg, op = c.op, value = c.value, mask = c.mask } end
  return out
end

local function decode(text, r)
  local json = require "dkjson"
  local ok, value, pos, why = pcall(json.decode, text, 1, nil)
  if not ok then -- dkjson recurses: Lua's stack ends a deep enough nesting
    if tostring(value):find("stack overflow", 1, true) then r.fail("JSON", "nested too deep") end
    error(value, 0)
  end
  if why then r.fail("JSON", "%s", why) end
  local after = text:find("%S", pos)
  if after then r.fail("JSON", "something after the profile at byte %d", after) end
  return value
end

-- parse(text, name, options) -> the resolved policy. options.machine: uname's machine
-- name (x86_64, aarch64, ...); options.caps: the capabilities the sandbox keeps
-- ({ "CAP_NET_RAW", ... }, none if nil).
function M.parse(text, name, options)
  options = options or {}
  local r = reader(name or "profile.json")
  local profile = r.typed(decode(text, r), "object", "the profile")
  local family = M.family(options.machine)
  local context = { caps = {}, arches = DOCKER_ARCHES[family] or {} }
  for _, cap in ipairs(options.caps or {}) do context.caps[cap] = true end
  local default = action_of(r, profile.defaultAction, profile.defaultErrnoRet, "defaultAction", "defaultErrnoRet")
  local policy = { default = default, rules = {}, unknown = "ignore", abis = abis(r, profile, family) }
  local made = 0
  for i, entry in ipairs(r.typed(profile.syscalls, "array", "syscalls", true) or {}) do
    local path = string.format("syscalls[%d]", i - 1)
    r.typed(entry, "object", path)
    local names = entry.names
    if names == nil and entry.name ~= nil then -- the older form: one name
      names = { r.typed(entry.name, "string", path .. ".name") }
    else
      r.typed(names, "array", path .. ".names")
    end
    local action = action_of(r, entry.action, entry.errnoRet, path .. ".action", path .. ".errnoRet")
    local alternatives = conditions(r, entry.args, path .. ".args")
    for j, call in ipairs(names) do
      local where = string.format("%s.names[%d]", path, j - 1)
      r.typed(call, "string", where)
      if not call:match("^[%a_][%w_]*$") then r.fail(where, "bad system call name %s", show(call)) end
    end
    if applies(r, entry, path, context) and not same(action, default) then
      -- names times alternatives: a file of a megabyte could make millions
      made = made + #names * #alternatives
      if made > MAX_RULES then r.fail(path, "the profile makes more than %d rules", MAX_RULES) end
      for _, call in ipairs(names) do
        for _, conds in ipairs(alternatives) do
          policy.rules[#policy.rules + 1] = { name = call, action = action, args = copy(conds) }
        end
      end
    end
  end
  return policy
end

return M
