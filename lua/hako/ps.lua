-- hako.ps: `hako ps`, the running sandboxes as their records tell (hako.sandboxes): the
-- caller's own, and for root everyone's. A record that is stale (its hako-run was
-- killed) or cannot be trusted is skipped, with one line on stderr saying why.

local cli = require "hako.cli"
local common = require "hako.common_options"
local failure = require "hako.failure"
local record = require "hako.record"
local sandboxes = require "hako.sandboxes"

local M = {}

M.options = {
  { long = "json", key = "json", help = "print a JSON array, one object per sandbox, instead of a table" },
  common.help,
}

local USAGE = [[
Usage: hako ps [--json]

List the running hako sandboxes: yours (their records in $XDG_RUNTIME_DIR/hako,
/run/user/UID/hako or /tmp/hako-UID), or, as root, everyone's (in /run/hako too).
Columns: NAME (hako-run --name, or -), PID (the sandbox's first process, what
hako-enter and hako stop take), USER (who ran hako-run), IDS (the host uids of the
sandbox's 0-65535 when it has a range of its own, else -), ROOT (the target), UPTIME,
COMMAND. A record whose sandbox is gone (its hako-run was killed) is skipped and
reported on stderr.

Options:
]]

-- duration(seconds) -> "45s", "12m03s", "5h02m", "3d04h"
function M.duration(s)
  s = math.max(0, math.floor(s))
  if s < 60 then return s .. "s" end
  if s < 3600 then return string.format("%dm%02ds", s // 60, s % 60) end
  if s < 86400 then return string.format("%dh%02dm", s // 3600, s % 3600 // 60) end
  return string.format("%dd%02dh", s // 86400, s % 86400 // 3600)
end

-- words(argv) -> the command as a shell would take it back; control bytes, and every byte
-- past ASCII (a C1 control such as U+009B is a terminal's CSI), shown as "?".
function M.words(argv)
  local out = {}
  for i, word in ipairs(argv or {}) do
    word = word:gsub("[%c\128-\255]", "?")
    if not word:match("^[%w%./_:=,+@%%-]+$") then word = "'" .. word:gsub("'", "'\\''") .. "'" end
    out[i] = word
  end
  return table.concat(out, " ")
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\\127-\255]', function(c)
    return ({ ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t" })[c]
      or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function json_value(v)
  if v == nil then return "null" end
  if type(v) == "number" then return tostring(math.tointeger(v) or v) end
  if type(v) == "table" then
    local items = {}
    for i, x in ipairs(v) do items[i] = json_value(x) end
    return "[" .. table.concat(items, ", ") .. "]"
  end
  return json_string(tostring(v))
end

-- rows(entries, users, now) -> one table per live sandbox, the fields --json prints.
function M.rows(entries, users, now)
  local rows = {}
  for _, e in ipairs(entries) do
    local rec = e.record
    if rec and not e.problem then
      local uid = rec.owner or e.owner
      rows[#rows + 1] = { name = rec.name, pid = rec.pid, supervisor = rec.supervisor, uid = uid,
        user = users[uid] or tostring(uid), uid_range = rec.uid_range, gid_range = rec.gid_range,
        root = rec.root, started_at = rec.started_at,
        uptime = rec.started_at and math.max(0, now - rec.started_at), command = rec.command or {} }
    end
  end
  table.sort(rows, function(a, b)
    if (a.started_at or 0) ~= (b.started_at or 0) then return (a.started_at or 0) < (b.started_at or 0) end
    return a.pid < b.pid
  end)
  return rows
end

local KEYS = { "name", "pid", "supervisor", "uid", "user", "uid_range", "gid_range", "root", "started_at", "uptime",
  "command" }

function M.json(rows)
  local lines = {}
  for i, row in ipairs(rows) do
    local fields = {}
    for j, key in ipairs(KEYS) do fields[j] = json_string(key) .. ": " .. json_value(row[key]) end
    lines[i] = "{" .. table.concat(fields, ", ") .. "}"
  end
  if #lines == 0 then return "[]\n" end
  return "[\n" .. table.concat(lines, ",\n") .. "\n]\n"
end

function M.table(rows)
  local cells = { { "NAME", "PID", "USER", "IDS", "ROOT", "UPTIME", "COMMAND" } }
  for _, row in ipairs(rows) do
    cells[#cells + 1] = { row.name or "-", tostring(row.pid), row.user, row.uid_range or "-",
      M.words({ row.root or "?" }), row.uptime and M.duration(row.uptime) or "?", M.words(row.command) }
  end
  local width = {}
  for _, line in ipairs(cells) do
    for i = 1, 6 do width[i] = math.max(width[i] or 0, #line[i]) end
  end
  local out = {}
  for n, line in ipairs(cells) do
    local parts = {}
    for i = 1, 6 do parts[i] = string.format("%-" .. width[i] .. "s", line[i]) end
    parts[7] = line[7]
    out[n] = table.concat(parts, "  "):gsub("%s+$", "")
  end
  return table.concat(out, "\n") .. "\n"
end

-- The host's user names, for the USER column (a missing or odd file leaves numbers).
local function host_users()
  local users, f = {}, io.open("/etc/passwd")
  if not f then return users end
  for _, entry in ipairs(require("hako.users").passwd(f:read("a"))) do
    users[entry.uid] = users[entry.uid] or entry.name
  end
  f:close()
  return users
end

-- list(core, euid, xdg_runtime_dir) -> rows, and one line per record skipped.
function M.list(core, euid, xdg_runtime_dir)
  local directories = record.directories(euid, xdg_runtime_dir)
  local entries = sandboxes.list(core, sandboxes.places(core, directories, euid, euid == 0), euid)
  local skipped = {}
  for _, e in ipairs(entries) do
    if e.problem then skipped[#skipped + 1] = e.where .. ": " .. e.problem .. " (skipped)" end
  end
  return M.rows(entries, host_users(), os.time()), skipped
end

function M.main(argv)
  return failure.run_command("hako ps", function()
    local options, operands = cli.parse(M.options, argv)
    if options.help then
      io.stdout:write(USAGE, cli.help(M.options))
      return 0
    end
    if operands[1] then failure.raise(operands[1], "unexpected argument (try --help)") end
    local core = require "hako.core"
    local rows, skipped = M.list(core, core.geteuid(), os.getenv("XDG_RUNTIME_DIR"))
    for _, line in ipairs(skipped) do io.stderr:write("hako ps: ", line, "\n") end
    io.stdout:write(options.json and M.json(rows) or M.table(rows))
    return 0
  end)
end

return M
