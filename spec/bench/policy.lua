-- policy.lua: the system call policy `make bench` compiles with hako and with libseccomp.
-- bench_policy() is the one place to change: today a stand-in allow-list (every call of
-- the machine's table but a few dangerous ones, ioctl without TIOCSTI); once the named
-- profiles land, hako's `default` profile instead.
local seccomp = require "hako.seccomp"

local M = {}

local DENIED = { keyctl = true, add_key = true, request_key = true, bpf = true, perf_event_open = true,
  userfaultfd = true, kexec_load = true, kexec_file_load = true, init_module = true, finit_module = true,
  delete_module = true, mount = true, umount2 = true, pivot_root = true, setns = true, unshare = true,
  io_uring_setup = true, io_uring_enter = true, io_uring_register = true, ioctl = true, reboot = true,
  swapon = true, swapoff = true, syslog = true, kcmp = true, open_by_handle_at = true, ptrace = true }
local TIOCSTI = 0x5412

-- bench_policy(table) -> a policy (/work's seccomp interface): table is the native ABI's
-- name -> number.
function M.bench_policy(names)
  local list = {}
  for name in pairs(names) do
    if not DENIED[name] then list[#list + 1] = name end
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
