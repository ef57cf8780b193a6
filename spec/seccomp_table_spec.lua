-- seccomp_table_spec: a seccomp policy a Lua recipe gives as a table (hako.seccomp_table):
-- every form a rule takes, and an error naming the place for each wrong value. Pure.
local lu = require "luaunit"
local decide = require "support.seccomp_decide"
local groups = require "hako.seccomp_groups"
local profiles = require "hako.seccomp_profiles"
local rules = require "hako.seccomp_rules"
local seccomp_table = require "hako.seccomp_table"

local fails = require "support.fails"

local ALLOW, EPERM = { kind = "allow" }, { kind = "errno", errno = 1 }

TestSeccompTable = {}

function TestSeccompTable.test_the_friendly_forms_give_what_the_text_gives()
  local from_table = seccomp_table.from_table({
    default = "errno ENOSYS",
    rules = {
      { "read", "@swap", action = "allow" },
      { name = "socket", action = "allow", args = "arg0 in AF_UNIX, AF_INET" },
      { names = { "clone", "unshare" }, action = { kind = "errno", errno = 1 },
        args = { { arg = 0, op = "masked_ne", mask = "CLONE_NEWUSER | CLONE_NEWNS", value = 0 } } },
      { "mmap", action = "kill-thread",
        args = { { arg = 2, op = "ge", value = 7 }, { arg = 3, op = "eq", value = -1 } } },
      "errno 13 keyctl: arg0 == 1",
    },
  })
  local from_text = rules.parse([[
default errno ENOSYS
allow read @swap
allow socket: arg0 in AF_UNIX, AF_INET
errno EPERM clone unshare: arg0 & CLONE_NEWUSER|CLONE_NEWNS != 0
kill-thread mmap: arg2 >= 7 and arg3 == 0xffffffffffffffff
errno 13 keyctl: arg0 == 1
]], "p")
  lu.assertEquals(from_table, from_text)
  lu.assertEquals(#from_table.rules, 1 + #groups.names("swap") + 2 + 2 + 1 + 1)
end

function TestSeccompTable.test_a_profile_included_gives_the_default_and_recipe_rules_go_first()
  local p = seccomp_table.from_table({ rules = { { "setns", action = "allow" }, "@include <default>" } })
  local default = profiles.profile("default")
  lu.assertEquals(p.default, default.default)
  lu.assertEquals(decide(p, "setns"), ALLOW)
  lu.assertEquals(decide(default, "setns"), EPERM)
  lu.assertEquals(#p.rules, #default.rules + 1)
end

function TestSeccompTable.test_actions_unknown_and_abis()
  local p = seccomp_table.from_table({ default = { kind = "kill_process" }, unknown = "ignore", abis = { "x86_64" },
    rules = { { "a", action = "trap" }, { "b", action = "log" }, { "c", action = { kind = "errno", errno = 4095 } } } })
  lu.assertEquals(p, { default = { kind = "kill_process" }, unknown = "ignore", abis = { "x86_64" }, rules = {
    { name = "a", action = { kind = "trap" }, args = {} }, { name = "b", action = { kind = "log" }, args = {} },
    { name = "c", action = { kind = "errno", errno = 4095 }, args = {} } } })
  lu.assertEquals(seccomp_table.from_table({ default = "allow" }), { default = ALLOW, rules = {}, unknown = "error" })
end

-- A policy whose one rule has the condition c.
-- One bound for the whole table, its text lines and its rule tables alike (a line alone
-- is bounded by 1024 rules). Control: the bound itself is reached.
function TestSeccompTable.test_the_rules_a_table_makes_are_bounded()
  local line = "allow read: arg0 in " .. table.concat({ 1, 2, 3, 4, 5, 6, 7, 8 }, ", ")
  local function policy(lines, tables)
    local t = { default = "allow", rules = {} }
    for i = 1, lines do t.rules[i] = line end
    for _ = 1, tables do t.rules[#t.rules + 1] = { "read", "write", action = "errno EPERM" } end
    return t
  end
  local lines = rules.MAX_RULES // 8 - 1
  lu.assertEquals(#seccomp_table.from_table(policy(lines, 4)).rules, rules.MAX_RULES)
  fails(function() seccomp_table.from_table(policy(lines, 5)) end,
    string.format("seccomp.rules[%d]: the policy makes more than %d rules", lines + 5, rules.MAX_RULES))
  fails(function() seccomp_table.from_table(policy(lines + 2, 0)) end,
    string.format("seccomp.rules[%d]: the policy makes more than %d rules", lines + 2, rules.MAX_RULES))
end

local function cond(c)
  return { default = "allow", rules = { { "x", action = "allow", args = { c } } } }
end

function TestSeccompTable.test_errors_name_the_place()
  local cases = {
    { 7, "seccomp: expected a table, got number" },
    { {}, 'seccomp.default: missing (say default = "errno ENOSYS")' },
    { { default = "allow", colour = 1 }, "seccomp.colour: unknown key" },
    { { default = "alow" }, 'seccomp.default: unknown action "alow"' },
    { { default = "errno EPERM now" }, 'seccomp.default: unexpected "now" after the action' },
    { { default = 1 }, 'seccomp.default: expected an action, as in "errno EPERM", got number' },
    { { default = { kind = "kill" } }, 'seccomp.default.kind: unknown action kind "kill"' },
    { { default = { kind = "errno", errno = 4096 } }, "seccomp.default.errno: expected 0 to 4095" },
    { { default = "allow", unknown = "warn" }, 'seccomp.unknown: expected "error" or "ignore"' },
    { { default = "allow", abis = { "x86_64", "mips" } }, 'seccomp.abis[2]: unknown ABI "mips"' },
    { { default = "allow", abis = {} }, "seccomp.abis: expected a list of ABIs" },
    { { default = "allow", rules = "allow read" }, "seccomp.rules: expected a list, got string" },
    { { default = "allow", rules = { 5 } },
      "seccomp.rules[1]: expected a rule table or a line of policy text, got number" },
    { { default = "allow", rules = { "alow read" } }, 'seccomp.rules[1]: unknown action "alow"' },
    { { default = "allow", rules = { "@include x" } }, 'seccomp.rules[1]: @include "x": no files can be read here' },
    { { default = "allow", rules = { { action = "allow" } } }, "seccomp.rules[1]: names no system call" },
    { { default = "allow", rules = { { "read", acton = "allow" } } }, "seccomp.rules[1].acton: unknown key" },
    { { default = "allow", rules = { { "re d", action = "allow" } } },
      'seccomp.rules[1][1]: bad system call name "re d"' },
    { { default = "allow", rules = { { 3, action = "allow" } } },
      "seccomp.rules[1][1]: expected a system call's name, got number" },
    { { default = "allow", rules = { { names = "read", action = "allow" } } },
      "seccomp.rules[1].names: expected a list, got string" },
    { { default = "allow", rules = { { "@nope", action = "allow" } } }, 'seccomp.rules[1]: unknown group "@nope"' },
    { { default = "allow", rules = { { "x", action = "allow", args = "arg7 == 1" } } },
      'seccomp.rules[1].args: expected arg0 to arg5, got "arg7"' },
    { { default = "allow", rules = { { "x", action = "allow", args = 3 } } },
      "seccomp.rules[1].args: expected conditions, got number" },
    { cond({ arg = 6, op = "eq", value = 1 }),
      "seccomp.rules[1].args[1].arg: expected 0 to 5" },
    { cond({ arg = 0, op = "==", value = 1 }),
      'seccomp.rules[1].args[1].op: unknown operator "=="' },
    { cond({ arg = 0, op = "masked_eq", value = 1 }),
      "seccomp.rules[1].args[1].mask: missing" },
    { cond({ arg = 0, op = "eq", value = 1, mask = 1 }),
      "seccomp.rules[1].args[1].mask: only for masked_eq and masked_ne" },
    { cond({ arg = 0, op = "eq", value = 1.5 }),
      "seccomp.rules[1].args[1].value: expected an integer or a constant's name, got number" },
    { cond({ arg = 0, op = "eq", value = "AF_NOPE" }),
      'seccomp.rules[1].args[1].value: unknown constant "AF_NOPE"' },
    { { default = "allow", rules = { { "x", action = "allow", args = { "arg0 == 1" } } } },
      "seccomp.rules[1].args[1]: expected a condition table, got string" },
    { cond({ arg = 0, op = "eq", value = 1, x = 1 }),
      "seccomp.rules[1].args[1].x: unknown key" },
  }
  for _, case in ipairs(cases) do
    fails(function() seccomp_table.from_table(case[1]) end, case[2])
  end
  fails(function() seccomp_table.from_table({}, "recipe.seccomp") end,
    'recipe.seccomp.default: missing (say default = "errno ENOSYS")')
end

os.exit(lu.LuaUnit.run("-o", "tap"))
