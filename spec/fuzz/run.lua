-- spec/fuzz/run.lua: make fuzz. Feeds every parser of spec/fuzz/targets.lua COUNT inputs.
--
--   lua5.4 spec/fuzz/run.lua [--seed S] [--count N] [--parser NAME[,NAME...]] [--index I] [--jobs J]
--
-- (LUA_PATH='lua/?.lua;lua/?/init.lua;spec/?.lua;;' LUA_CPATH='build/lib/?.so;;', from the
-- top of the tree.) A target with a share (an exec per input) gets that share of N.
-- --index I makes input I alone, prints it and what became of it: the
-- replay of a failure. Parsers run J at a time, each in processes of its own. Exit 0 when
-- every input got a result or a clean failure, 1 otherwise.

local core = require "hako.core"
local harness = require "fuzz.harness"
local targets = require "fuzz.targets"

local options = { seed = "1", count = 100000, jobs = 1 }
local i = 1
while arg[i] do
  local name, value = arg[i]:match("^%-%-(%w+)$"), arg[i + 1]
  if not name or value == nil then
    io.stderr:write("usage: run.lua [--seed S] [--count N] [--parser NAME,...] [--index I] [--jobs J]\n")
    os.exit(2)
  end
  options[name] = value
  i = i + 2
end
options.count, options.jobs = tonumber(options.count), tonumber(options.jobs)

local chosen = {}
for _, t in ipairs(targets) do
  if not options.parser or ("," .. options.parser .. ","):find("," .. t.name .. ",", 1, true) then
    chosen[#chosen + 1] = t
  end
end
if #chosen == 0 then
  io.stderr:write("fuzz: no parser named ", options.parser, "\n")
  os.exit(2)
end

local function replay_line(t, index)
  return string.format("make fuzz SEED=%s PARSER=%s INDEX=%s", options.seed, t.name, tostring(index))
end

-- report(t, r) -> the lines that tell how target t went, and whether it passed.
local function report(t, r)
  local lines = { string.format("fuzz %-15s %7d inputs  %6.1f s  %s", t.name, r.count, r.seconds,
    #r.bugs == 0 and "ok" or #r.bugs .. " FAILED") }
  for _, bug in ipairs(r.bugs) do
    local ok, input = pcall(harness.input, t, options.seed, bug.index or 1)
    lines[#lines + 1] = "  input " .. tostring(bug.index) .. ": " .. bug.problem:gsub("\n", "\n    ")
    lines[#lines + 1] = "    input: " .. (ok and harness.show(input) or "?")
    lines[#lines + 1] = "    replay: " .. replay_line(t, bug.index)
  end
  return table.concat(lines, "\n") .. "\n", #r.bugs == 0
end

if options.index then
  local t, index = chosen[1], tonumber(options.index)
  io.stdout:write("input: ", harness.show(harness.input(t, options.seed, index), true), "\n")
  local text, ok = report(t, harness.run(t, { seed = options.seed, first = index, count = 1 }))
  io.stdout:write(text)
  os.exit(ok and 0 or 1)
end

-- Shards: target k goes to job (k - 1) % jobs + 1; each job writes its report to a pipe.
local jobs = {}
for j = 1, math.min(options.jobs, #chosen) do
  local r, w = assert(core.pipe2(core.O_CLOEXEC))
  io.stdout:flush()
  local pid = assert(core.clone(0))
  if pid == 0 then
    core.close(r)
    local passed = true
    for k = j, #chosen, options.jobs do
      local count = math.max(1, math.floor(options.count * (chosen[k].share or 1)))
      local text, ok = report(chosen[k], harness.run(chosen[k], { seed = options.seed, count = count }))
      passed = passed and ok
      local done = 0
      while done < #text do done = done + assert(core.write(w, text:sub(done + 1))) end
    end
    core._exit(passed and 0 or 1)
  end
  core.close(w)
  jobs[j] = { pid = pid, r = r }
end

local passed = true
for _, job in ipairs(jobs) do
  repeat
    local chunk = assert(core.read(job.r, 65536))
    io.stdout:write(chunk)
    io.stdout:flush()
  until chunk == ""
  local _, how, code = core.waitpid(job.pid)
  passed = passed and how == "exited" and code == 0
end
io.stdout:write(passed and "fuzz: every input handled (seed " .. options.seed .. ")\n"
  or "fuzz: FAILED (seed " .. options.seed .. ")\n")
os.exit(passed and 0 or 1)
