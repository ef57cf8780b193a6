-- seccomp_oci_spec: OCI runtime-spec seccomp JSON (Docker's and podman's profiles) read
-- into the resolved policy (hako.seccomp_oci): actions, operators, runc's AND/OR rule for
-- arguments, architectures and archMap, Docker's includes and excludes, exact 64-bit
-- values, and what is refused. Pure.
local lu = require "luaunit"
local decide = require "support.seccomp_decide"
local format = require "hako.seccomp_format"
local oci = require "hako.seccomp_oci"
local rules = require "hako.seccomp_rules"

local fails = require "support.fails"

local ALLOW, EPERM, ENOSYS = { kind = "allow" }, { kind = "errno", errno = 1 }, { kind = "errno", errno = 38 }

local function read(path)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  return text
end

local CONTAINER = read("spec/seccomp/container-profile.json")

local function parse(text, options)
  return oci.parse(text, "p.json", options or { machine = "x86_64" })
end

-- A profile of one syscalls entry (a JSON object's text) after defaultAction ALLOW.
local function entry(json)
  return parse('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [' .. json .. ']}').rules
end

TestSeccompOci = {}

function TestSeccompOci.test_a_container_profile_on_x86_64_without_capabilities()
  local p = parse(CONTAINER)
  lu.assertEquals({ p.default, p.unknown, p.abis }, { ENOSYS, "ignore", { "x86_64", "i386", "x32" } })
  for _, name in ipairs({ "read", "openat", "execve", "arch_prctl", "ptrace", "mknod", "socketcall" }) do
    lu.assertEquals(decide(p, name), ALLOW, name)
  end
  -- personality: the listed values only
  for _, v in ipairs({ 0, 8, 0x20000, 0x20008, 0xffffffff }) do
    lu.assertEquals(decide(p, "personality", { v }), ALLOW)
  end
  lu.assertEquals(decide(p, "personality", { 0x40000 }), ENOSYS)
  -- socket: NE 40
  lu.assertEquals(decide(p, "socket", { 2 }), ALLOW)
  lu.assertEquals(decide(p, "socket", { 40 }), ENOSYS)
  -- clone: no namespace flags (MASKED_EQ: value is the mask, valueTwo the datum)
  lu.assertEquals(decide(p, "clone", { 0x1200011 }), ALLOW)
  lu.assertEquals(decide(p, "clone", { 0x10000000 }), ENOSYS)
  -- includes caps: not held, so these entries do not apply
  for _, name in ipairs({ "bpf", "mount", "setns", "unshare", "reboot", "kcmp", "settimeofday", "clone3" }) do
    lu.assertEquals(decide(p, name, { 0 }), ENOSYS, name)
  end
  -- other arches' entries do not apply here, s390's clone among them
  lu.assertEquals(decide(p, "arm_fadvise64_64"), ENOSYS)
  lu.assertEquals(decide(p, "s390_runtime_instr"), ENOSYS)
  lu.assertEquals(decide(p, "clone", { 0, 0 }), ALLOW)
  lu.assertEquals(decide(p, "clone", { 0x10000000, 0 }), ENOSYS)
  -- every action
  lu.assertEquals({ decide(p, "keyctl"), decide(p, "io_uring_setup"), decide(p, "getpriority"), decide(p, "mbind"),
    decide(p, "kexec_load"), decide(p, "vhangup") }, { EPERM, EPERM, { kind = "log" }, { kind = "kill_thread" },
    { kind = "kill_process" }, { kind = "trap" } })
  -- a rule with the default's action is dropped, as runc does
  for _, r in ipairs(p.rules) do lu.assertNotEquals(r.name, "acct") end
  -- a call no ABI knows stays for the compiler to ignore
  lu.assertEquals(decide(p, "an_imaginary_call_of_linux_9"), ALLOW)
  -- --print shows it in hako's text, which reads back the same
  lu.assertEquals(rules.parse(format.format(p), "printed"), p)
end

function TestSeccompOci.test_capabilities_the_sandbox_keeps_and_arm()
  local p = parse(CONTAINER, { machine = "aarch64", caps = { "CAP_SYS_ADMIN", "CAP_MKNOD" } })
  lu.assertEquals(p.abis, { "aarch64", "arm" })
  lu.assertEquals(decide(p, "mount"), ALLOW)
  lu.assertEquals(decide(p, "clone", { 0x10000000 }), ALLOW) -- the excludes-caps clone rule left out
  lu.assertEquals(decide(p, "clone3"), ALLOW)
  lu.assertEquals(decide(p, "mknod"), ENOSYS)                -- excluded when CAP_MKNOD is held
  lu.assertEquals(decide(p, "arm_fadvise64_64"), ALLOW)
  lu.assertEquals(decide(p, "arch_prctl"), ENOSYS)
  lu.assertEquals(decide(p, "reboot"), ENOSYS)
end

function TestSeccompOci.test_every_operator()
  local ops = { EQ = "eq", NE = "ne", LT = "lt", LE = "le", GT = "gt", GE = "ge" }
  for name, op in pairs(ops) do
    lu.assertEquals(entry('{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 4, "value": 7,'
      .. ' "op": "SCMP_CMP_' .. name .. '"}]}')[1].args, { { arg = 4, op = op, value = 7 } }, name)
  end
  lu.assertEquals(entry('{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 12,'
    .. ' "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]}')[1].args,
    { { arg = 0, op = "masked_eq", mask = 12, value = 8 } })
end

-- runc: conditions on different indexes AND in one rule; an index given twice makes
-- each condition its own rule (OR).
function TestSeccompOci.test_args_and_or_as_runc_reads_them()
  local a = '{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}'
  local b = '{"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}'
  local c = '{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}'
  local got = entry('{"names": ["x", "y"], "action": "SCMP_ACT_ERRNO", "args": [' .. a .. ',' .. b .. ']}')
  lu.assertEquals(got, { { name = "x", action = EPERM, args = { { arg = 0, op = "eq", value = 1 }, { arg = 1, op = "eq",
    value = 2 } } }, { name = "y", action = EPERM, args = { { arg = 0, op = "eq", value = 1 }, { arg = 1, op = "eq",
    value = 2 } } } })
  got = entry('{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [' .. a .. ',' .. b .. ',' .. c .. ']}')
  lu.assertEquals(got, { { name = "x", action = EPERM, args = { { arg = 0, op = "eq", value = 1 } } },
    { name = "x", action = EPERM, args = { { arg = 1, op = "eq", value = 2 } } },
    { name = "x", action = EPERM, args = { { arg = 0, op = "eq", value = 3 } } } })
end

function TestSeccompOci.test_errno_values_and_the_old_name_field()
  lu.assertEquals(entry('{"name": "x", "action": "SCMP_ACT_ERRNO", "errnoRet": 13}')[1],
    { name = "x", action = { kind = "errno", errno = 13 }, args = {} })
  lu.assertEquals(entry('{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": null}')[1].action, EPERM)
  lu.assertEquals(parse('{"defaultAction": "SCMP_ACT_ERRNO"}').default, EPERM)
  lu.assertEquals(parse('{"defaultAction": "SCMP_ACT_KILL_PROCESS", "defaultErrnoRet": 5}').default,
    { kind = "kill_process" })
  lu.assertEquals(parse('{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 0}'), { default =
    { kind = "errno", errno = 0 }, rules = {}, unknown = "ignore" })
end

function TestSeccompOci.test_values_up_to_2_63_are_exact_and_later_ones_refused()
  local function value(v)
    return entry('{"names": ["x"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": ' .. v
      .. ', "op": "SCMP_CMP_EQ"}]}')[1].args[1].value
  end
  lu.assertEquals(value("9223372036854775807"), math.maxinteger)
  lu.assertEquals(value("9007199254740993"), 9007199254740993) -- past 2^53: a float would be ...992
  lu.assertEquals(value("4294967295"), 0xffffffff)
  lu.assertEquals(value("1e3"), 1000)
  local prefix = "p.json: syscalls[0].args[0].value: "
  fails(function() value("18446744073709551615") end,
    prefix .. "1.8446744073709552e+19 is past what hako reads exactly from JSON (integers up to 2^63-1)")
  fails(function() value("9223372036854775808") end,
    prefix .. "9.2233720368547758e+18 is past what hako reads exactly from JSON (integers up to 2^63-1)")
  fails(function() value("-1") end, prefix .. "-1 is negative")
  fails(function() value("1.5") end, prefix .. "1.5 is not an integer")
  fails(function() value('"40"') end, prefix .. "expected a number, got string")
end

-- names times alternatives: a profile of a few hundred kilobytes could make millions of
-- rules (gigabytes) before the compiler saw them. Control: the bound itself is reached.
function TestSeccompOci.test_the_rules_a_profile_makes_are_bounded()
  local function profile(count)
    local names, args = {}, {}
    for i = 1, 128 do names[i] = '"read"' end
    for i = 1, count do args[i] = string.format('{"index": 0, "op": "SCMP_CMP_EQ", "value": %d}', i) end
    return '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [' .. table.concat(names, ",")
      .. '], "action": "SCMP_ACT_ERRNO", "args": [' .. table.concat(args, ",") .. ']}]}'
  end
  local fit = rules.MAX_RULES // 128
  lu.assertEquals(#parse(profile(fit)).rules, rules.MAX_RULES)
  fails(function() parse(profile(fit + 1)) end,
    string.format("p.json: syscalls[0]: the profile makes more than %d rules", rules.MAX_RULES))
end

function TestSeccompOci.test_architectures()
  local function abis(json, machine)
    return parse('{"defaultAction": "SCMP_ACT_ALLOW", ' .. json .. '}', { machine = machine }).abis
  end
  lu.assertEquals(abis('"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"]', "x86_64"),
    { "x86_64", "i386" })
  lu.assertEquals(abis('"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]', "aarch64"),
    { "aarch64", "arm" })
  lu.assertEquals(abis('"architectures": ["SCMP_ARCH_X32", "SCMP_ARCH_MIPS"]', "i686"), { "x32" })
  lu.assertNil(abis('"architectures": []', "x86_64"))
  lu.assertNil(abis('"syscalls": []', "x86_64"))
  fails(function() abis('"architectures": ["SCMP_ARCH_PPC64LE"]', "x86_64") end,
    "p.json: architectures: none of this machine's (x86)")
  fails(function() abis('"architectures": ["x86_64"]', "x86_64") end,
    'p.json: architectures[0]: unknown architecture "x86_64"')
end

function TestSeccompOci.test_refusals_are_one_line_naming_the_place()
  local cases = {
    { '{"defaultAction": "SCMP_ACT_TRACE"}', "defaultAction: SCMP_ACT_TRACE: hako has no tracer to hand the call to" },
    { '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_NOTIFY"}]}',
      "syscalls[0].action: SCMP_ACT_NOTIFY: hako has no seccomp agent to notify" },
    { '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_TRACE"}]}',
      "syscalls[0].action: SCMP_ACT_TRACE: hako has no tracer to hand the call to" },
    { '{"defaultAction": "SCMP_ACT_ALOW"}', 'defaultAction: unknown action "SCMP_ACT_ALOW"' },
    { '{}', "defaultAction: expected a string, got nothing" },
    { '[]', "the profile: expected an object, got array" },
    { '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4096}',
      "defaultErrnoRet: 4096 out of range (0 to 4095)" },
    { '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}}', "syscalls: expected an array, got object" },
    { '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_LOG"}]}',
      "syscalls[0].names: expected an array, got nothing" },
    { '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a b"], "action": "SCMP_ACT_LOG"}]}',
      'syscalls[0].names[0]: bad system call name "a b"' },
    { '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_LOG", "errnoRet": 1}]}',
      "syscalls[0].errnoRet: only SCMP_ACT_ERRNO takes one" },
    { '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_LOG", "args":'
      .. ' [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}',
      "syscalls[0].args[0].index: 6 is not an argument (0 to 5)" },
    { '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_LOG", "args":'
      .. ' [{"index": 0, "value": 1, "op": "SCMP_CMP_MASKED_NE"}]}]}',
      'syscalls[0].args[0].op: unknown operator "SCMP_CMP_MASKED_NE"' },
    { '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_LOG",'
      .. ' "includes": {"caps": "CAP_SYS_ADMIN"}}]}', "syscalls[0].includes.caps: expected an array, got string" },
    { '{"defaultAction": "SCMP_ACT_ALLOW",', "JSON: unterminated object at line 1, column 1" },
    { '{"defaultAction": "SCMP_ACT_ALLOW"} x', "JSON: something after the profile at byte 37" },
    { string.rep("[", 100000), "JSON: nested too deep" },
  }
  for _, case in ipairs(cases) do
    fails(function() parse(case[1]) end, "p.json: " .. case[2])
  end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
