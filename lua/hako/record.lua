-- hako.record: the host-side record hako-run keeps of each running sandbox, which
-- hako-enter trusts instead of anything inside the sandbox (doc/THREATS.md 19).
--
-- Where: one file per sandbox, named by the host pid of the sandbox's first process, in
-- a runtime directory only its owner can write: /run/hako for root, and (for rootless
-- sandboxes) $XDG_RUNTIME_DIR/hako, or /tmp/hako-UID without XDG_RUNTIME_DIR (cron, su),
-- as podman does. The directory is made 0700 and checked (a real directory, not a
-- symlink, owned by the caller, no access for group or others) before every use;
-- records are written to PID.tmp then renamed, so a reader sees all of one or nothing.
-- A sandbox's --name is held by a symlink PID.name (hako.sandboxes) beside the records.
--
-- Format: text, one field a line, "NAME VALUE"; the first line is "hako-record 3". A
-- name that comes back (policy.env) makes a list, in order. In a value, "%", control
-- bytes and DEL are written %XX. The sandbox's policy (hako.policy) is stored whole, as
-- "policy.FIELD" lines; a record of another version, or with a field this hako does not
-- know, is refused: a policy is never applied in part. Example:
--
--   hako-record 3
--   pid 4242                    the sandbox's first process, as the host sees it
--   start_time 8812345          field 22 of /proc/PID/stat: defeats pid reuse
--   supervisor 4241             the hako-run process
--   supervisor_start_time 8812340   its start time, as start_time
--   owner 0                     euid of hako-run
--   root /srv/sandbox           the target, as given to hako-run
--   name web                    --name, if given (record.check_name)
--   started_at 1700000000       when the sandbox started, seconds since the epoch
--   command /bin/sh             the command's argv, one line per word
--   command -c
--   uid_range 1879048192-1879113727   host ids of the sandbox's 0-65535 (root's user
--   gid_range 1879048192-1879113727   namespace, hako.userns_steps); absent without one
--   ns.mnt 0:4 4026532281       device and inode of /proc/PID/ns/mnt; one per namespace
--   policy.uid 0                what the sandbox's command got (hako.policy.FIELDS)
--   policy.groups 0 10
--   policy.caps 10 13           capability numbers
--   policy.env PATH=/usr/bin:/bin   one line per variable
--   ...

local failure = require "hako.failure"
local host_path = require "hako.host_path"
local policy = require "hako.policy"

local check = failure.check

local M = {}

M.VERSION = 3
M.ROOT_DIRECTORY = "/run/hako"
-- A record holds the sandbox's seccomp program: up to 64 KiB of hex.
M.MAX_SIZE = 262144
M.NAMESPACES = { "cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts" }

-- Who may read and write where (stat's mode bits).
local MODE_DIRECTORY = tonumber("700", 8)   -- the records' directory, as hako-run makes it
local MODE_RECORD = tonumber("600", 8)
local GROUP_OR_OTHER_ACCESS = tonumber("077", 8)
local GROUP_OR_OTHER_WRITE = tonumber("022", 8)

-- The sandbox's own fields: name, kind ("integer", "string", or "list": one line a word).
local FIELDS = {
  { "pid", "integer" }, { "start_time", "integer" }, { "supervisor", "integer" },
  { "supervisor_start_time", "integer" }, { "owner", "integer" }, { "root", "string" },
  { "name", "string" }, { "started_at", "integer" }, { "command", "list" },
  { "uid_range", "string" }, { "gid_range", "string" },
}
local KIND = {}
for _, f in ipairs(FIELDS) do KIND[f[1]] = f[2] end
local KNOWN_NAMESPACE = {}
for _, ns in ipairs(M.NAMESPACES) do KNOWN_NAMESPACE[ns] = true end
local REQUIRED = { "pid", "start_time" }

local function escape(value)
  return (value:gsub("[%%%c\127]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function unescape(value)
  return (value:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- format(record) -> text; record.policy is a hako.policy table.
function M.format(record)
  local lines = { "hako-record " .. M.VERSION }
  local function add(name, value) lines[#lines + 1] = name .. " " .. escape(tostring(value)) end
  for _, f in ipairs(FIELDS) do
    local value = record[f[1]]
    if f[2] == "list" then
      for _, word in ipairs(value or {}) do add(f[1], word) end
    elseif value ~= nil then
      add(f[1], value)
    end
  end
  for _, ns in ipairs(M.NAMESPACES) do
    local id = record.ns and record.ns[ns]
    if id then add("ns." .. ns, id.dev .. " " .. id.ino) end
  end
  for _, entry in ipairs(policy.encode(record.policy or {})) do add("policy." .. entry[1], entry[2]) end
  return table.concat(lines, "\n") .. "\n"
end

-- parse(text) -> record, or nil and why.
function M.parse(text)
  local version = text:match("^hako%-record (%d+)\n")
  if not version then return nil, "not a hako record" end
  if tonumber(version) ~= M.VERSION then
    return nil, "record version " .. version .. " is not this hako's (" .. M.VERSION
      .. "): the sandbox was started by another version of hako-run"
  end
  local record, entries = { ns = {} }, {}
  for line in text:gmatch("([^\n]*)\n") do
    local name, raw = line:match("^([%w_.]+) (.*)$")
    local value = raw and unescape(raw)
    local kind = KIND[name]
    -- A namespace this hako does not know is ignored, as an unknown field is: it must not
    -- count as one recorded, when mismatch() only compares those it knows.
    local ns = name and name:match("^ns%.(%w+)$")
    if not KNOWN_NAMESPACE[ns] then ns = nil end
    local field = name and name:match("^policy%.(.+)$")
    if field then
      entries[#entries + 1] = { field, value }
    elseif ns then
      local dev, ino = value:match("^(%d+:%d+) (%d+)$")
      ino = ino and math.tointeger(tonumber(ino)) -- none past 2^63: tonumber gives a float
      if not ino then return nil, "bad " .. name end
      record.ns[ns] = { dev = dev, ino = ino }
    elseif kind == "integer" then
      record[name] = math.tointeger(tonumber(value))
      if not record[name] then return nil, "bad " .. name end
    elseif kind == "string" then
      record[name] = value
    elseif kind == "list" then
      record[name] = record[name] or {}
      table.insert(record[name], value)
    end
  end
  for _, name in ipairs(REQUIRED) do
    if record[name] == nil then return nil, "no " .. name end
  end
  if next(record.ns) == nil then return nil, "no namespaces" end
  -- Shown to root by hako ps: only a name hako-run would have taken.
  if record.name ~= nil and M.check_name(record.name) then return nil, "bad name" end
  for _, name in ipairs({ "uid_range", "gid_range" }) do
    if record[name] ~= nil and not record[name]:match("^%d+%-%d+$") then return nil, "bad " .. name end
  end
  local why
  record.policy, why = policy.decode(entries)
  if not record.policy then return nil, why end
  return record
end

-- A sandbox's name (hako-run --name): never a path, never a pid (all digits), so that
-- hako-enter and hako stop can tell one from the other.
M.NAME_MAX = 64

-- check_name(name) -> nil when name is a good one, else why not.
function M.check_name(name)
  if type(name) ~= "string" then return "must be a string" end
  if #name > M.NAME_MAX or not name:match("^[A-Za-z0-9][A-Za-z0-9_.-]*$") then
    return "expected 1 to " .. M.NAME_MAX .. " letters, digits, '_', '.' or '-', starting with a letter or digit"
  end
  if name:match("^%d+$") then return "must not be all digits (that would be a pid)" end
end

local function xdg_directory(xdg_runtime_dir)
  if xdg_runtime_dir and xdg_runtime_dir:sub(1, 1) == "/" then return xdg_runtime_dir .. "/hako" end
end

-- fallback_directory(uid) -> where a rootless hako-run without XDG_RUNTIME_DIR keeps its
-- records (podman's way): in /tmp, where anyone may have made it first, so it is checked
-- as any runtime directory is, and one that is not the caller's own is refused.
function M.fallback_directory(uid)
  return "/tmp/hako-" .. uid
end

-- owner_directories(uid) -> where a rootless sandbox of uid may keep its record, as root
-- looks for it: /run/user/UID/hako (the XDG convention), then the fallback.
-- directory_owner(dir, euid) -> whose records a directory of the caller's list holds:
-- root's in /run/hako, the caller's in its own.
function M.directory_owner(dir, euid)
  return dir == M.ROOT_DIRECTORY and 0 or euid
end

function M.owner_directories(uid)
  return { "/run/user/" .. uid .. "/hako", M.fallback_directory(uid) }
end

-- directories(euid, xdg_runtime_dir) -> where to look for records, most specific first.
-- A record must be somewhere only its owner can write: never inside a sandbox tree.
function M.directories(euid, xdg_runtime_dir)
  if euid == nil or euid == 0 then return { M.ROOT_DIRECTORY } end
  local dirs, seen = {}, {}
  local candidates = M.owner_directories(euid)
  table.insert(candidates, 1, xdg_directory(xdg_runtime_dir) or candidates[1])
  candidates[#candidates + 1] = M.ROOT_DIRECTORY
  for _, dir in ipairs(candidates) do
    if not seen[dir] then dirs[#dirs + 1], seen[dir] = dir, true end
  end
  return dirs
end

-- write_directory(euid, xdg_runtime_dir) -> where hako-run keeps its records.
function M.write_directory(euid, xdg_runtime_dir)
  if euid == nil or euid == 0 then return M.ROOT_DIRECTORY end
  return xdg_directory(xdg_runtime_dir) or M.fallback_directory(euid)
end

-- stat_field(text of /proc/PID/stat, n) -> field n (4: the parent's pid, 22: the start
-- time) as an integer. The name in field 2 may hold spaces and parentheses, so count
-- from the last ")".
function M.stat_field(stat, n)
  local rest = stat:match("^.*%)%s(.*)$")
  if not rest then return nil end
  local i = 3
  for field in rest:gmatch("%S+") do
    if i == n then return math.tointeger(tonumber(field)) end
    i = i + 1
  end
end

function M.start_time(stat)
  return M.stat_field(stat, 22)
end

-- mismatch(record, identity) -> nil when the live process is the recorded one, else why.
function M.mismatch(record, identity)
  if record.pid ~= identity.pid then return "pid " .. tostring(record.pid) .. " recorded" end
  if record.start_time ~= identity.start_time then return "start time", "stale" end
  for _, ns in ipairs(M.NAMESPACES) do
    local want, have = record.ns[ns], identity.ns[ns]
    if want and (not have or want.dev ~= have.dev or want.ino ~= have.ino) then
      return ns .. " namespace"
    end
  end
end

-- Effects: each takes hako.core and returns its value | nil, message, errno triples.

local function read_all(core, fd)
  local parts, size = {}, 0
  repeat
    local chunk, message, errno = core.read(fd, 4096)
    if not chunk then return nil, message, errno end
    parts[#parts + 1] = chunk
    size = size + #chunk
    if size > M.MAX_SIZE then return nil, "more than " .. M.MAX_SIZE .. " bytes", core.EFBIG end
  until chunk == ""
  return table.concat(parts)
end

-- stat(core, pid) -> the text of /proc/PID/stat (pid may be "self").
function M.stat(core, pid)
  local fd, message, errno = core.open("/proc/" .. pid .. "/stat", core.O_RDONLY | core.O_CLOEXEC)
  if not fd then return nil, message, errno end
  local text
  text, message, errno = read_all(core, fd)
  core.close(fd)
  return text, message, errno
end

-- identity(core, pid) -> { pid, start_time, ns = { mnt = {dev, ino}, ... } } of a live
-- process, read from the host's /proc; pid may be "self".
function M.identity(core, pid)
  local base = "/proc/" .. pid
  local text, message, errno = M.stat(core, pid)
  if not text then return nil, message, errno end
  local id = { pid = pid, start_time = M.start_time(text), ns = {},
    ended = text:match("^.*%)%s+([ZX])%s") ~= nil }
  for _, ns in ipairs(M.NAMESPACES) do
    local st, why, err = core.statx(core.AT_FDCWD, base .. "/ns/" .. ns, 0)
    if st then
      id.ns[ns] = { dev = st.dev_major .. ":" .. st.dev_minor, ino = st.ino }
    elseif err ~= core.ENOENT then
      id.ns_error = id.ns_error or why -- e.g. EACCES: not allowed to inspect that process
    end
  end
  return id
end

-- open_directory(core, path, euid, create) -> an O_PATH fd on the checked directory.
-- It must be a real directory (not a symlink), owned by euid (or root, for reading),
-- and writable by nobody else; hako-run also wants no access at all for others.
function M.open_directory(core, path, euid, create)
  local flags = core.O_PATH | core.O_DIRECTORY | core.O_NOFOLLOW | core.O_CLOEXEC
  local fd, message, errno = core.open(path, flags)
  if not fd and create and errno == core.ENOENT then
    local ok
    ok, message, errno = core.mkdir(path, MODE_DIRECTORY)
    if ok or errno == core.EEXIST then fd, message, errno = core.open(path, flags) end
  end
  local st
  if not fd and (errno == core.ENOTDIR or errno == core.ELOOP) then
    st = core.statx(core.AT_FDCWD, path, core.AT_SYMLINK_NOFOLLOW)
    if st then
      message = st.type == "link" and "a symbolic link of uid " .. st.uid .. ", refused" or "not a directory"
    end
  end
  if not fd then
    if not st then return nil, message, errno end
    return nil, "runtime directory " .. path .. ": " .. message .. M.whose(path, st, euid), core.EPERM
  end
  st, message, errno = core.statx(fd, "", core.AT_EMPTY_PATH)
  local why = not st and failure.why(message)
    or st.type ~= "directory" and "not a directory"
    or st.uid ~= euid and (create or st.uid ~= 0) and "owned by uid " .. st.uid .. M.whose(path, st, euid)
    or st.mode & (create and GROUP_OR_OTHER_ACCESS or GROUP_OR_OTHER_WRITE) ~= 0
      and string.format("mode %o is too open", st.mode)
  if why then
    core.close(fd)
    return nil, "runtime directory " .. path .. ": " .. why, errno or core.EPERM
  end
  return fd
end

-- whose(path, st, euid) -> for the fallback directory in /tmp, which anyone can make
-- first: whose it is and what to do, when it is not euid's.
function M.whose(path, st, euid)
  if st.uid == euid or path ~= M.fallback_directory(euid) then return "" end
  return ": someone else made it (remove it, or set XDG_RUNTIME_DIR)"
end

local function open_in(core, dirfd, name, flags, mode)
  return core.openat2(dirfd, name, flags | core.O_CLOEXEC | core.O_NOFOLLOW, mode or 0,
    core.RESOLVE_BENEATH | core.RESOLVE_NO_SYMLINKS)
end

-- write_aside(core, dirfd, record) -> PID.tmp's statx: all of the record, where no reader
-- looks (a name with a dot), while the sandbox sets itself up; published once it is up.
function M.write_aside(core, dirfd, record)
  local tmp = record.pid .. ".tmp"
  local flags = core.O_WRONLY | core.O_CREAT | core.O_EXCL
  local fd, message, errno = open_in(core, dirfd, tmp, flags, MODE_RECORD)
  if not fd and errno == core.EEXIST then -- left by a hako-run killed right here
    core.unlinkat(dirfd, tmp)
    fd, message, errno = open_in(core, dirfd, tmp, flags, MODE_RECORD)
  end
  check(fd, message, errno)
  local text = M.format(record)
  local ok, st = pcall(function()
    local done = 0
    while done < #text do done = done + check(core.write(fd, text:sub(done + 1))) end
    return check(core.statx(fd, "", core.AT_EMPTY_PATH))
  end)
  core.close(fd)
  if not ok then
    core.unlinkat(dirfd, tmp)
    error(st, 0)
  end
  return st
end

-- publish(core, dirfd, pid): PID.tmp becomes PID, so all of the record appears at once.
function M.publish(core, dirfd, pid)
  local ok, err = pcall(check, core.renameat(dirfd, pid .. ".tmp", dirfd, tostring(pid)))
  if not ok then
    core.unlinkat(dirfd, pid .. ".tmp")
    error(err, 0)
  end
end

-- read(core, dirfd, pid, euid) -> record | nil, message, errno (ENOENT: no record).
-- A user can put anything under its own directory's names, and root reads there too
-- (hako-enter into a rootless sandbox): so look first (O_PATH opens nothing: a FIFO
-- cannot block us, a device is not touched), read only a regular file of root or the
-- owner, and only a record of the pid it is named after.
function M.read(core, dirfd, pid, euid)
  local handle, message, errno = open_in(core, dirfd, tostring(pid), core.O_PATH)
  if not handle then return nil, message, errno end
  local fd, text
  -- A record is about a kilobyte; a user's sparse 4 GiB file must not make root read it.
  fd, message, errno = host_path.reopen_file(core, handle, function(st)
    return (st.uid == 0 or st.uid == euid) and (st.size or 0) <= M.MAX_SIZE
  end)
  if not fd and not message then
    message = "record " .. pid .. ": not a regular file of root or the owner, of at most " .. M.MAX_SIZE .. " bytes"
    errno = core.EPERM
  end
  core.close(handle)
  if fd then
    text, message, errno = read_all(core, fd)
    core.close(fd)
  end
  if not text then return nil, message, errno end
  local record, why = M.parse(text)
  if not record then return nil, "record " .. pid .. ": " .. why, core.EINVAL end
  if record.pid ~= pid then
    return nil, "record " .. pid .. ": names pid " .. record.pid, core.EINVAL
  end
  return record
end

-- remove(core, dirfd, pid, written[, aside]): PID (PID.tmp, aside) only if still the file
-- written (write_aside's statx); tmpfs reuses a freed inode number at once: mtime too.
function M.remove(core, dirfd, pid, written, aside)
  local name = pid .. (aside and ".tmp" or "")
  local st = core.statx(dirfd, name, core.AT_SYMLINK_NOFOLLOW)
  for _, field in ipairs({ "ino", "dev_major", "dev_minor", "mtime_sec", "mtime_nsec", "size" }) do
    if not st or st[field] ~= written[field] then return end
  end
  core.unlinkat(dirfd, name)
end

return M
