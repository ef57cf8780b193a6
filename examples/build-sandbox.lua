-- build-sandbox.lua: shows a build sandbox: the host's toolchain read-only, the source
-- tree read-write, no network, and nothing else of the host (no /etc but its
-- alternatives, no /home).
--
--   hako examples/build-sandbox.lua [SRC [COMMAND ARGS...]]
--
-- Runs COMMAND (default: make) in SRC (default: a hello-world made in a temporary
-- directory) as SRC's owner, with /usr (and /bin, /lib... as the host has them) read-only,
-- SRC read-write at /src, a tmpfs at /tmp, and a network namespace with loopback only.
-- The root is an empty temporary directory with the mount points; it is removed after.

local hako = require "hako"

local function sh(line)
  local p = assert(io.popen(line))
  local out = p:read("a")
  assert(p:close(), line)
  return (out:gsub("\n$", ""))
end

local function q(word)
  return "'" .. word:gsub("'", "'\\''") .. "'"
end

local src, command = arg[1], { table.unpack(arg, 2) }
local demo = src == nil
if demo then
  src = sh("mktemp -d /tmp/hako-build-src.XXXXXX")
  local f = assert(io.open(src .. "/hello.c", "w"))
  f:write('#include <stdio.h>\nint main(void) { puts("hello from the build sandbox"); return 0; }\n')
  f:close()
  f = assert(io.open(src .. "/Makefile", "w"))
  -- The last line shows the sandbox has no network: only the loopback interface.
  f:write("check: hello\n\t./hello\n\ttest \"$$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')\" = lo\n"
    .. "\t! cat /etc/hostname 2>/dev/null\n")
  f:close()
end
if #command == 0 then command = { "make" } end
src = sh("realpath " .. q(src))

-- The root: mount points for the host's toolchain, and the host's own links beside them
-- (on a merged-/usr system /bin is usr/bin, and so it is here).
local root = sh("mktemp -d /tmp/hako-build-root.XXXXXX")
sh("chmod 755 " .. root) -- the build runs as the source's owner, who must get in
local mounts = { "/usr:/usr:ro" }
sh("mkdir -p " .. root .. "/.hako " .. root .. "/usr " .. root .. "/src " .. root .. "/tmp "
  .. root .. "/dev " .. root .. "/proc")
for _, dir in ipairs({ "bin", "sbin", "lib", "lib32", "lib64", "libx32" }) do
  local target = sh("readlink /" .. dir .. " || true")
  if target ~= "" then
    sh("ln -s " .. q(target) .. " " .. root .. "/" .. dir)
  elseif sh("test -d /" .. dir .. " && echo yes || true") == "yes" then
    sh("mkdir " .. root .. "/" .. dir)
    mounts[#mounts + 1] = "/" .. dir .. ":/" .. dir .. ":ro"
  end
end
-- Debian's cc, c++, awk... are links through /etc/alternatives: that, and no more of /etc.
if sh("test -d /etc/alternatives && echo yes || true") == "yes" then
  sh("mkdir -p " .. root .. "/etc/alternatives")
  mounts[#mounts + 1] = "/etc/alternatives:/etc/alternatives:ro"
end
mounts[#mounts + 1] = src .. ":/src:rw"
mounts[#mounts + 1] = { tmpfs = "/tmp" }

-- As the source's owner, so that what the build makes is theirs on the host.
local owner, group = sh("stat -c '%u %g' " .. q(src)):match("^(%d+) (%d+)$")
local ok, status = pcall(hako.run, {
  root = root,
  command = command,
  read_only = true, -- the root and the toolchain; /src and /tmp are writable
  mounts = mounts,
  chdir = "/src",
  user = owner, group = group,
  env = { "HOME=/tmp" },
  -- net: the default, a network namespace of its own with loopback only
})
sh("rm -rf --one-file-system " .. root)
if demo then sh("rm -rf " .. src) end
if not ok then error(status, 0) end
os.exit(status)
