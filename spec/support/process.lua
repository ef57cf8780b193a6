-- support/process.lua: run a command line for a test and collect its status and output.

local M = {}

function M.quote(word)
  if word:match("^[%w%./_:=,+-]+$") then return word end
  return "'" .. word:gsub("'", "'\\''") .. "'"
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  os.remove(path)
  return text
end

-- run(argv[, input]) -> { status = N, stdout = "...", stderr = "..." }
-- status is the exit status, or 128+N for a signal, as a shell reports it.
function M.run(argv, input)
  local words = {}
  for i, w in ipairs(argv) do words[i] = M.quote(w) end
  local out, err = os.tmpname(), os.tmpname()
  local line = table.concat(words, " ") .. " >" .. out .. " 2>" .. err
  if input then
    local inp = os.tmpname()
    local f = assert(io.open(inp, "wb"))
    f:write(input)
    f:close()
    line = line .. " <" .. inp .. "; s=$?; rm -f " .. inp .. "; exit $s"
  else
    line = line .. " </dev/null"
  end
  local _, how, code = os.execute(line)
  local status = how == "signal" and 128 + code or code
  return { status = status, stdout = slurp(out), stderr = slurp(err) }
end

-- sh(line) -> stdout of a shell line, asserting it succeeded.
function M.sh(line)
  local p = assert(io.popen(line))
  local text = p:read("a")
  local ok, how, code = p:close()
  assert(ok, string.format("%s: %s %s", line, how, code))
  return text
end

function M.is_root()
  return M.sh("id -u"):match("^0") ~= nil
end

return M
