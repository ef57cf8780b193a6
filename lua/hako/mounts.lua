-- hako.mounts: what --mount, --tmpfs and recipes' `mounts` say -> mount specs. Pure.
--
-- A bind is written SRC:DST[:ro|:rw] ("\:" for a literal colon), a tmpfs DST[:SIZE].
-- Recipes may also give tables: { src = , dst = , mode = "ro" }, { tmpfs = "DST[:SIZE]" },
-- { dev_bind = "SRC:DST" } (what --tmpfs and --dev-bind store).

local failure = require "hako.failure"
local paths = require "hako.paths"

local M = {}

-- split("a\:b:c") -> { "a:b", "c" }
function M.split(text)
  local parts, current, i = {}, {}, 1
  -- Without a backslash one pattern does it, 3x faster: 1,000 binds feel it (make bench).
  if not text:find("\\", 1, true) then
    for part in (text .. ":"):gmatch("([^:]*):") do parts[#parts + 1] = part end
    return parts
  end
  while i <= #text do
    local c = text:sub(i, i)
    if c == "\\" and text:sub(i + 1, i + 1) == ":" then
      current[#current + 1] = ":"
      i = i + 1
    elseif c == ":" then
      parts[#parts + 1] = table.concat(current)
      current = {}
    else
      current[#current + 1] = c
    end
    i = i + 1
  end
  parts[#parts + 1] = table.concat(current)
  return parts
end

-- A path inside the sandbox: absolute, no "..", not the root or the old-root directory.
function M.destination(what, dst)
  if dst == "" then failure.raise(what, "empty destination") end
  if dst:sub(1, 1) ~= "/" then failure.raise(what, "destination " .. dst .. " must be absolute") end
  for component in dst:gmatch("[^/]+") do
    if component == ".." then failure.raise(what, "destination " .. dst .. " must not contain ..") end
  end
  -- Component by component: every "." goes, however many follow each other ("/a/././b",
  -- "/.", "/././.hako"), so none can hide the root or /.hako from the checks below.
  local parts = {}
  for component in dst:gmatch("[^/]+") do
    if component ~= "." then parts[#parts + 1] = component end
  end
  local clean = "/" .. table.concat(parts, "/")
  if clean == "/" then failure.raise(what, "destination / is the sandbox root itself") end
  if clean == "/.hako" or clean:sub(1, 7) == "/.hako/" then
    failure.raise(what, "destination " .. dst .. " is where the host's root is detached")
  end
  return clean
end

local function bind(text, cwd, kind)
  local what = "--" .. kind .. " " .. text
  local parts = M.split(text)
  if text == "" then failure.raise("--" .. kind, "empty (expected SRC:DST[:ro|:rw])") end
  if #parts < 2 or #parts > 3 then failure.raise(what, "expected SRC:DST[:ro|:rw]") end
  local src, dst, mode = parts[1], parts[2], parts[3]
  if src == "" then failure.raise(what, "empty source") end
  dst = M.destination(what, dst)
  if mode and mode ~= "ro" and mode ~= "rw" then
    failure.raise(what, "mode " .. (mode == "" and '""' or mode) .. " must be ro or rw")
  end
  return { type = "bind", src = paths.absolute(src, cwd), dst = dst, mode = mode, devices = kind == "dev-bind" }
end

local function tmpfs(text)
  local what = "--tmpfs " .. text
  local parts = M.split(text)
  if #parts > 2 then failure.raise(what, "expected DST[:SIZE]") end
  local size = parts[2]
  if size and not size:match("^%d+[kmgKMG%%]?$") then
    failure.raise(what, "size " .. size .. " must be a number with an optional k, m, g or % suffix")
  end
  return { type = "tmpfs", dst = M.destination(what, parts[1]), size = size }
end

local function from_table(item, cwd)
  for _, key in ipairs({ "tmpfs", "dev_bind" }) do
    if item[key] ~= nil and type(item[key]) ~= "string" then failure.raise("mounts", key .. " must be a string") end
  end
  if item.tmpfs then return tmpfs(item.tmpfs) end
  if item.dev_bind then return bind(item.dev_bind, cwd, "dev-bind") end
  if type(item.src) ~= "string" or item.src == "" or type(item.dst) ~= "string" then
    failure.raise("mounts", "a table needs src and dst strings, or tmpfs")
  end
  local what = "mount " .. item.src
  if item.mode ~= nil and item.mode ~= "ro" and item.mode ~= "rw" then
    failure.raise(what, "mode must be ro or rw")
  end
  return { type = "bind", src = paths.absolute(item.src, cwd), dst = M.destination(what, item.dst),
    mode = item.mode, devices = item.devices == true }
end

-- parse(list, cwd) -> { {type = "bind"|"tmpfs", ...}, ... } in the order given
function M.parse(list, cwd)
  if list == nil then return {} end
  if type(list) ~= "table" then failure.raise("mounts", "must be a list") end
  local specs = {}
  for i, item in ipairs(list) do
    if type(item) == "string" then
      specs[i] = bind(item, cwd, "mount")
    elseif type(item) == "table" then
      specs[i] = from_table(item, cwd)
    else
      failure.raise("mounts", "item " .. i .. " must be a string or a table")
    end
  end
  return specs
end

return M
