-- seccomp_rules_spec: hako's seccomp policy text (hako.seccomp_rules) read into the
-- resolved table, every grammar element and every error, @include, and the text
-- hako.seccomp_format prints back, which parses to the same table. Pure.
local lu = require "luaunit"
local rules = require "hako.seccomp_rules"
local format = require "hako.seccomp_format"
local groups = require "hako.seccomp_groups"

local fails = require "support.fails"

local ALLOW, EPERM = { kind = "allow" }, { kind = "errno", errno = 1 }

local function parse(text, read)
  return rules.parse(text, "policy.txt", read)
end

-- The rules of "default allow" plus one line.
local function line(text)
  return parse("default allow\n" .. text).rules
end

local function eq(arg, value) return { arg = arg, op = "eq", value = value } end

TestSeccompRules = {}

function TestSeccompRules.test_a_policy_of_comments_blank_lines_and_rules()
  local p = parse("# a comment\n\n   \ndefault errno ENOSYS  # trailing comment\nallow read write, close\n"
    .. "errno EPERM keyctl # why\n\tkill ptrace")
  lu.assertEquals(p, { default = { kind = "errno", errno = 38 }, unknown = "error", rules = {
    { name = "read", action = ALLOW, args = {} }, { name = "write", action = ALLOW, args = {} },
    { name = "close", action = ALLOW, args = {} }, { name = "keyctl", action = EPERM, args = {} },
    { name = "ptrace", action = { kind = "kill_process" }, args = {} } } })
end

function TestSeccompRules.test_every_action()
  local cases = { ["allow"] = ALLOW, ["errno EPERM"] = EPERM, ["errno 13"] = { kind = "errno", errno = 13 },
    ["errno 0"] = { kind = "errno", errno = 0 }, ["errno 4095"] = { kind = "errno", errno = 4095 },
    ["errno 0x26"] = { kind = "errno", errno = 38 }, ["kill"] = { kind = "kill_process" },
    ["kill-process"] = { kind = "kill_process" }, ["kill-thread"] = { kind = "kill_thread" },
    ["trap"] = { kind = "trap" }, ["log"] = { kind = "log" } }
  for text, action in pairs(cases) do
    lu.assertEquals(line(text .. " getpid")[1].action, action, text)
    lu.assertEquals(parse("default " .. text).default, action, text)
  end
end

function TestSeccompRules.test_groups_expand_to_their_calls_in_order()
  local got = line("errno EPERM @mount sync")
  local want = {}
  for _, name in ipairs(groups.names("mount")) do want[#want + 1] = { name = name, action = EPERM, args = {} } end
  want[#want + 1] = { name = "sync", action = EPERM, args = {} }
  lu.assertEquals(got, want)
  lu.assertEquals(got[1].name, "mount")
end

function TestSeccompRules.test_every_group_has_a_why_and_calls()
  for name, g in pairs(groups.groups) do
    lu.assertTrue(#g.why > 20 and not g.why:find("\n"), name)
    lu.assertTrue(#g.names > 0, name)
  end
end

function TestSeccompRules.test_conditions_with_every_operator()
  local ops = { ["=="] = "eq", ["!="] = "ne", ["<"] = "lt", ["<="] = "le", [">"] = "gt", [">="] = "ge" }
  for text, op in pairs(ops) do
    lu.assertEquals(line("allow mmap: arg2 " .. text .. " 7")[1].args, { { arg = 2, op = op, value = 7 } }, text)
  end
  lu.assertEquals(line("allow x: arg5==0x10 and arg0!=1")[1].args, { { arg = 5, op = "eq", value = 16 },
    { arg = 0, op = "ne", value = 1 } })
end

function TestSeccompRules.test_in_makes_one_rule_per_value_in_order()
  lu.assertEquals(line("allow socket: arg0 in AF_UNIX, AF_INET,AF_INET6"), {
    { name = "socket", action = ALLOW, args = { eq(0, 1) } }, { name = "socket", action = ALLOW, args = { eq(0, 2) } },
    { name = "socket", action = ALLOW, args = { eq(0, 10) } } })
  -- two lists: every pair, each rule ANDing its two conditions; for each call
  local got = line("allow a b: arg0 in 1, 2 and arg1 in 3, 4")
  lu.assertEquals(#got, 8)
  lu.assertEquals(got[2], { name = "a", action = ALLOW, args = { eq(0, 1), eq(1, 4) } })
  lu.assertEquals(got[8], { name = "b", action = ALLOW, args = { eq(0, 2), eq(1, 4) } })
end

function TestSeccompRules.test_masks()
  lu.assertEquals(line("allow clone: arg0 & CLONE_NEWUSER|CLONE_NEWNS == 0")[1].args,
    { { arg = 0, op = "masked_eq", mask = 0x10020000, value = 0 } })
  lu.assertEquals(line("errno EPERM clone: arg0 & 0x7E020000 != 0")[1].args,
    { { arg = 0, op = "masked_ne", mask = 0x7e020000, value = 0 } })
  local got = line("allow personality: arg0 & 0xffffffff in PER_LINUX, UNAME26|PER_LINUX32")
  lu.assertEquals({ got[1].args, got[2].args }, { { { arg = 0, op = "masked_eq", mask = 0xffffffff, value = 0 } },
    { { arg = 0, op = "masked_eq", mask = 0xffffffff, value = 0x20008 } } })
end

function TestSeccompRules.test_numbers_and_constants_are_64_bit_patterns()
  local values = { ["18446744073709551615"] = -1, ["0xffffffffffffffff"] = -1, ["0x000000000000000000001"] = 1,
    ["9223372036854775808"] = math.mininteger, ["4294967295"] = 0xffffffff, ["AF_VSOCK"] = 40, ["EPERM"] = 1,
    ["TIOCSTI"] = 0x5412, ["PER_QUERY"] = 0xffffffff, ["SOCK_STREAM|SOCK_CLOEXEC"] = 0x80001, ["0"] = 0 }
  for text, value in pairs(values) do
    lu.assertEquals(line("allow x: arg1 == " .. text)[1].args[1].value, value, text)
  end
end

function TestSeccompRules.test_the_constants_are_the_kernels()
  local c = require("hako.seccomp_constants")
  lu.assertEquals({ c.values.CLONE_NEWNS | c.values.CLONE_NEWCGROUP | c.values.CLONE_NEWUTS | c.values.CLONE_NEWIPC
    | c.values.CLONE_NEWUSER | c.values.CLONE_NEWPID | c.values.CLONE_NEWNET, c.values.CLONE_NEWTIME },
    { 0x7E020000, 0x80 })
  lu.assertEquals({ c.errno.ENOSYS, c.errno.EPERM, c.errno_name[95], c.errno_name[11] },
    { 38, 1, "EOPNOTSUPP", "EAGAIN" })
end

-- Each error is one line naming the file, the line and the offending token.
function TestSeccompRules.test_errors_name_file_line_and_token()
  local cases = {
    { "alow read", 'unknown action "alow"' },
    { "errno", 'errno needs a number or a name, as in "errno EPERM"' },
    { "errno EFOO read", 'unknown errno name "EFOO"' },
    { "errno 4096 read", "errno 4096 out of range (0 to 4095)" },
    { "errno 12x read", 'bad errno "12x"' },
    { "allow", '"allow" names no system call' },
    { "errno EPERM", '"errno EPERM" names no system call' },
    { ": arg0 == 1", "no action (allow, errno N, kill, kill-thread, trap or log)" },
    { "allow re@d", 'bad system call name "re@d"' },
    { "allow 12", 'bad system call name "12"' },
    { "allow @nope", 'unknown group "@nope"' },
    { "@inclde x", 'unknown directive "@inclde"' },
    { "allow x:", 'no condition after ":"' },
    { "allow x: arg6 == 1", 'expected arg0 to arg5, got "arg6"' },
    { "allow x: argv == 1", 'expected arg0 to arg5, got "argv"' },
    { "allow x: arg0 = 1", 'unexpected "="' },
    { "allow x: arg0 is 1", 'expected ==, !=, <, <=, >, >=, & or in after arg0, got "is"' },
    { "allow x: arg0", "expected ==, !=, <, <=, >, >=, & or in after arg0, got the end of the line" },
    { "allow x: arg0 ==", "expected a value, got the end of the line" },
    { "allow x: arg0 == 1|", "expected a value after |, got the end of the line" },
    { "allow x: arg0 in 1,", "expected a value, got the end of the line" },
    { "allow x: arg0 == AF_FOO", 'unknown constant "AF_FOO"' },
    { "allow x: arg0 == 0x", 'bad number "0x"' },
    { "allow x: arg0 == 12abc", 'bad number "12abc"' },
    { "allow x: arg0 == 18446744073709551616", "number 18446744073709551616 out of 64 bits" },
    { "allow x: arg0 == 0x1ffffffffffffffff", "number 0x1ffffffffffffffff out of 64 bits" },
    { "allow x: arg0 & 3 1", 'expected ==, != or in after the mask, got "1"' },
    { "allow x: arg0 == 1 arg1 == 2", 'expected "and" or the end of the line, got "arg1"' },
    { "allow x: arg0 == 1 or arg1 == 2", 'expected "and" or the end of the line, got "or"' },
    { "allow x: arg0 == $", 'unexpected "$"' },
    { "allow x: arg0 == \27", 'unexpected "\\x1B"' },
    { "default allow", 'a second "default" line' },
    { "default allow x", 'unexpected "x" after the default action' },
    { "default", "no action (allow, errno N, kill, kill-thread, trap or log)" },
    { "abis x86_64 mips", 'unknown ABI "mips" (x86_64, x32, i386, aarch64, arm)' },
    { "abis", "abis needs at least one ABI" },
    { "unknown maybe", 'unknown takes "error" or "ignore", not "maybe"' },
    { "@include", "@include needs a file name or <profile>" },
    { "@include <nope>", 'unknown profile "<nope>"' },
    { "@include other.rules", '@include "other.rules": no files can be read here' },
    { "allow x: " .. string.rep("arg0 in 1,2,3,4 and ", 6) .. "arg1 == 0", "the conditions make more than 1024 rules" },
    { "allow @file-system @process: arg0 in 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12",
      "the line makes more than 1024 rules" },
  }
  for _, case in ipairs(cases) do
    fails(function() parse("default allow\n# a comment\n" .. case[1]) end, "policy.txt:3: " .. case[2])
  end
  fails(function() parse("allow read") end, 'policy.txt: no "default" line (say "default errno ENOSYS")')
end

function TestSeccompRules.test_abis_and_unknown_lines()
  local p = parse("default allow\nabis x86_64, i386 x32\nunknown ignore")
  lu.assertEquals({ p.abis, p.unknown }, { { "x86_64", "i386", "x32" }, "ignore" })
  lu.assertEquals(parse("default allow\nunknown error").unknown, "error")
end

-- A reader over a table of files, which counts what it is asked for.
local function files(t)
  local asked = {}
  return function(path)
    asked[#asked + 1] = path
    if t[path] then return t[path] end
    return nil, path .. ": No such file or directory"
  end, asked
end

function TestSeccompRules.test_include_is_relative_to_the_including_file_and_nests()
  local read, asked = files({
    ["/etc/hako/common.rules"] = "allow read\n@include ../base/io.rules\nallow close",
    ["/etc/base/io.rules"] = "allow write\n@include /abs/x.rules",
    ["/abs/x.rules"] = "errno EPERM keyctl",
  })
  local p = rules.parse("default allow\n@include common.rules\nallow exit", "/etc/hako/policy.rules", read)
  local names = {}
  for i, r in ipairs(p.rules) do names[i] = r.name end
  lu.assertEquals(names, { "read", "write", "keyctl", "close", "exit" })
  lu.assertEquals(asked, { "/etc/hako/common.rules", "/etc/base/io.rules", "/abs/x.rules" })
  -- a relative file name: relative to its directory, "." if none
  read, asked = files({ ["rules.d/a"] = "allow read" })
  rules.parse("default allow\n@include rules.d/./a", "policy", read)
  lu.assertEquals(asked, { "rules.d/a" })
end

function TestSeccompRules.test_include_errors_name_the_included_file_and_line()
  local read = files({ ["dir/a.rules"] = "allow read\nalow write", ["dir/b.rules"] = "@include c.rules",
    ["dir/c.rules"] = "@include ../dir/b.rules", ["dir/self"] = "@include self" })
  fails(function() rules.parse("default allow\n@include a.rules", "dir/p", read) end,
    'dir/a.rules:2: unknown action "alow"')
  fails(function() rules.parse("default allow\n@include missing", "dir/p", read) end,
    'dir/p:2: @include "missing": No such file or directory')
  fails(function() rules.parse("default allow\n@include b.rules", "dir/p", read) end,
    "dir/c.rules:1: @include cycle: dir/p -> dir/b.rules -> dir/c.rules -> dir/b.rules")
  fails(function() rules.parse("@include self\ndefault allow", "dir/self", read) end,
    "dir/self:1: @include cycle: dir/self -> dir/self")
  -- a profile's text may include only profiles
  fails(function() rules.parse("@include x", "<default>", read) end,
    '<default>:1: a profile includes only profiles, not "x"')
end

function TestSeccompRules.test_include_depth_is_bounded()
  local t = {}
  for i = 1, 20 do t["f" .. i] = "@include f" .. (i + 1) end
  fails(function() rules.parse("default allow\n@include f1", "p", files(t)) end,
    "f16:1: @include nested deeper than 16")
end

-- A crafted file must not make hako-run (maybe root's) use gigabytes or read files without
-- end: `in` lines multiply (384 KB of lines of 1000 rules each took 3 GB
-- and over a minute before the bound), includes fan out (300 includes of a file of 300).
-- Controls: the bounds themselves are reached, not passed.
function TestSeccompRules.test_a_policy_is_bounded_in_rules_and_included_files()
  local values = {}
  for i = 1, rules.MAX_RULES_PER_LINE // #groups.names("file-system") do values[i] = tostring(i) end
  local wide = "allow @file-system: arg0 in " .. table.concat(values, ", ") .. "\n" -- about 1000 rules
  local per = #line(wide)
  local fit = rules.MAX_RULES // per
  lu.assertEquals(#parse("default allow\n" .. wide:rep(fit)).rules, per * fit)
  fails(function() parse("default allow\n" .. wide:rep(fit + 1)) end,
    string.format("policy.txt:%d: the policy makes more than %d rules", fit + 2, rules.MAX_RULES))
  local reads = 0
  local fan = function(path)
    reads = reads + 1
    return path == "wide" and ("@include leaf\n"):rep(300) or "allow read\n"
  end
  lu.assertEquals(#parse("default allow\n" .. ("@include leaf\n"):rep(rules.MAX_INCLUDES), fan).rules, 256)
  reads = 0
  fails(function() parse("default allow\n@include wide\n", fan) end,
    "wide:256: more than 256 files included")
  lu.assertEquals(reads, 256)
end

function TestSeccompRules.test_a_files_own_default_wins_over_its_includes()
  local read = files({ a = "default errno EPERM\nunknown ignore\nallow read", b = "default kill" })
  lu.assertEquals(rules.parse("@include a\ndefault allow", "p", read).default, ALLOW)
  local p = rules.parse("@include a\n@include b", "p", read)
  lu.assertEquals({ p.default, p.unknown }, { EPERM, "ignore" })
end

function TestSeccompRules.test_include_of_a_profile_by_name()
  local p = parse("@include <default>\nallow kexec_load")
  local default = require("hako.seccomp_profiles").profile("default")
  lu.assertEquals(p.default, default.default)
  lu.assertEquals(#p.rules, #default.rules + 1)
  lu.assertEquals(p.rules[#p.rules], { name = "kexec_load", action = ALLOW, args = {} })
  -- first match: the profile's EPERM rule comes first and decides
  lu.assertEquals(p.rules[1].name, default.rules[1].name)
end

function TestSeccompRules.test_format_prints_what_parse_reads_back()
  local text = "default errno ENOSYS\nabis aarch64 arm\nunknown ignore\nallow read write\nerrno 1234 x\n"
    .. "kill-thread a\ntrap b\nlog c\nkill d\nerrno EPERM clone: arg0 & 0x7e020000 != 0\n"
    .. "allow socket: arg0 in 1, 2 and arg2 >= 5 and arg3 <= 6 and arg4 < 7 and arg5 > 0xffffffffffffffff\n"
  local p = parse(text)
  lu.assertEquals(parse(format.format(p)), p)
  lu.assertEquals(format.format(p), "default errno ENOSYS\nunknown ignore\nabis aarch64 arm\nallow read write\n"
    .. "errno 1234 x\nkill-thread a\ntrap b\nlog c\nkill d\nerrno EPERM clone: arg0 & 0x7e020000 != 0\n"
    .. "allow socket: arg0 == 1 and arg2 >= 5 and arg3 <= 6 and arg4 < 7 and arg5 > 0xffffffffffffffff\n"
    .. "allow socket: arg0 == 2 and arg2 >= 5 and arg3 <= 6 and arg4 < 7 and arg5 > 0xffffffffffffffff\n")
end

function TestSeccompRules.test_format_round_trips_the_profiles_and_wraps_long_lines()
  local profiles = require "hako.seccomp_profiles"
  for _, name in ipairs(profiles.NAMES) do
    local p = profiles.profile(name)
    local text = format.format(p)
    lu.assertEquals(parse(text), p, name)
    for l in text:gmatch("[^\n]+") do lu.assertTrue(#l <= format.WIDTH, l) end
  end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
