-- hako.seccomp_table: a seccomp policy a Lua recipe gives as a table, checked and read
-- into the resolved policy (hako.seccomp_format). Pure.
--
-- The resolved table's shape, friendlier: actions as text, calls by name or @group,
-- values by constant name, and a rule may be a line of the policy text:
--   {
--     default = "errno ENOSYS",                         -- or { kind = "errno", errno = 38 }
--     rules = {
--       "@include <default>",                           -- a line of policy text
--       { "read", "write", "@timer", action = "allow" }, -- calls in the list part
--       { name = "socket", action = "allow", args = "arg0 in AF_UNIX, AF_INET" },
--       { names = { "clone" }, action = "errno EPERM",
--         args = { { arg = 0, op = "masked_ne", mask = "CLONE_NEWUSER|CLONE_NEWNS", value = 0 } } },
--     },
--     unknown = "error",                                -- or "ignore"
--     abis = { "x86_64", "i386" },                      -- or nil: every ABI
--   }
-- Errors name the place: "seccomp.rules[3].action: unknown action \"alow\"".

local failure = require "hako.failure"
local text = require "hako.seccomp_rules"

local M = {}

local OPS = { eq = true, ne = true, lt = true, le = true, gt = true, ge = true, masked_eq = true, masked_ne = true }
local KINDS = { allow = true, kill_process = true, kill_thread = true, trap = true, log = true, errno = true }
local TOP_KEYS = { default = true, rules = true, unknown = true, abis = true }
local RULE_KEYS = { name = true, names = true, action = true, args = true }
local COND_KEYS = { arg = true, op = true, value = true, mask = true }

local function fail(where, fmt, ...)
  failure.raise(where, string.format(fmt, ...))
end

local function only(t, keys, where)
  for k in pairs(t) do
    if not keys[k] and math.type(k) ~= "integer" then fail(where .. "." .. tostring(k), "unknown key") end
  end
end

-- action(value, where) -> ACTION from "allow", "errno EPERM", ... or an ACTION table.
local function action(value, where)
  if type(value) == "string" then
    local words = {}
    for word in value:gmatch("%S+") do words[#words + 1] = word end
    local a, i = text.action(words, 1, where)
    if words[i] then fail(where, "unexpected %s after the action", text.show(words[i])) end
    return a
  end
  if type(value) ~= "table" then fail(where, "expected an action, as in \"errno EPERM\", got %s", type(value)) end
  if not KINDS[value.kind] then fail(where .. ".kind", "unknown action kind %s", text.show(tostring(value.kind))) end
  if value.kind ~= "errno" then return { kind = value.kind } end
  local n = value.errno
  if math.type(n) ~= "integer" or n < 0 or n > 4095 then fail(where .. ".errno", "expected 0 to 4095") end
  return { kind = "errno", errno = n }
end

-- number(value, where) -> an integer, or the value of "AF_UNIX" or "CLONE_NEWNS|CLONE_NEWUSER".
local function number(value, where)
  if math.type(value) == "integer" then return value end
  if type(value) ~= "string" then fail(where, "expected an integer or a constant's name, got %s", type(value)) end
  local n = 0
  for part in (value .. "|"):gmatch("%s*([^|]-)%s*|") do n = n | text.value(part, where) end
  return n
end

local function condition(c, where)
  if type(c) ~= "table" then fail(where, "expected a condition table, got %s", type(c)) end
  only(c, COND_KEYS, where)
  if math.type(c.arg) ~= "integer" or c.arg < 0 or c.arg > 5 then fail(where .. ".arg", "expected 0 to 5") end
  if not OPS[c.op] then fail(where .. ".op", "unknown operator %s", text.show(tostring(c.op))) end
  local masked = c.op == "masked_eq" or c.op == "masked_ne"
  if masked ~= (c.mask ~= nil) then
    fail(where .. ".mask", masked and "missing" or "only for masked_eq and masked_ne")
  end
  return { arg = c.arg, op = c.op, value = number(c.value, where .. ".value"),
    mask = masked and number(c.mask, where .. ".mask") or nil }
end

-- alternatives(args, where) -> a list of alternatives, each a list of COND.
local function alternatives(args, where)
  if args == nil then return { {} } end
  if type(args) == "string" then return text.conditions(args, where) end
  if type(args) ~= "table" then fail(where, "expected conditions, got %s", type(args)) end
  local list = {}
  for i, c in ipairs(args) do list[i] = condition(c, string.format("%s[%d]", where, i)) end
  return { list }
end

local function rule(r, where, out, counted)
  only(r, RULE_KEYS, where)
  local calls = {}
  local function add(name, at)
    if type(name) ~= "string" then fail(at, "expected a system call's name, got %s", type(name)) end
    if not name:match("^@?[%a_][%w_%-]*$") then fail(at, "bad system call name %s", text.show(name)) end
    calls[#calls + 1] = name
  end
  for i, name in ipairs(r) do add(name, string.format("%s[%d]", where, i)) end
  if r.name ~= nil then add(r.name, where .. ".name") end
  if r.names ~= nil then
    if type(r.names) ~= "table" then fail(where .. ".names", "expected a list, got %s", type(r.names)) end
    for i, name in ipairs(r.names) do add(name, string.format("%s.names[%d]", where, i)) end
  end
  if #calls == 0 then fail(where, "names no system call") end
  local a = action(r.action, where .. ".action")
  local alts = alternatives(r.args, where .. ".args")
  -- the text reader checks names and expands groups: give it the names alone
  local named = {}
  text.read_lines("allow " .. table.concat(calls, " "), where, { rules = named, one_line = true })
  text.count(counted, where, #named * #alts)
  for _, call in ipairs(named) do
    for _, conds in ipairs(alts) do
      local copy = {}
      for i, c in ipairs(conds) do copy[i] = { arg = c.arg, op = c.op, value = c.value, mask = c.mask } end
      out[#out + 1] = { name = call.name, action = a, args = copy }
    end
  end
end

-- from_table(t[, where]) -> the resolved policy; where names the table in messages.
function M.from_table(t, where)
  where = where or "seccomp"
  if type(t) ~= "table" then fail(where, "expected a table, got %s", type(t)) end
  only(t, TOP_KEYS, where)
  local out, settings = {}, {}
  local context = { rules = out, one_line = true } -- one count of rules for the whole table
  if t.rules ~= nil and type(t.rules) ~= "table" then
    fail(where .. ".rules", "expected a list, got %s", type(t.rules))
  end
  for i, r in ipairs(t.rules or {}) do
    local at = string.format("%s.rules[%d]", where, i)
    if type(r) == "string" then
      local given = text.read_lines(r, at, context)
      for k, v in pairs(given) do
        if settings[k] == nil then settings[k] = v end
      end
    elseif type(r) == "table" then
      rule(r, at, out, context)
    else
      fail(at, "expected a rule table or a line of policy text, got %s", type(r))
    end
  end
  local default = t.default ~= nil and action(t.default, where .. ".default") or settings.default
  if not default then fail(where .. ".default", 'missing (say default = "errno ENOSYS")') end
  local unknown = t.unknown or settings.unknown or "error"
  if unknown ~= "error" and unknown ~= "ignore" then fail(where .. ".unknown", 'expected "error" or "ignore"') end
  local abis = settings.abis
  if t.abis ~= nil then
    if type(t.abis) ~= "table" or #t.abis == 0 then fail(where .. ".abis", "expected a list of ABIs") end
    abis = {}
    for i, abi in ipairs(t.abis) do
      if not text.ABIS[abi] then
        fail(string.format("%s.abis[%d]", where, i), "unknown ABI %s", text.show(tostring(abi)))
      end
      abis[i] = abi
    end
  end
  return { default = default, rules = out, unknown = unknown, abis = abis }
end

return M
