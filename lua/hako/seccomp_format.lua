-- hako.seccomp_format: a resolved seccomp policy printed back as policy text
-- (hako-seccomp --print), which hako.seccomp_rules parses to the same table. Pure.
--
-- The resolved policy, which every policy source gives and the compiler takes:
--   { default = ACTION, rules = { { name =, action = ACTION, args = { COND... } }... },
--     unknown = "error" | "ignore", abis = nil | { "x86_64", ... } }
--   ACTION = { kind = "allow" | "kill_process" | "kill_thread" | "trap" | "log" }
--          | { kind = "errno", errno = 0..4095 }
--   COND = { arg = 0..5, op = "eq"|"ne"|"lt"|"le"|"gt"|"ge"|"masked_eq"|"masked_ne",
--            value = 64-bit pattern, mask = 64-bit pattern (masked ops only) }
-- For one call the first rule whose conditions all hold decides; else the default.

local constants = require "hako.seccomp_constants"

local M = {}

M.WIDTH = 100 -- a line of names is wrapped before this column

local KINDS = { allow = "allow", kill_process = "kill", kill_thread = "kill-thread", trap = "trap", log = "log" }
local OPS = { eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=" }

-- action(a) -> "allow", "errno EPERM", "errno 1234", "kill", ...
function M.action(a)
  if a.kind == "errno" then return "errno " .. (constants.errno_name[a.errno] or tostring(a.errno)) end
  return KINDS[a.kind] or error("unknown action kind " .. tostring(a.kind))
end

-- Small numbers in decimal, the rest (flags, masks, 64-bit patterns) in hex.
local function number(n)
  if n >= 0 and n < 0x10000 then return tostring(n) end
  return string.format("0x%x", n)
end

local function condition(c)
  local arg = "arg" .. c.arg
  if c.op == "masked_eq" or c.op == "masked_ne" then
    return string.format("%s & %s %s %s", arg, number(c.mask), c.op == "masked_eq" and "==" or "!=", number(c.value))
  end
  return string.format("%s %s %s", arg, OPS[c.op] or error("unknown op " .. tostring(c.op)), number(c.value))
end

-- The part of a rule's line after its names: "" or ": arg0 == 1 and arg1 != 2".
local function tail(rule)
  if not rule.args or #rule.args == 0 then return "" end
  local parts = {}
  for i, c in ipairs(rule.args) do parts[i] = condition(c) end
  return ": " .. table.concat(parts, " and ")
end

-- format(policy) -> text. Consecutive rules with the same action and conditions share
-- a line (wrapped at WIDTH, the action repeated), which keeps their order.
function M.format(policy)
  local lines = { "default " .. M.action(policy.default) }
  if policy.unknown == "ignore" then lines[#lines + 1] = "unknown ignore" end
  if policy.abis then lines[#lines + 1] = "abis " .. table.concat(policy.abis, " ") end
  local current, key
  local function flush()
    if current then lines[#lines + 1] = current .. key:match("\0(.*)$") end
    current = nil
  end
  for _, rule in ipairs(policy.rules) do
    local action = M.action(rule.action)
    local this = action .. "\0" .. tail(rule)
    if this ~= key or #current + #rule.name + #this > M.WIDTH then
      flush()
      current, key = action .. " " .. rule.name, this
    else
      current = current .. " " .. rule.name
    end
  end
  flush()
  return table.concat(lines, "\n") .. "\n"
end

return M
