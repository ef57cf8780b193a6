-- spec/fuzz/seccomp_targets.lua: the parsers of seccomp policies others write (issue 13):
-- hako's policy text (--seccomp FILE, with @include) and OCI seccomp JSON (Docker's and
-- podman's profiles). What a parser accepts must be a resolved policy the compiler can
-- take (hako.seccomp_format's shape: known actions, errnos in range, arguments 0 to 5,
-- integer values, masks only for masked operators), and hako's text printed from it must
-- read back the same. A hako.failure is a clean refusal; it must be one line.

local failure = require "hako.failure"
local format = require "hako.seccomp_format"
local oci = require "hako.seccomp_oci"
local profiles = require "hako.seccomp_profiles"
local rules = require "hako.seccomp_rules"
local text_targets = require "fuzz.text_targets"

local M = {}

local KINDS = { allow = true, kill_process = true, kill_thread = true, trap = true, log = true, errno = true }
local OPS = { eq = true, ne = true, lt = true, le = true, gt = true, ge = true, masked_eq = true, masked_ne = true }
local ABIS = { x86_64 = true, x32 = true, i386 = true, aarch64 = true, arm = true }

local function action_problem(a)
  if type(a) ~= "table" or not KINDS[a.kind] then return "an unknown action" end
  if a.kind == "errno" and (math.type(a.errno) ~= "integer" or a.errno < 0 or a.errno > 4095) then
    return "errno out of range: " .. tostring(a.errno)
  end
  if a.kind ~= "errno" and a.errno ~= nil then return "an errno on " .. a.kind end
end

-- problem(policy) -> what makes it no resolved policy, or nil.
function M.problem(p)
  if type(p) ~= "table" then return "not a table" end
  local problem = action_problem(p.default)
  if problem then return "default: " .. problem end
  if p.unknown ~= "error" and p.unknown ~= "ignore" then return "unknown is " .. tostring(p.unknown) end
  if p.abis ~= nil then
    if #p.abis == 0 then return "an empty ABI list" end
    for _, abi in ipairs(p.abis) do
      if not ABIS[abi] then return "unknown ABI " .. tostring(abi) end
    end
  end
  for i, r in ipairs(p.rules) do
    if type(r.name) ~= "string" or not r.name:match("^[%a_][%w_]*$") then return "rule " .. i .. ": a bad name" end
    problem = action_problem(r.action)
    if problem then return "rule " .. i .. ": " .. problem end
    for _, c in ipairs(r.args) do
      if math.type(c.arg) ~= "integer" or c.arg < 0 or c.arg > 5 then
        return "rule " .. i .. ": argument out of range"
      end
      if not OPS[c.op] or math.type(c.value) ~= "integer" then return "rule " .. i .. ": a bad condition" end
      local masked = c.op == "masked_eq" or c.op == "masked_ne"
      if masked ~= (math.type(c.mask) == "integer") then return "rule " .. i .. ": a mask where none goes" end
    end
  end
end

-- checked(parse, ...) -> nil when the input is refused cleanly or the policy is sound.
local function checked(parse, ...)
  local ok, p = pcall(parse, ...)
  if not ok then
    if not failure.is(p) then error(p, 0) end
    if tostring(p):find("\n") then return "a refusal of more than one line" end
    return nil
  end
  local problem = M.problem(p)
  if problem then return problem end
  local printed = format.format(p)
  local again_ok, again = pcall(rules.parse, printed, "printed")
  if not again_ok then return "its printed text does not parse: " .. tostring(again) end
  if not text_targets.equal(again, p) then return "its printed text reads back different" end
end

-- The files a fuzzed policy may include: one fine, one that includes itself, one that
-- includes the fuzzed text's own name.
local INCLUDED = { ["dir/common.rules"] = "allow read write\n@include ../dir/more.rules\n",
  ["dir/more.rules"] = "errno EPERM @mount\ndefault log\n", ["dir/self.rules"] = "@include self.rules\n",
  ["dir/policy.rules"] = "allow getpid\n" }
local function read(path)
  return INCLUDED[path], path .. ": No such file or directory"
end

M.seccomp_policy = {
  name = "seccomp-policy",
  share = 0.5, -- the profiles' texts, parsed, printed and parsed again: 2 to 3 ms an input
  seeds = { profiles.text("default"), profiles.text("strict"), profiles.text("nested-userns") .. "@include <default>\n",
    "default errno ENOSYS\n@include common.rules\nallow socket: arg0 in AF_UNIX, AF_INET and arg1 & 0xf == 1\n",
    "default kill\nabis x86_64 i386\nunknown ignore\nerrno 4095 a: arg5 >= 18446744073709551615\n",
    "@include self.rules\n", "@include policy.rules\ndefault allow\n" },
  tokens = { "allow ", "errno EPERM ", "errno ", "kill-thread ", "trap ", "log ", "default ", ": ", "arg0 ", "arg5",
    " & ", " in ", ", ", " and ", " == ", " != ", " <= ", "|", "0x", "0xffffffffffffffff", "18446744073709551616",
    "@include ", "<default>", "<strict>", "common.rules", "../", "@mount", "@keyring", "\n", "#", "abis ", "x32",
    "unknown ignore", "CLONE_NEWUSER", "AF_VSOCK", "ENOSYS", "4095", "4096" },
  run = function(text)
    return checked(rules.parse, text, "dir/policy.rules", read)
  end,
}

local function file(path)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  return text
end

M.seccomp_oci = {
  name = "seccomp-oci",
  seeds = { file("spec/seccomp/container-profile.json"),
    '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"], "syscalls":'
      .. ' [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"name": "clone", "action": "SCMP_ACT_ALLOW",'
      .. ' "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"},'
      .. ' {"index": 0, "value": 1, "op": "SCMP_CMP_NE"}]}]}',
    '{"defaultAction": "SCMP_ACT_LOG"}' },
  tokens = { '"SCMP_ACT_ERRNO"', '"SCMP_ACT_KILL"', '"SCMP_ACT_TRACE"', '"errnoRet": 4096', '"errnoRet": 38',
    '"args": [{"index": 5, "value": 9223372036854775807, "op": "SCMP_CMP_GE"}]', '"valueTwo": ', "18446744073709551615",
    "-1", "1e400", "0.5", "null", "[", "]", "{", "}", ",", ":", '"names": ', '"name": "x"',
    '"includes": {"caps": ["CAP_SYS_ADMIN"]}', '"excludes": {"arches": ["amd64"], "minKernel": "4.8"}',
    '"archMap": [{"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}]', '\\u0000', '"' },
  run = function(text)
    return checked(oci.parse, text, "p.json", { machine = "x86_64" })
      or checked(oci.parse, text, "p.json", { machine = "aarch64", caps = { "CAP_SYS_ADMIN" } })
  end,
}

return M
