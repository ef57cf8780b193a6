-- measure.lua: the bench's tools: shell helpers, one hyperfine session over a list of rows,
-- peak RSS with /usr/bin/time, and markdown tables of the results.
--
-- A row is { name = "...", cmd = "command line", ref = true? , na = "why not measured"? }.
-- cmd is split into words by hyperfine -N (no shell in between, so none is timed).

local M = {}

-- One session of many runs a table by default: ratios are taken between rows of one session.
M.WARMUP = tonumber(os.getenv("BENCH_WARMUP")) or 20
M.RUNS = tonumber(os.getenv("BENCH_RUNS")) or 300
M.ROUNDS = tonumber(os.getenv("BENCH_ROUNDS")) or 1

function M.sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  return out
end

function M.quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

function M.exists(path)
  return os.execute("test -e " .. M.quote(path)) == true
end

-- Run a row's command once: rows that fail get na = their error and are not timed.
local function try(row, log)
  local err = log .. ".err"
  local ok = os.execute(row.cmd .. " >/dev/null 2>" .. M.quote(err))
  if not ok then
    local f = io.open(err)
    local first = f and f:read("l") or ""
    if f then f:close() end
    row.na = "fails: " .. (first ~= "" and first or "non-zero exit")
  end
  os.remove(err)
end

local function parse_csv(path)
  local results, header = {}, nil
  for line in io.lines(path) do
    local fields = {}
    -- hyperfine quotes a field only when it has a comma or quote; names here have neither.
    for field in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = field end
    if not header then
      header = {}
      for i, name in ipairs(fields) do header[name] = i end
    else
      local function ms(key) return tonumber(fields[header[key]]) * 1000 end
      results[fields[header.command]] = { median = ms("median"), min = ms("min"), max = ms("max"),
        mean = ms("mean") }
    end
  end
  return results
end

-- hyperfine(id, rows, dir, options) fills row.median, row.min, row.max (ms) for every row
-- that runs. Each round is one hyperfine session over all rows, so that they share the
-- machine's state; a row's median is the median of its rounds' medians, so that a burst
-- of other work on the machine during one round does not decide a ratio.
-- options: runs, warmup, rounds, or min_runs/max_runs (hyperfine aims at ~3 s a command).
function M.hyperfine(id, rows, dir, options)
  options = options or {}
  local csv = dir .. "/" .. id .. ".csv"
  local args = { "hyperfine", "-N", "--style", "basic", "--export-csv", csv,
    "--warmup", tostring(options.warmup or M.WARMUP) }
  if options.min_runs then
    table.move({ "--min-runs", tostring(options.min_runs), "--max-runs", tostring(options.max_runs) },
      1, 4, #args + 1, args)
  else
    table.move({ "--runs", tostring(options.runs or M.RUNS) }, 1, 2, #args + 1, args)
  end
  local timed = 0
  for _, row in ipairs(rows) do
    if not row.na then try(row, dir .. "/" .. id) end
    if not row.na then
      table.move({ "-n", row.name, row.cmd }, 1, 3, #args + 1, args)
      timed = timed + 1
    end
  end
  if timed == 0 then return end
  local quoted = {}
  for i, a in ipairs(args) do quoted[i] = M.quote(a) end
  local rounds = options.rounds or M.ROUNDS
  local log = dir .. "/" .. id .. ".log"
  io.stderr:write("bench: ", id, ": ", timed, " commands, ", rounds, " rounds, hyperfine log in ", log, "\n")
  local per_row = {}
  for round = 1, rounds do
    -- Let the kernel finish tearing down the namespaces of what ran before (a worker
    -- does it for network namespaces, after the command has returned).
    os.execute("sleep 1")
    -- Through a script: with a thousand binds in three rows the command line is longer
    -- than one argument of sh -c may be (MAX_ARG_STRLEN, 128 KiB).
    local script = dir .. "/" .. id .. ".sh"
    local f = assert(io.open(script, "w"))
    f:write(table.concat(quoted, " "), "\n")
    f:close()
    if not os.execute("sh " .. M.quote(script) .. (round == 1 and " >" or " >>") .. M.quote(log) .. " 2>&1") then
      error("hyperfine failed, see " .. log)
    end
    for name, r in pairs(parse_csv(csv)) do
      per_row[name] = per_row[name] or {}
      table.insert(per_row[name], r)
    end
  end
  for _, row in ipairs(rows) do
    local list = per_row[row.name]
    if list then
      local medians = {}
      row.min, row.max = math.huge, 0
      for i, r in ipairs(list) do
        medians[i] = r.median
        row.min, row.max = math.min(row.min, r.min), math.max(row.max, r.max)
      end
      table.sort(medians)
      row.median = medians[(#medians + 1) // 2]
    end
  end
end

-- Peak RSS in KiB of a command: the median of `runs` runs of /usr/bin/time -f %M.
function M.peak_rss(cmd, runs)
  local values = {}
  for i = 1, runs do
    local out = M.sh("/usr/bin/time -f '%M' " .. cmd .. " 2>&1 >/dev/null | tail -n 1")
    values[i] = tonumber(out:match("(%d+)%s*$")) or 0
  end
  table.sort(values)
  return values[(runs + 1) // 2]
end

function M.by_name(rows, name)
  for _, row in ipairs(rows) do
    if row.name == name then return row end
  end
end

local function fmt(x, digits)
  return x and string.format("%." .. (digits or 2) .. "f", x) or ""
end
M.fmt = fmt

-- table_of(rows, extra) -> markdown: name, median, min, max, ratio to the ref row, and
-- extra columns given as { {title, function(row) -> text}, ... }.
function M.table_of(rows, extra)
  extra = extra or {}
  local ref
  for _, row in ipairs(rows) do
    if row.ref then ref = row end
  end
  local head = { "command", "median ms", "min ms", "max ms" }
  if ref then head[#head + 1] = "× " .. ref.name end
  for _, col in ipairs(extra) do head[#head + 1] = col[1] end
  local lines = { "| " .. table.concat(head, " | ") .. " |",
    "|" .. string.rep("---|", #head) }
  for _, row in ipairs(rows) do
    local cells = { row.name }
    if row.median then
      table.move({ fmt(row.median), fmt(row.min), fmt(row.max) }, 1, 3, 2, cells)
      if ref then cells[#cells + 1] = ref.median and fmt(row.median / ref.median) or "" end
      for _, col in ipairs(extra) do cells[#cells + 1] = col[2](row) or "" end
    else
      cells[2] = row.na or "not measured"
      for _ = 3, #head do cells[#cells + 1] = "" end
    end
    lines[#lines + 1] = "| " .. table.concat(cells, " | ") .. " |"
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
