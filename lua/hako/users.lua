-- hako.users: user and group names from the sandbox's own /etc/passwd and /etc/group.
-- Pure: takes the files' text. hako parses them itself, so the host's NSS (and its
-- modules, caches and network look-ups) never sees names that belong to the sandbox.

local failure = require "hako.failure"

local M = {}

M.MAX_ID = 4294967294 -- (uid_t)-1 means "unchanged" to the kernel

-- id(text) -> number, or nil if text is not a decimal id
function M.id(text)
  if not text:match("^%d+$") or #text > 10 then return nil end
  local n = tonumber(text)
  if n > M.MAX_ID then return nil end
  return n
end

local function fields(line, count)
  local list = {}
  for field in (line .. ":"):gmatch("([^:]*):") do list[#list + 1] = field end
  if #list < count then return nil end
  return list
end

-- passwd(text) -> { {name, uid, gid, home}, ... } (malformed lines are skipped)
function M.passwd(text)
  local entries = {}
  for line in (text or ""):gmatch("[^\n]+") do
    local f = fields(line, 7)
    if f and M.id(f[3]) and M.id(f[4]) then
      entries[#entries + 1] = { name = f[1], uid = M.id(f[3]), gid = M.id(f[4]), home = f[6] }
    end
  end
  return entries
end

-- group(text) -> { {name, gid, members = {name, ...}}, ... }
function M.group(text)
  local entries = {}
  for line in (text or ""):gmatch("[^\n]+") do
    local f = fields(line, 4)
    if f and M.id(f[3]) then
      local members = {}
      for member in f[4]:gmatch("[^,]+") do members[#members + 1] = member end
      entries[#entries + 1] = { name = f[1], gid = M.id(f[3]), members = members }
    end
  end
  return entries
end

local function find(entries, key, value)
  for _, entry in ipairs(entries) do
    if entry[key] == value then return entry end
  end
end

local function member_groups(groups, name, primary)
  local list, seen = { primary }, { [primary] = true }
  for _, g in ipairs(groups) do
    for _, member in ipairs(g.members) do
      if member == name and not seen[g.gid] then
        list[#list + 1] = g.gid
        seen[g.gid] = true
      end
    end
  end
  return list
end

local function resolve_group(group, groups)
  local gid = M.id(group)
  if gid then return gid end
  if group:match("^%d+$") then failure.raise("--group " .. group, "out of range") end
  local entry = find(groups, "name", group)
  if not entry then failure.raise("--group " .. group, "no such group in the sandbox's /etc/group") end
  return entry.gid
end

-- resolve(user, group, passwd_text, group_text) -> { uid, gid, groups, home }
-- user and group are names or numbers as given (nil when not given). --user alone also
-- takes the user's primary and supplementary groups; --group sets the group and the
-- only group. A number not in /etc/passwd needs --group: gid 0 is never kept silently.
function M.resolve(user, group, passwd_text, group_text)
  local users, groups = M.passwd(passwd_text), M.group(group_text)
  local identity = { uid = 0, gid = 0, home = nil }
  if user then
    local entry
    local uid = M.id(user)
    if uid then
      entry = find(users, "uid", uid)
    elseif user:match("^%d+$") then
      failure.raise("--user " .. user, "out of range")
    else
      entry = find(users, "name", user)
      if not entry then failure.raise("--user " .. user, "no such user in the sandbox's /etc/passwd") end
    end
    identity.uid = uid or entry.uid
    if entry then
      identity.gid, identity.home = entry.gid, entry.home
      identity.groups = member_groups(groups, entry.name, entry.gid)
    elseif not group then
      failure.raise("--user " .. user, "not in the sandbox's /etc/passwd: give --group too")
    end
  end
  if group then
    identity.gid = resolve_group(group, groups)
    identity.groups = nil
  end
  -- Never the caller's supplementary groups: only those the sandbox's files give.
  identity.groups = identity.groups or { identity.gid }
  return identity
end

return M
