-- spec/mutate/run.lua: the mutation harness (make mutate). Each mutant in mutants.lua
-- removes one defence from a copy of the tree; the copy is built and the spec files that
-- should catch it are run there. A mutant they catch is KILLED; one they pass with is
-- SURVIVED, and fails the run: a defence without a test that fails without it.
--
--   lua5.4 spec/mutate/run.lua [NAME...]     (as root, from the top of the tree, after make)
--   lua5.4 spec/mutate/run.lua --check       (every mutant's text still stands once)
--
-- Copies live in /tmp/hako-mutant.*, one at a time, and are removed after each mutant.

local mutants = dofile("spec/mutate/mutants.lua")

local function sh(line)
  local ok = os.execute(line)
  return ok == true
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function quote(word)
  return "'" .. word:gsub("'", "'\\''") .. "'"
end

-- apply(dir, mutant) -> nil, or why it cannot be applied. Each edit's text must stand in
-- its file exactly once, so the list keeps pace with the code.
local function apply(dir, m)
  for _, edit in ipairs(m.edits) do
    local path = dir .. "/" .. edit.file
    local text = read(path)
    local at, count, from = 1, 0, nil
    while true do
      local i = text:find(edit.from, at, true)
      if not i then break end
      count, from, at = count + 1, i, i + 1
    end
    if count ~= 1 then return "its text stands " .. count .. " times in " .. edit.file .. ": " .. edit.from end
    write(path, text:sub(1, from - 1) .. edit.to .. text:sub(from + #edit.from))
  end
end

-- The last lines of a log, to show why a mutant could not run or was not caught.
local function tail(path)
  local f = io.open(path)
  if not f then return "" end
  local lines = {}
  for line in f:lines() do
    lines[#lines + 1] = line
    if #lines > 15 then table.remove(lines, 1) end
  end
  f:close()
  return "    " .. table.concat(lines, "\n    ") .. "\n"
end

local function copy_tree(dir)
  -- The working tree's tracked files, and the build folder so that make only redoes what
  -- the mutant changed.
  return sh("git ls-files -z | tar --null -cf - -T - | tar -xf - -C " .. quote(dir))
    and sh("cp -a build " .. quote(dir) .. "/build")
end

local ENV = "LUA_PATH='lua/?.lua;lua/?/init.lua;build/gen/?.lua;spec/?.lua;;' LUA_CPATH='build/lib/?.so;;' "
  .. "HAKO_BUILD=build"

-- run(m) -> "KILLED" | "SURVIVED" | "ERROR: why"
local function run(m)
  local dir = io.popen("mktemp -d /tmp/hako-mutant.XXXXXX"):read("l")
  local result
  local ok, err = pcall(function()
    if not copy_tree(dir) then result = "ERROR: cannot copy the tree" return end
    local why = apply(dir, m)
    if why then result = "ERROR: " .. why return end
    local log = dir .. "/mutant.log"
    if not sh("make -s -C " .. quote(dir) .. " all build/probe >" .. log .. " 2>&1") then
      result = "ERROR: the mutant does not build"
      io.stderr:write(tail(log))
      return
    end
    local specs = {}
    for i, s in ipairs(m.specs) do specs[i] = quote(s) end
    local env = (m.env and m.env .. " " or "") .. ENV -- a mutant of the old mode runs its specs there
    local passed = sh("cd " .. quote(dir) .. " && " .. env .. " timeout 600 prove --exec lua5.4 "
      .. table.concat(specs, " ") .. " >>" .. log .. " 2>&1")
    result = passed and "SURVIVED" or "KILLED"
    if passed then io.stderr:write(tail(log)) end
  end)
  if not ok then result = "ERROR: " .. tostring(err) end
  -- A mutant may leave processes of its build behind (run-die-with-parent's sandbox
  -- outlives its hako-run, as it should): they go with the copy.
  sh("pkill -KILL -f " .. quote("^" .. dir .. "/") .. " 2>/dev/null")
  sh("rm -rf --one-file-system " .. quote(dir))
  return result
end

-- --check: only that every edit still finds its text, once (a quick test of the list).
if arg[1] == "--check" then
  local bad = 0
  for _, m in ipairs(mutants) do
    for _, e in ipairs(m.edits) do
      local text, count, at = read(e.file), 0, 1
      while true do
        local i = text:find(e.from, at, true)
        if not i then break end
        count, at = count + 1, i + 1
      end
      if count ~= 1 then
        bad = bad + 1
        io.write(string.format("%s: %s: text stands %d times: %s\n", m.name, e.file, count, e.from))
      end
    end
  end
  io.write(string.format("%d mutants, %d stale edits\n", #mutants, bad))
  os.exit(bad == 0 and 0 or 1)
end

local wanted = {}
for _, name in ipairs(arg) do wanted[name] = true end
local counts = { KILLED = 0, SURVIVED = 0, ERROR = 0 }
for _, m in ipairs(mutants) do
  if next(wanted) == nil or wanted[m.name] then
    local result = run(m)
    counts[result:match("^%u+")] = counts[result:match("^%u+")] + 1
    io.write(string.format("%-9s %-34s %s\n", result:match("^%u+"), m.name,
      result:match("^ERROR: (.*)") or m.why))
    io.flush()
  end
end
io.write(string.format("mutants: %d killed, %d survived, %d could not run\n",
  counts.KILLED, counts.SURVIVED, counts.ERROR))
os.exit(counts.SURVIVED == 0 and counts.ERROR == 0 and 0 or 1)
