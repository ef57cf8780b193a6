-- spec/fuzz/harness.lua: feed a target many inputs, in a process of their own, and tell
-- what went wrong with which input.
--
-- Input number i of a target is made from its own random stream (fuzz.random): the
-- corpus files come first, unchanged; after them a structured random input or a corpus
-- one, mutated. So (seed, target, i) names an input for ever, and a failure is replayed
-- with `make fuzz SEED=s PARSER=p INDEX=i`.
--
-- An input fails when the target says its answer is wrong, when it raises anything but
-- a hako.failure (a Lua runtime error is a bug, whatever the input), when it runs over
-- LIMIT_SECONDS of CPU or LIMIT_MEMORY_KB of Lua memory (a debug hook counts both), or
-- when the process dies (a crash in C) or stops telling its progress for WATCHDOG_SECONDS
-- (a hang in C or in the kernel, which no hook sees). A worker process runs the inputs,
-- so that a crash or a hang is caught and told rather than ending the run.

local core = require "hako.core"
local failure = require "hako.failure"
local mutate = require "fuzz.mutate"
local random = require "fuzz.random"

local M = {}

M.LIMIT_SECONDS = 1
M.LIMIT_MEMORY_KB = 512 * 1024
M.WATCHDOG_SECONDS = 10 -- wall clock: a loaded machine must not make a false hang
M.HOOK_EVERY = 10000 -- instructions

-- show(value[, whole]) -> one line of Lua that gives value back (%q strings), for
-- reports; strings past 300 bytes cut to 200 unless whole.
function M.show(value, whole, depth)
  depth = depth or 0
  local kind = type(value)
  if kind == "string" then
    local text = string.format("%q", whole and value or value:sub(1, 200)):gsub("\\\n", "\\n")
      :gsub("[\128-\255]", function(c) return string.format("\\%03d", c:byte()) end) -- a report is text
    if #value > 300 and not whole then return text .. " --[[the first 200 of " .. #value .. " bytes]]" end
    return text
  elseif kind == "number" then
    return string.format("%q", value)
  elseif kind ~= "table" then
    return kind == "boolean" and tostring(value) or kind == "nil" and "nil" or "<" .. kind .. ">"
  end
  if depth > 3 then return "{...}" end
  local parts, n = {}, #value
  local shown = whole and n or math.min(n, 12)
  for i = 1, shown do parts[#parts + 1] = M.show(value[i], whole, depth + 1) end
  if n > shown then parts[#parts + 1] = "--[[" .. n .. " items]]" end
  local keys = {}
  for k in pairs(value) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    parts[#parts + 1] = "[" .. M.show(k, whole, depth + 1) .. "]=" .. M.show(value[k], whole, depth + 1)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function copy(value)
  if type(value) ~= "table" then return value end
  local out = {}
  for k, v in pairs(value) do out[k] = copy(v) end
  return out
end

local function default_mutate(r, input, seeds, tokens)
  if type(input) == "string" then return mutate.text(r, input, tokens, seeds) end
  return mutate.list(r, input, tokens)
end

-- input(target, seed, index) -> input number index (from 1) of target.
function M.input(target, seed, index)
  local seeds = target.seeds or {}
  if index <= #seeds then return copy(seeds[index]) end
  local r = random.new(seed, target.name, index)
  local input
  if target.generate and (#seeds == 0 or r:chance(0.4)) then
    input = target.generate(r)
    if r:chance(0.5) then return input end
  else
    input = copy(r:pick(seeds))
  end
  return (target.mutate or default_mutate)(r, input, seeds, target.tokens)
end

-- The per-input limits, checked every HOOK_EVERY instructions of Lua.
local over
local deadline = math.huge
local function limits()
  if os.clock() > deadline then
    over = "ran over " .. M.LIMIT_SECONDS .. " s"
    error("fuzz: " .. over, 0)
  elseif collectgarbage("count") > M.LIMIT_MEMORY_KB then
    over = "used over " .. M.LIMIT_MEMORY_KB // 1024 .. " MiB"
    collectgarbage()
    error("fuzz: " .. over, 0)
  end
end

-- attempt(target, input) -> nil if the input was handled well, else what went wrong.
function M.attempt(target, input)
  over = nil
  deadline = os.clock() + M.LIMIT_SECONDS
  debug.sethook(limits, "", M.HOOK_EVERY)
  local ok, result = xpcall(target.run, function(err)
    if failure.is(err) then return err end
    return debug.traceback(tostring(err), 2)
  end, input)
  debug.sethook()
  deadline = math.huge
  if over then return over end
  if not ok then
    if failure.is(result) then return nil end
    return "Lua error: " .. tostring(result)
  end
  return result
end

local function escape(text)
  return (text:gsub("[%%\n]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function unescape(text)
  return (text:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- The worker: runs inputs first .. last, says "i" before each and "B i problem" after a
-- bad one, on fd w; ends the process.
local function work(target, seed, first, last, w)
  local function say(text)
    local done = 0
    while done < #text do done = done + assert(core.write(w, text:sub(done + 1))) end
  end
  local bugs = 0
  for i = first, last do
    say(i .. "\n")
    local ok, input = pcall(M.input, target, seed, i)
    local problem = ok and M.attempt(target, input) or not ok and "making the input: " .. tostring(input)
    if problem then
      say("B " .. i .. " " .. escape(problem) .. "\n")
      bugs = bugs + 1
      if bugs >= (target.max_bugs or 5) then break end
    end
  end
  say("E\n")
  io.stdout:flush()
  core._exit(0)
end

local function now()
  return assert(core.clock_gettime(core.CLOCK_MONOTONIC))
end

-- run(target, options) -> { count, bugs = { {index, problem}, ... }, seconds }
-- options: seed, first (1), count.
function M.run(target, options)
  local seed, first = options.seed, options.first or 1
  local last = first + options.count - 1
  local r, w = assert(core.pipe2(core.O_CLOEXEC))
  io.stdout:flush()
  local pid = assert(core.clone(0))
  if pid == 0 then
    core.close(r)
    local ok, err = pcall(work, target, seed, first, last, w)
    io.stderr:write("fuzz worker: ", tostring(err), " ", tostring(ok), "\n")
    core._exit(3)
  end
  core.close(w)
  local started, report = now(), { bugs = {}, count = 0 }
  local current, pending, ended, heard = nil, "", false, now()
  while true do
    local revents = assert(core.poll(r, core.POLLIN, 1000))
    if revents ~= 0 then
      local chunk = core.read(r, 65536) or ""
      if chunk == "" then break end
      heard = now()
      pending = pending .. chunk
      for line in pending:gmatch("([^\n]*)\n") do
        local index, problem = line:match("^B (%d+) (.*)$")
        if index then
          report.bugs[#report.bugs + 1] = { index = tonumber(index), problem = unescape(problem) }
        elseif line == "E" then
          ended = true
        else
          current = tonumber(line)
        end
      end
      pending = pending:match("[^\n]*$")
    elseif now() - heard > M.WATCHDOG_SECONDS then
      core.kill(pid, core.SIGKILL)
      report.bugs[#report.bugs + 1] = { index = current, problem = "no progress for " .. M.WATCHDOG_SECONDS
        .. " s: a hang outside Lua (a C function or the kernel)" }
      break
    end
  end
  core.close(r)
  local _, how, code = core.waitpid(pid)
  if not ended and #report.bugs == 0 or how == "killed" and code ~= core.SIGKILL then
    report.bugs[#report.bugs + 1] = { index = current, problem = "the worker died (" .. tostring(how) .. " "
      .. tostring(code) .. "): a crash" }
  end
  report.count = (current or first) - first + 1
  report.seconds = now() - started
  return report
end

return M
