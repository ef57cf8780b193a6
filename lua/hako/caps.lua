-- hako.caps: capability names <-> numbers (capabilities(7)). Pure.

local failure = require "hako.failure"

local M = {}

-- In kernel order: the number of a capability is its index here minus one.
M.NAMES = {
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
  "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
  "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
  "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
  "lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
  "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
}

local NUMBER = {}
for i, name in ipairs(M.NAMES) do NUMBER[name] = i - 1 end

-- number("CAP_NET_RAW" | "net_raw" | "cap_net_raw") -> 13
function M.number(name)
  local key = name:lower():gsub("^cap_", "")
  local n = NUMBER[key]
  if not n then failure.raise("--cap-add " .. name, "unknown capability") end
  return n
end

-- parse({names}) -> sorted list of numbers, without repeats
function M.parse(names)
  if names ~= nil and type(names) ~= "table" then failure.raise("cap_add", "must be a list of capability names") end
  local seen, list = {}, {}
  for _, name in ipairs(names or {}) do
    if type(name) ~= "string" then failure.raise("cap_add", "names must be strings") end
    local n = M.number(name)
    if not seen[n] then
      seen[n] = true
      list[#list + 1] = n
    end
  end
  table.sort(list)
  return list
end

function M.mask(numbers)
  local mask = 0
  for _, n in ipairs(numbers) do mask = mask | (1 << n) end
  return mask
end

return M
