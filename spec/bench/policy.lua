-- policy.lua: the system call policy `make bench` compiles with hako and with libseccomp:
-- the allow-list of hako's `default` profile (what every sandbox loads), ioctl without
-- TIOCSTI, everything else ENOSYS. The profile's few calls allowed only with some
-- arguments (clone, personality, socket) are allowed whole here: libseccomp cannot take
-- the profile's "first rule that holds" order for one call as it is, and these calls are
-- not the ones measured.
local seccomp = require "hako.seccomp"

local M = {}

local TIOCSTI = 0x5412

-- bench_policy(table) -> a policy (hako.seccomp's interface): table is the native ABI's
-- name -> number; the default profile's names this ABI has.
function M.bench_policy(names)
  local allowed, list = {}, {}
  for _, rule in ipairs(require("hako.seccomp_profiles").profile("default").rules) do
    if rule.action.kind == "allow" and names[rule.name] and not allowed[rule.name] and rule.name ~= "ioctl" then
      allowed[rule.name] = true
      list[#list + 1] = rule.name
    end
  end
  table.sort(list)
  -- ioctl: TIOCSTI fails, every other request is allowed (in libseccomp's terms, which
  -- have no masked_ne: a second rule with ne)
  local rules = {
    { name = "ioctl", action = { kind = "errno", errno = 1 },
      args = { { arg = 1, op = "masked_eq", value = TIOCSTI, mask = 0xffffffff } } },
    { name = "ioctl", action = { kind = "allow" }, args = { { arg = 1, op = "ne", value = TIOCSTI } } },
  }
  for _, name in ipairs(list) do rules[#rules + 1] = { name = name, action = { kind = "allow" }, args = {} } end
  return { default = { kind = "errno", errno = 38 }, rules = rules, unknown = "ignore" }
end

M.seccomp = seccomp
return M
