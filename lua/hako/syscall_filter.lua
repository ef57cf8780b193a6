-- hako.syscall_filter: from where a syscall policy comes (--seccomp, a recipe's table) to
-- the BPF program hako loads. Pure: files are read through a function passed in.
--
-- A source is one of
--   { profile = "default" | "strict" | "none" }   a built-in profile (none: no profile)
--   { file = "/abs/path" }                        a rule file in hako's format, or OCI JSON
--   { table = t }                                 a recipe's table (hako.seccomp_table)
-- plus nested_userns = true to let the command make user namespaces (browsers need them).
--
-- Whatever the source, the program starts with hako's own rules (hako.seccomp.baseline:
-- the ioctls that write into the caller's terminal, the keyring calls, tcp_only's socket
-- limits): those defend other walls of the sandbox, and a policy cannot lift them, since
-- for one call the first rule that holds decides. `none` leaves only them.

local failure = require "hako.failure"

local M = {}

M.PROFILES = { default = true, strict = true, none = true }
M.DEFAULT = "default"

-- source(value, nested_userns, cwd) -> a source, from --seccomp's value (nil: the default)
-- or a recipe's table; raises on a bad one. A name that is not a profile is a file.
function M.source(value, nested_userns, cwd)
  if nested_userns ~= nil and type(nested_userns) ~= "boolean" then
    failure.raise("nested_userns", "must be true or false")
  end
  local s
  if value == nil or M.PROFILES[value] then
    s = { profile = value or M.DEFAULT }
  elseif type(value) == "table" then
    s = { table = value }
  elseif type(value) == "string" and value ~= "" and not value:find("\0", 1, true) then
    s = { file = value:sub(1, 1) == "/" and value or (cwd or ".") .. "/" .. value, given = value }
  else
    failure.raise("--seccomp " .. tostring(value), "expected default, strict, none or a policy file")
  end
  s.nested_userns = nested_userns == true or nil
  return s
end

-- name(source) -> how --dry-run and hako ps say it: the profile, the file as given, "table"
function M.name(s)
  return s.profile or s.given or s.file or "table"
end

-- What the source is in messages: --seccomp FILE (hako-seccomp: --policy FILE).
local function what(s)
  return (s.option or "--seccomp") .. " " .. M.name(s)
end

-- Calls a built-in profile closes that a capability kept on request (--cap-add) is for: the
-- caller who keeps CAP_SYS_ADMIN means the command to mount. Docker's default profile opens
-- the same calls for the same capabilities.
M.CAPABILITY_CALLS = {
  sys_admin = { "mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "open_tree",
    "move_mount", "mount_setattr", "pivot_root", "setns", "unshare", "clone", "quotactl", "quotactl_fd",
    "name_to_handle_at", "fanotify_init", "lookup_dcookie", "syslog", "bpf", "perf_event_open" },
  sys_boot = { "reboot", "kexec_load", "kexec_file_load" },
  sys_module = { "init_module", "finit_module", "delete_module" },
  sys_time = { "settimeofday", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime",
    "clock_adjtime64", "stime" },
  sys_pacct = { "acct" },
  syslog = { "syslog" },
  sys_ptrace = { "kcmp" },
  dac_read_search = { "open_by_handle_at", "name_to_handle_at" },
  sys_rawio = { "iopl", "ioperm" },
  bpf = { "bpf" },
  perfmon = { "perf_event_open" },
}

-- with_capabilities(resolved, caps) -> resolved with `allow` rules first for the calls of
-- each capability number in caps (hako.caps), the names no ABI has left out.
local function with_capabilities(resolved, cap_numbers)
  local names, seen, first = require("hako.caps").NAMES, {}, {}
  for _, n in ipairs(cap_numbers or {}) do
    for _, call in ipairs(M.CAPABILITY_CALLS[names[n + 1]] or {}) do
      if not seen[call] and require("hako.seccomp").known(call) then
        seen[call] = true
        first[#first + 1] = { name = call, action = { kind = "allow" }, args = {} }
      end
    end
  end
  if #first == 0 then return resolved end
  local out = { default = resolved.default, unknown = resolved.unknown, abis = resolved.abis, rules = first }
  table.move(resolved.rules, 1, #resolved.rules, #first + 1, out.rules)
  return out
end

-- uname's machine name for an AUDIT_ARCH value: what an OCI profile's archMap is keyed by.
local MACHINE = { [0xC000003E] = "x86_64", [0x40000003] = "i686", [0xC00000B7] = "aarch64", [0x40000028] = "arm" }

-- context(core, policy) -> what an OCI profile's conditions are about: the machine, and
-- the capabilities the command keeps (hako.policy's caps) as "CAP_NAME".
function M.context(core, p)
  local names = require("hako.caps").NAMES
  local list = {}
  for i, n in ipairs(p.caps or {}) do list[i] = "CAP_" .. (names[n + 1] or tostring(n)):upper() end
  return { native_arch = core.AUDIT_ARCH_NATIVE, caps = list, cap_numbers = p.caps }
end

-- resolve(source, read, context) -> the resolved policy (nil for none); read(path) -> text
-- | nil, why; context = { native_arch, caps = { "CAP_CHOWN", ... } kept by the command }.
-- JSON (a file whose first non-blank byte is "{") is an OCI profile; else hako's format.
function M.resolve(s, read, context)
  context = context or {}
  local resolved
  if s.profile == "none" then
    resolved = nil
  elseif s.profile then
    resolved = with_capabilities(require("hako.seccomp_profiles").profile(s.profile), context.cap_numbers)
  elseif s.table then
    resolved = require("hako.seccomp_table").from_table(s.table, "seccomp")
  else
    local text, why = read(s.file)
    if not text then failure.raise(what(s), why) end
    if text:match("^%s*{") then
      resolved = require("hako.seccomp_oci").parse(text, s.given or s.file,
        { machine = MACHINE[context.native_arch], caps = context.caps })
    else
      resolved = require("hako.seccomp_rules").parse(text, s.given or s.file, read)
    end
  end
  if s.nested_userns then
    resolved = resolved or { default = { kind = "allow" }, rules = {}, unknown = "error" }
    resolved = require("hako.seccomp_profiles").nested_userns(resolved)
  end
  return resolved
end

-- whole(resolved, fields, native_arch) -> the policy hako compiles: its own rules first,
-- then the source's; nothing resolved (none) allows what those leave.
function M.whole(resolved, fields, native_arch)
  local rules, why = require("hako.seccomp").baseline(fields, native_arch)
  if not rules then failure.raise("seccomp filter", why) end
  local out = { default = { kind = "allow" }, rules = rules, unknown = "error" }
  if resolved then
    out.default, out.unknown, out.abis = resolved.default, resolved.unknown, resolved.abis
    table.move(resolved.rules, 1, #resolved.rules, #rules + 1, rules)
  end
  return out
end

-- The filters built with hako (c/gen_prebuilt.lua), by key: a built-in profile's name
-- (or none), "+tcp_only" when ports are limited, "+nested_userns" on request.
M.PREBUILT_KEYS = {}
for _, profile in ipairs({ "default", "strict", "none" }) do
  for _, more in ipairs({ "", "+tcp_only", "+nested_userns", "+tcp_only+nested_userns" }) do
    M.PREBUILT_KEYS[#M.PREBUILT_KEYS + 1] = profile .. more
  end
end

local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

-- prebuilt_key(source, fields, caps) -> the key of the filter built with hako that is the
-- one these would compile to, or nil: a file, hako's own rules changed, or a capability
-- kept that opens calls.
function M.prebuilt_key(s, fields, cap_numbers)
  if not s.profile then return nil end
  local policy = require "hako.policy"
  if not same(fields.deny_syscalls, policy.DENIED_SYSCALLS) or not same(fields.deny_ioctls, policy.DENIED_IOCTLS) then
    return nil
  end
  local names = require("hako.caps").NAMES
  for _, n in ipairs(cap_numbers or {}) do
    if M.CAPABILITY_CALLS[names[n + 1]] then return nil end
  end
  return s.profile .. (fields.tcp_only and "+tcp_only" or "") .. (s.nested_userns and "+nested_userns" or "")
end

-- from_prebuilt_key(key) -> source, fields: what the key stands for.
function M.from_prebuilt_key(key)
  local policy = require "hako.policy"
  return { profile = key:match("^%a+"), nested_userns = key:find("+nested_userns", 1, true) and true or nil },
    { deny_syscalls = policy.DENIED_SYSCALLS, deny_ioctls = policy.DENIED_IOCTLS,
      tcp_only = key:find("+tcp_only", 1, true) ~= nil }
end

-- prebuilt(source, fields, native_arch, caps) -> the BPF built with hako for these, or nil.
function M.prebuilt(s, fields, native_arch, cap_numbers)
  local key = M.prebuilt_key(s, fields, cap_numbers)
  local ok, built = pcall(require, "hako.seccomp_prebuilt")
  return key and ok and built[native_arch] and built[native_arch][key] or nil
end

-- filter(source, fields, read, context[, label]) -> the BPF for a source: built with hako
-- when it can be, else resolved and compiled now; a failure names label (or the source).
function M.filter(s, fields, read, context, label)
  local built = M.prebuilt(s, fields, context.native_arch, context.cap_numbers)
  if built then return built end
  return M.program(M.resolve(s, read, context), fields, context.native_arch, label or what(s))
end

-- print(resolved, fields, native_arch) -> the policy as text (hako.seccomp_format), hako's
-- own rules first as comments: read back as a policy file, it compiles to the same filter.
function M.print(resolved, fields, native_arch)
  local format = require("hako.seccomp_format").format
  local own = format(M.whole(nil, fields, native_arch)):gsub("^default allow\n", "")
  local lines = { "# hako's own rules, before any policy's:" }
  for line in own:gmatch("[^\n]+") do lines[#lines + 1] = "# " .. line end
  lines[#lines + 1] = format(resolved or { default = { kind = "allow" }, rules = {} })
  return table.concat(lines, "\n")
end

-- program(resolved, fields, native_arch, what) -> the BPF bytes; raises with `what`
function M.program(resolved, fields, native_arch, label)
  local bytes, why = require("hako.seccomp").compile(M.whole(resolved, fields, native_arch), native_arch)
  if not bytes then failure.raise(label or "seccomp filter", why) end
  return bytes
end

-- describe(source, bytes) -> the line --dry-run prints
function M.describe(s, bytes)
  return string.format("seccomp: %s%s: %d BPF instructions\n", M.name(s),
    s.nested_userns and " (nested user namespaces allowed)" or "", #bytes // 8)
end

M.what = what
return M
