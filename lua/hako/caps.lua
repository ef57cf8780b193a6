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

-- What uid 0 inside gets when the sandbox has a range of ids of its own (root's default,
-- rootless --map-users auto): the set Docker and podman give a container's root. In a user
-- namespace each is confined to what that namespace owns: its ids (files through the
-- idmapped mounts, processes inside), never a host object whose owner it does not map.
M.CONTAINER = { "chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
  "net_bind_service", "sys_chroot", "setfcap", "audit_write" }

local NUMBER = {}
for i, name in ipairs(M.NAMES) do NUMBER[name] = i - 1 end

-- number("CAP_NET_RAW" | "net_raw" | "cap_net_raw"[, option]) -> 13
function M.number(name, option)
  local key = name:lower():gsub("^cap_", "")
  local n = NUMBER[key]
  if not n then failure.raise((option or "--cap-add") .. " " .. name, "unknown capability") end
  return n
end

-- parse({names}[, key, option]) -> sorted list of numbers, without repeats
function M.parse(names, key, option)
  key = key or "cap_add"
  if names ~= nil and type(names) ~= "table" then failure.raise(key, "must be a list of capability names") end
  local seen, list = {}, {}
  for _, name in ipairs(names or {}) do
    if type(name) ~= "string" then failure.raise(key, "names must be strings") end
    local n = M.number(name, option)
    if not seen[n] then
      seen[n] = true
      list[#list + 1] = n
    end
  end
  table.sort(list)
  return list
end

-- adjust(base, add, drop) -> sorted numbers: base and add, less drop (drop wins).
function M.adjust(base, add, drop)
  local out, dropped, seen = {}, {}, {}
  for _, n in ipairs(drop) do dropped[n] = true end
  for _, list in ipairs({ base, add }) do
    for _, n in ipairs(list) do
      if not dropped[n] and not seen[n] then seen[n], out[#out + 1] = true, n end
    end
  end
  table.sort(out)
  return out
end

function M.mask(numbers)
  local mask = 0
  for _, n in ipairs(numbers) do mask = mask | (1 << n) end
  return mask
end

return M
