-- hako.cli: command-line arguments -> options table. Pure: no effects, no kernel.
--
-- An option is described once, in a table like
--   { short = "m", long = "mount", key = "mounts", value = "SRC:DST[:ro|:rw]", list = true,
--     help = "bind mount SRC onto DST" }
-- A `value` makes it take an argument (kept in a list in order when `list` is set, after
-- `wrap(value)` if given, so that several options can share one ordered list); without
-- one it is a switch that stores `set` (default true) under `key`.
-- Accepted forms: --long=VAL, --long VAL, -xVAL, -x VAL, bundled switches (-nR). An option
-- with `words` (a set) takes the next argument only when it is one of them, and stores
-- `default` otherwise (an old switch grown values: `--userns` alone still works).
-- Options end at the first operand or at "--"; everything after is returned as operands.

local failure = require "hako.failure"

local M = {}

local function usage_error(what, why)
  failure.raise(what, why .. " (try --help)")
end

local function index(defs)
  local by_long, by_short = {}, {}
  for _, def in ipairs(defs) do
    by_long[def.long] = def
    if def.short then by_short[def.short] = def end
  end
  return by_long, by_short
end

local function store(options, def, value)
  if not def.value then
    if def.set == nil then options[def.key] = true else options[def.key] = def.set end
  elseif def.list then
    options[def.key] = options[def.key] or {}
    table.insert(options[def.key], def.wrap and def.wrap(value) or value)
  else
    options[def.key] = value
  end
end

-- parse(defs, argv) -> options, operands
function M.parse(defs, argv)
  local by_long, by_short = index(defs)
  local options, operands = {}, {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      i = i + 1
      break
    elseif a:sub(1, 2) == "--" then
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      local def = by_long[name]
      if not def then usage_error("--" .. name, "unknown option") end
      if def.value and not value and def.words then
        if def.words[argv[i + 1]] then
          i = i + 1
          value = argv[i]
        else
          value = def.default
        end
      elseif def.value and not value then
        i = i + 1
        value = argv[i]
        if value == nil then usage_error(a, "missing value " .. def.value) end
      elseif value and not def.value then
        usage_error("--" .. name, "takes no value")
      end
      store(options, def, value)
    elseif a:sub(1, 1) == "-" and #a > 1 then
      local j = 2
      while j <= #a do
        local c = a:sub(j, j)
        local def = by_short[c]
        if not def then usage_error("-" .. c, "unknown option") end
        if def.value then
          local value = a:sub(j + 1)
          if value == "" then
            i = i + 1
            value = argv[i]
            if value == nil then usage_error("-" .. c, "missing value " .. def.value) end
          end
          store(options, def, value)
          break
        end
        store(options, def)
        j = j + 1
      end
    else
      break
    end
    i = i + 1
  end
  table.move(argv, i, #argv, 1, operands)
  return options, operands
end

-- help(defs) -> the options part of --help, one aligned line per option.
function M.help(defs)
  local rows, width = {}, 0
  for _, def in ipairs(defs) do
    local left = (def.short and "-" .. def.short .. ", " or "    ") .. "--" .. def.long
    if def.value then left = left .. " " .. def.value end
    rows[#rows + 1] = { left, def.help }
    width = math.max(width, #left)
  end
  local lines = {}
  for _, row in ipairs(rows) do
    lines[#lines + 1] = string.format("  %-" .. width .. "s  %s", row[1], row[2])
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
