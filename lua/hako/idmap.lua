-- hako.idmap: the id maps of a sandbox's user namespace. Pure.
--
-- Made by root (the default; --userns host makes none): the sandbox's ids 0-65535 are a
-- slot of RANGE_SIZE unprivileged host ids of its own, so that uid 0 inside is nobody
-- outside and no two sandboxes running at once share an id. The slots are cut from
-- root's /etc/subuid (/etc/subgid) entry when it holds at least MIN_SLOTS of them, else
-- from the default pool, DEFAULT_SLOTS slots from DEFAULT_RANGE_START (up to 2^31: some
-- tools take ids as signed). Which slot is free is the lock's business
-- (userns_steps.reserve_id_range), not this module's.
--
-- Rootless:
-- One id: the sandbox's user (uid 0 unless --user) is the caller, and nothing else is
-- mapped. With --map-users auto (--map-groups auto), the caller's subordinate range from
-- /etc/subuid (/etc/subgid) is mapped too, through the setuid newuidmap (newgidmap) of
-- Debian's uidmap package: 0 is the caller, 1.. the range, so files can have many owners.

local failure = require "hako.failure"

local M = {}

-- Ids are 32 bits, and (uid_t)-1 is none: a range must end below it.
local ID_END = 4294967295

-- subordinate(text, name, id) -> start, count of the first range for name or id. A line
-- whose range is not of ids (past 2^32, or too long for an integer) is skipped, as a
-- malformed one is: a map of it could only fail, or wrap.
function M.subordinate(text, name, id)
  for line in (text or ""):gmatch("[^\n]+") do
    local owner, start, count = line:match("^([^:]+):(%d+):(%d+)$")
    start, count = math.tointeger(tonumber(start)), math.tointeger(tonumber(count))
    if owner and (owner == name or owner == tostring(id)) and start and count and count > 0
      and start + count <= ID_END then
      return start, count
    end
  end
end

-- name_of(passwd_text, uid) -> the host user's name, for /etc/subuid entries by name
function M.name_of(passwd_text, uid)
  for line in (passwd_text or ""):gmatch("[^\n]+") do
    local name, id = line:match("^([^:]*):[^:]*:(%d+):")
    if id and tonumber(id) == uid then return name end
  end
end

-- Above what systemd-nspawn picks from (0x80000-0x6FFFFFFF), below 2^31.
M.DEFAULT_RANGE_START = 0x70000000
M.RANGE_SIZE = 65536
M.DEFAULT_SLOTS = (0x80000000 - M.DEFAULT_RANGE_START) // M.RANGE_SIZE
-- Root's own entry is used only when several sandboxes can run at once in it.
M.MIN_SLOTS = 2

-- pool(subordinate_text) -> { start = first id, slots = how many }: root's /etc/sub[ug]id
-- entry cut into slots, or the default pool.
function M.pool(subordinate_text)
  local start, count = M.subordinate(subordinate_text, "root", 0)
  if start and count // M.RANGE_SIZE >= M.MIN_SLOTS then
    return { start = start, slots = count // M.RANGE_SIZE }
  end
  return { start = M.DEFAULT_RANGE_START, slots = M.DEFAULT_SLOTS }
end

-- slot_start(pool, slot) -> the first host id of slot (0-based), nil past the pool's end.
function M.slot_start(pool, slot)
  if slot < 0 or slot >= pool.slots then return nil end
  return pool.start + slot * M.RANGE_SIZE
end

-- range_map(start) -> the text of a map of the sandbox's 0-65535 onto start and up.
function M.range_map(start)
  return string.format("0 %d %d\n", start, M.RANGE_SIZE)
end

-- single(inside, outside) -> the text of a map of one id
function M.single(inside, outside)
  return string.format("%d %d 1\n", inside, outside)
end

-- ranges(outside, subordinate_text, name, what) -> arguments for newuidmap/newgidmap
function M.ranges(outside, subordinate_text, name, what)
  local start, count = M.subordinate(subordinate_text, name, outside)
  if not start then
    failure.raise(what .. " auto", "no range for " .. (name or outside) .. " in /etc/sub"
      .. (what == "--map-users" and "uid" or "gid"))
  end
  return { "0", tostring(outside), "1", "1", tostring(start), tostring(count) }
end

return M
