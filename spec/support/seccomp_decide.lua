-- support/seccomp_decide.lua: what a resolved seccomp policy decides for one call, read
-- off the table as the interface defines it (first rule whose conditions all hold, else
-- the default; unsigned 64-bit comparisons). The specs of the policy sources use it to
-- check meaning rather than layout; it is not the compiler.
local OPS = {
  eq = function(a, v) return a == v end,
  ne = function(a, v) return a ~= v end,
  lt = function(a, v) return math.ult(a, v) end,
  le = function(a, v) return a == v or math.ult(a, v) end,
  gt = function(a, v) return math.ult(v, a) end,
  ge = function(a, v) return a == v or math.ult(v, a) end,
  masked_eq = function(a, v, m) return a & m == v end,
  masked_ne = function(a, v, m) return a & m ~= v end,
}

-- decide(policy, name, args) -> the ACTION for a call of name with args (a list, 0-based
-- arguments at [1]..[6], missing ones 0).
return function(policy, name, args)
  args = args or {}
  for _, rule in ipairs(policy.rules) do
    if rule.name == name then
      local holds = true
      for _, c in ipairs(rule.args) do
        if not OPS[c.op](args[c.arg + 1] or 0, c.value, c.mask) then holds = false end
      end
      if holds then return rule.action end
    end
  end
  return policy.default
end
