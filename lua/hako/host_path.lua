-- hako.host_path: open a path of the host's that hako-run was given, one component at a
-- time, following only the symbolic links its caller can trust.
--
-- hako-run often runs as root with paths that go through other users' directories
-- (`-m /home/mal/proj/etc:/mnt`). The kernel would follow a link there wherever its
-- owner points it, /etc say, and root would bind, write or remove what it finds. So
-- every component is opened with O_NOFOLLOW, relative to the one before, and a link is
-- followed only when it belongs to root or the caller and lies in a directory that does
-- too and that nobody else may change (not writable by group or others, or sticky), as
-- /lib -> usr/lib does. The result is an O_PATH fd: what was checked is what is used.

local M = {}

local MAX_LINKS = 40 -- as the kernel's path walk (path_resolution(7))
local STICKY, GROUP_OR_OTHER_WRITE = tonumber("1000", 8), tonumber("22", 8)

local why = require("hako.failure").why

local function components(path, list)
  for part in path:gmatch("[^/]+") do
    if part ~= "." then list[#list + 1] = part end
  end
  return list
end

local function trusted(st, uid)
  return st.uid == 0 or st.uid == uid
end

-- untrusted(dir, uid) -> why someone but root and uid could change what the directory of
-- statx dir holds: "owner" (it is another's), "writable" (others may write to it, and it
-- is not sticky); nil when nobody can.
function M.untrusted(dir, uid)
  if not trusted(dir, uid) then return "owner" end
  if dir.mode & GROUP_OR_OTHER_WRITE ~= 0 and dir.mode & STICKY == 0 then return "writable" end
end

-- Why the link of statx link in the directory of statx dir may not be followed; nil when
-- it may.
local function distrust(link, dir, uid)
  if not trusted(link, uid) then return "owned by uid " .. link.uid end
  local why_not = M.untrusted(dir, uid)
  if why_not == "owner" then return "in a directory of uid " .. dir.uid end
  if why_not == "writable" then return "in a directory others may write to" end
end

-- open(core, path, options) -> fd | nil, why. options.uid: whose links are trusted
-- besides root's (hako-run's euid); options.any_link: every link is (a user namespace's
-- process reaches no more through one than its caller could); options.last_link =
-- "refuse" refuses a link as the last component whoever owns it (a bind's source). Relative paths start at the working
-- directory. The fd is O_PATH and close-on-exec.
function M.open(core, path, options)
  local uid = options.uid
  local flags = core.O_PATH | core.O_NOFOLLOW | core.O_CLOEXEC
  -- A path with no link at all has nothing to judge: the kernel opens it in one call
  -- that refuses any link on the way (RESOLVE_NO_SYMLINKS), where the walk below takes
  -- three a component (a twentieth of a read-only bind's cost). Any failure, a link
  -- among them, goes the walk's way, which says what is wrong.
  -- (Not O_NOFOLLOW there: with it, a link as the last component would be opened itself.)
  local fast = core.openat2(core.AT_FDCWD, path, core.O_PATH | core.O_CLOEXEC, 0, core.RESOLVE_NO_SYMLINKS)
  if fast then return fast end
  local at, message = core.open(path:sub(1, 1) == "/" and "/" or ".", flags | core.O_DIRECTORY)
  if not at then return nil, why(message) end
  local todo = components(path, {})
  -- A trailing slash asks for a directory (and would make the kernel follow a link).
  local want_directory = path:match("/$") ~= nil and #todo > 0
  local links, i = 0, 1
  local function fail(problem)
    core.close(at)
    return nil, problem
  end
  while i <= #todo do
    local name = todo[i]
    local fd
    fd, message = core.openat2(at, name, flags, 0, 0)
    if not fd then return fail(why(message)) end
    local st = core.statx(fd, "", core.AT_EMPTY_PATH)
    if not st then
      core.close(fd)
      return fail("cannot look at " .. name)
    end
    if st.type == "link" then
      local to = core.readlinkat(fd, "") or "?"
      core.close(fd)
      local last = i == #todo
      if last and options.last_link == "refuse" then
        return fail("is a symbolic link to " .. to .. ", refused")
      end
      local dir = core.statx(at, "", core.AT_EMPTY_PATH)
      local problem = not dir and "cannot look at its directory" or not options.any_link and distrust(st, dir, uid)
      if problem then return fail("has a symbolic link " .. name .. " -> " .. to .. " " .. problem .. ", refused") end
      -- A /proc magic link (/proc/PID/root, cwd, fd/N) means what the kernel makes of it,
      -- not its text: refused rather than walked as text.
      local probe, _, errno = core.openat2(at, name, core.O_PATH | core.O_CLOEXEC, 0, core.RESOLVE_NO_MAGICLINKS)
      if probe then
        core.close(probe)
      elseif errno == core.ELOOP then
        return fail("has a magic link " .. name .. " (of /proc), refused")
      end
      links = links + 1
      if links > MAX_LINKS then return fail("Too many levels of symbolic links") end
      local rest = components(to, {})
      table.move(todo, i + 1, #todo, #rest + 1, rest)
      todo, i = rest, 1
      if to:sub(1, 1) == "/" then
        core.close(at)
        at, message = core.open("/", flags | core.O_DIRECTORY)
        if not at then return nil, why(message) end
      end
    else
      if i < #todo and st.type ~= "directory" then
        core.close(fd)
        return fail("Not a directory")
      end
      core.close(at)
      at, i = fd, i + 1
    end
  end
  if want_directory then
    local st = core.statx(at, "", core.AT_EMPTY_PATH)
    if not st or st.type ~= "directory" then return fail("Not a directory") end
  end
  return at
end

-- reopen_file(core, handle[, allowed]) -> fd | nil, message, errno: the file an O_PATH
-- handle holds, opened for reading, non-blocking, only if it is a regular file (and
-- allowed(statx) says yes): a FIFO would keep hako waiting, a device is not to be
-- touched. nil without a message when the file is refused; handle stays open.
function M.reopen_file(core, handle, allowed)
  local st = core.statx(handle, "", core.AT_EMPTY_PATH)
  if not st or st.type ~= "file" or allowed and not allowed(st) then return nil end
  return core.open("/proc/self/fd/" .. handle, core.O_RDONLY | core.O_NONBLOCK | core.O_CLOEXEC)
end

return M
