-- users_spec: names from the sandbox's passwd and group files (hako.users), no root needed.
local lu = require "luaunit"
local failure = require "hako.failure"
local users = require "hako.users"

local PASSWD = [[
root:x:0:0:root:/root:/bin/sh
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:100::/home/bob:/bin/sh
broken line
]]
local GROUP = [[
root:x:0:
users:x:100:alice
alice:x:1000:
wheel:x:10:alice,bob
]]

local function resolve(user, group)
  return users.resolve(user, group, PASSWD, GROUP)
end

local function fails(user, group, message)
  local ok, err = pcall(resolve, user, group)
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  lu.assertEquals(tostring(err), message)
end

TestUsers = {}

function TestUsers.test_a_name_brings_its_groups_and_home()
  lu.assertEquals(resolve("alice"), { uid = 1000, gid = 1000, groups = { 1000, 100, 10 }, home = "/home/alice" })
  lu.assertEquals(resolve("bob"), { uid = 1001, gid = 100, groups = { 100, 10 }, home = "/home/bob" })
end

function TestUsers.test_a_known_number_is_the_same_as_its_name()
  lu.assertEquals(resolve("1000"), resolve("alice"))
end

function TestUsers.test_group_replaces_the_groups()
  lu.assertEquals(resolve("alice", "wheel"), { uid = 1000, gid = 10, groups = { 10 }, home = "/home/alice" })
  lu.assertEquals(resolve("4242", "4242"), { uid = 4242, gid = 4242, groups = { 4242 } })
  lu.assertEquals(resolve(nil, "users"), { uid = 0, gid = 100, groups = { 100 } })
end

function TestUsers.test_an_unknown_number_needs_a_group()
  fails("4242", nil, "--user 4242: not in the sandbox's /etc/passwd: give --group too")
end

function TestUsers.test_unknown_names_and_bad_numbers()
  fails("mallory", nil, "--user mallory: no such user in the sandbox's /etc/passwd")
  fails("alice", "staff", "--group staff: no such group in the sandbox's /etc/group")
  fails("99999999999", nil, "--user 99999999999: out of range")
  fails("alice", "4294967295", "--group 4294967295: out of range")
end

function TestUsers.test_no_files_in_the_sandbox()
  lu.assertEquals(users.resolve("7", "7", nil, nil), { uid = 7, gid = 7, groups = { 7 } })
  local ok, err = pcall(users.resolve, "alice", nil, nil, nil)
  lu.assertFalse(ok)
  lu.assertStrContains(tostring(err), "no such user")
end

function TestUsers.test_malformed_lines_are_skipped()
  lu.assertEquals(#users.passwd(PASSWD), 3)
  lu.assertEquals(#users.group("x:y:notanumber:\n"), 0)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
