-- hako.caps: capability names and 64-bit capability masks. Pure.
--
-- A set of capabilities is an integer with bit N set for capability N, the way the
-- kernel's capget/capset and /proc/PID/status (CapBnd, CapEff, ...) show it.

local M = {}

-- Capability numbers from linux/capability.h, by name without the CAP_ prefix.
M.NAMES = {
  [0] = "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
  "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin",
  "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace",
  "sys_pacct", "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
  "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
  "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read",
  "perfmon", "bpf", "checkpoint_restore",
}

local NUMBER = {}
for n = 0, #M.NAMES do NUMBER[M.NAMES[n]] = n end

-- number(cap) -> N for 5, "kill", "CAP_KILL" or "cap_kill"; nil for an unknown name.
function M.number(cap)
  if math.type(cap) == "integer" then
    if cap >= 0 and cap < 64 then return cap end
    return nil
  end
  if type(cap) ~= "string" then return nil end
  return NUMBER[cap:lower():gsub("^cap_", "")]
end

-- mask({caps...}) -> integer; raises a plain error naming an unknown capability.
function M.mask(list)
  local m = 0
  for _, cap in ipairs(list) do
    local n = M.number(cap)
    if not n then error("unknown capability " .. tostring(cap), 0) end
    m = m | (1 << n)
  end
  return m
end

-- hex(mask) -> "000001ffffffffff", as /proc/PID/status writes a capability set.
function M.hex(mask)
  return string.format("%016x", mask)
end

-- all(last_cap) -> the mask of every capability up to last_cap.
function M.all(last_cap)
  if last_cap >= 63 then return -1 end
  return (1 << (last_cap + 1)) - 1
end

return M
