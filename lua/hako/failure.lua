-- hako.failure: the error value hako raises: what failed, why, and the exit status it means.
--
-- Pure modules and the executor raise these with error(); the command scripts turn one into
-- a single line "hako-run: <what>: <why>" and exit with its status.

local Failure = {}
Failure.__index = Failure

function Failure.__tostring(f)
  return f.what .. ": " .. f.why
end

local M = {}

-- Statuses shared with env(1), timeout(1) and the shells.
M.SETUP = 125          -- hako itself failed, or bad usage
M.CANNOT_EXECUTE = 126
M.NOT_FOUND = 127

function M.new(what, why, status, errno)
  return setmetatable({ what = what, why = why, status = status or M.SETUP, errno = errno }, Failure)
end

function M.raise(what, why, status, errno)
  error(M.new(what, why, status, errno), 0)
end

function M.is(x)
  return getmetatable(x) == Failure
end

-- hako.core's messages read "call path: reason" (strerror's text, which has no ": ").
-- why(message) -> the reason alone, for a failure that names the value itself.
function M.why(message)
  if type(message) ~= "string" then return "failed" end
  return message:match(": ([^:]*)$") or message
end

-- Raise a failure from a hako.core error triple: ("mount /proc: Permission denied", 1).
-- The core message already names the call and the path; split it at the last ": ".
function M.from_core(message, errno, status)
  local what = type(message) == "string" and message:match("^(.*): [^:]*$")
  M.raise(what or tostring(message), M.why(message), status, errno)
end

-- Raise a failure about `what` (a value the user gave) from a hako.core error.
function M.raise_core(what, message, errno, status)
  M.raise(what, M.why(message), status, errno)
end

-- check(value, ...) passes a hako.core result through, and raises its error if it failed.
function M.check(value, ...)
  if value == nil then
    local message, errno = ...
    M.from_core(message, errno)
  end
  return value, ...
end

-- warn(program, what, why): one line on stderr about something hako leaves out, and goes on.
function M.warn(program, what, why)
  io.stderr:write(program, ": ", M.line(what), ": ", M.line(why), "\n")
end

local ESCAPES = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

-- line(text) -> text with its control characters written \n, \t, \xHH: a value the user
-- gave (a newline in --env, an escape sequence) cannot break a message into two lines
-- or drive the terminal. A failure is one line on stderr, for scripts as for people.
function M.line(text)
  return (text:gsub("%c", function(c) return ESCAPES[c] or string.format("\\x%02X", c:byte()) end))
end

-- run_command(program, f, ...) -> f's result, or the exit status of its failure after one
-- line "program: what: why" on stderr (any other error is hako's own bug: 125).
function M.run_command(program, f, ...)
  local ok, result = pcall(f, ...)
  if ok then return result end
  if M.is(result) then
    io.stderr:write(program, ": ", M.line(tostring(result)), "\n")
    return result.status
  end
  io.stderr:write(program, ": internal error: ", M.line(tostring(result)), "\n")
  return M.SETUP
end

return M
