-- support/sandbox.lua: a busybox sandbox in a temporary directory, and the built binaries.

local process = require "support.process"

local M = {}

M.BUILD = os.getenv("HAKO_BUILD") or "build"
M.BUSYBOX = os.getenv("HAKO_BUSYBOX") or "/bin/busybox"

local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  return process.sh("pwd"):gsub("\n$", "") .. "/" .. path
end

-- HAKO_TEST_USERNS=host runs the suites' sandboxes in the old mode (make check runs the
-- escape suites both ways): hako-run is then a script in the build directory that runs
-- the built one with --userns MODE first, so that a test's own --userns still wins.
M.USERNS = os.getenv("HAKO_TEST_USERNS")
if M.USERNS == "" then M.USERNS = nil end

-- Written once per test process (a stale copy of an earlier run is replaced). Only root
-- has the old mode: a rootless caller's hako-run goes as it is.
local wrappers = {}
local function userns_wrapper(mode)
  if wrappers[mode] then return wrappers[mode] end
  local dir = absolute(M.BUILD .. "/test-userns-" .. mode)
  local path = dir .. "/hako-run"
  local real = process.quote(absolute(M.BUILD .. "/hako-run"))
  os.execute("mkdir -p " .. process.quote(dir))
  local new = path .. ".new." .. process.sh("echo $PPID"):gsub("\n$", "")
  local f = assert(io.open(new, "w"))
  -- Root owns /: "test -O /" asks whose process this is without a fork, which a test
  -- looking for hako-run's first child would take for the sandbox.
  f:write("#!/bin/sh\nif [ -O / ]; then exec " .. real .. " --userns " .. process.quote(mode) .. ' "$@"; fi\n'
    .. "exec " .. real .. ' "$@"\n')
  f:close()
  assert(os.execute("chmod 755 " .. process.quote(new) .. " && mv " .. process.quote(new) .. " "
    .. process.quote(path)))
  wrappers[mode] = path
  return path
end

-- The built command, by name ("hako-run", "hako").
function M.bin(name)
  if name == "hako-run" and M.USERNS then return userns_wrapper(M.USERNS) end
  return absolute(M.BUILD .. "/" .. name)
end

local APPLETS = { "sh", "ls", "cat", "echo", "hostname", "ps", "id", "true", "false",
  "sleep", "mount", "kill", "readlink", "stat", "touch", "mkdir", "grep", "env", "pwd",
  "test", "wc", "head", "ip", "chroot", "rm", "ln" }

-- host_mounts({dir, ...}) -> the host's mount table, sorted, but for mounts in other
-- temp dirs of /tmp and network namespace files: other test runs on the same machine
-- make and remove those while this one runs. Mounts in the given dirs are all kept.
function M.host_mounts(mine)
  local own = {}
  for _, dir in ipairs(mine or {}) do own[dir] = true end
  local kept = {}
  for line in process.sh("sort /proc/self/mountinfo"):gmatch("[^\n]+") do
    local point = line:match("^%S+ %S+ %S+ %S+ (%S+)")
    local temp = point:match("^(/tmp/[^/]+)")
    if not (temp and not own[temp]) and not point:match("^/run/netns") then kept[#kept + 1] = line end
  end
  return table.concat(kept, "\n")
end

local Sandbox = {}
Sandbox.__index = Sandbox

-- new() -> a sandbox directory with .hako, busybox and its applets, /proc, /dev, /etc, /tmp.
function M.new()
  local dir = process.sh("mktemp -d /tmp/hako-test.XXXXXX"):gsub("\n$", "")
  local links = {}
  for _, applet in ipairs(APPLETS) do links[#links + 1] = "ln -s busybox " .. dir .. "/bin/" .. applet end
  process.sh(table.concat({
    "chmod 755 " .. dir,
    "mkdir -p " .. dir .. "/.hako " .. dir .. "/bin " .. dir .. "/proc " .. dir .. "/dev "
      .. dir .. "/etc " .. dir .. "/tmp " .. dir .. "/mnt",
    "cp " .. M.BUSYBOX .. " " .. dir .. "/bin/busybox",
    table.concat(links, " && "),
  }, " && "))
  return setmetatable({ root = dir }, Sandbox)
end

function Sandbox:path(relative)
  return self.root .. "/" .. relative
end

-- run({options...}, {command...}) -> result of hako-run [options] root command
function Sandbox:run(options, command, input)
  local argv = { M.bin("hako-run") }
  table.move(options or {}, 1, #(options or {}), 2, argv)
  argv[#argv + 1] = self.root
  table.move(command or {}, 1, #(command or {}), #argv + 1, argv)
  return process.run(argv, input)
end

-- sh("script") -> result of running the busybox shell script in the sandbox
function Sandbox:sh(script, options)
  return self:run(options, { "/bin/sh", "-c", script })
end

function Sandbox:write(relative, text)
  local f = assert(io.open(self:path(relative), "w"))
  f:write(text)
  f:close()
end

function Sandbox:remove()
  -- Never cross into a mount a broken test may have left: it could be the host.
  process.sh("rm -rf --one-file-system " .. process.quote(self.root))
end

return M
