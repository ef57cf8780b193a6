-- hako.seccomp_rules: hako's seccomp policy text, one rule a line, read into the resolved
-- policy table (the format: bin/hako-seccomp.5; the table: hako.seccomp_format). Pure:
-- included files are read through a function the caller passes.
--
--   # a comment, to the end of the line
--   default errno ENOSYS                      what no rule decides
--   @include common.rules                     relative to this file's directory
--   @include <default>                        a built-in profile, by name
--   allow read write close @file-system       an action, then calls and @groups
--   errno EPERM keyctl add_key request_key
--   allow socket: arg0 in AF_UNIX, AF_INET    conditions after ":", joined by "and"
--   allow clone: arg0 & CLONE_NEWUSER|CLONE_NEWNS == 0
--
-- For one call the first rule whose conditions all hold decides, so `in` becomes one rule
-- per value, in order (an OR). A file's own `default` line wins over its includes'; else
-- the first include that has one decides. Errors are one line: "FILE:LINE: what is wrong".

local constants = require "hako.seccomp_constants"
local failure = require "hako.failure"
local groups = require "hako.seccomp_groups"

local M = {}

M.MAX_INCLUDE_DEPTH = 16
M.MAX_RULES_PER_LINE = 1024 -- `in` lists multiply: a line must not make a huge table
-- A whole policy, whatever its lines and includes: a few hundred kilobytes of `in` lines
-- made tens of millions of rules (gigabytes, minutes) before the compiler could say the
-- filter is too big, and 100 includes of a file of 100 includes... read files without
-- end. Far more than any filter of 4096 instructions needs.
M.MAX_RULES = 16384
M.MAX_INCLUDES = 256

-- count(context, where, n): n more rules for the policy; raises past MAX_RULES.
function M.count(context, where, n)
  context.count = (context.count or 0) + n
  if context.count > M.MAX_RULES then
    failure.raise(where, string.format("the policy makes more than %d rules", M.MAX_RULES))
  end
end

local ACTIONS = { allow = "allow", kill = "kill_process", ["kill-process"] = "kill_process",
  ["kill-thread"] = "kill_thread", trap = "trap", log = "log" }
M.ABIS = { x86_64 = true, x32 = true, i386 = true, aarch64 = true, arm = true }
local OPS = { ["=="] = "eq", ["!="] = "ne", ["<"] = "lt", ["<="] = "le", [">"] = "gt", [">="] = "ge" }

local function fail(where, fmt, ...)
  failure.raise(where, string.format(fmt, ...))
end

-- A token shown in a message: quoted, one line, no terminal control characters.
local function show(token)
  if token == nil then return "the end of the line" end
  return '"' .. token:gsub('[%c"\\\128-\255]', function(c)
    return string.format("\\x%02X", c:byte())
  end) .. '"'
end
M.show = show

local U64_MAX_DIV10, U64_MAX_LAST = 1844674407370955161, 5 -- 2^64-1 = 10 * DIV10 + LAST

-- number(word) -> the 64-bit pattern of a decimal or 0x number (2^64-1 is -1), or nil,
-- and why not when it looked like a number.
function M.number(word)
  local hex = word:match("^0[xX](%x+)$")
  if hex then
    hex = hex:gsub("^0+(.)", "%1")
    if #hex > 16 then return nil, "out of 64 bits" end
    return tonumber(hex, 16)
  end
  if not word:match("^%d+$") then return nil end
  local n = 0
  for digit in word:gmatch("%d") do
    local d = tonumber(digit)
    if math.ult(U64_MAX_DIV10, n) or (n == U64_MAX_DIV10 and d > U64_MAX_LAST) then
      return nil, "out of 64 bits"
    end
    n = n * 10 + d -- wraps past 2^63 into the unsigned pattern, as intended
  end
  return n
end

-- value(word, where) -> a number or a constant's value; raises naming the word.
local function value(word, where)
  local n, why = M.number(word)
  if n then return n end
  if why then fail(where, "number %s %s", word, why) end
  if word:match("^%d") then fail(where, "bad number %s", show(word)) end
  n = constants.value(word)
  if not n then fail(where, "unknown constant %s", show(word)) end
  return n
end
M.value = value

-- errno(word, where) -> 0..4095 from a number or an errno name.
function M.errno(word, where)
  if not word then fail(where, 'errno needs a number or a name, as in "errno EPERM"') end
  local n = M.number(word) or constants.errno[word]
  if not n then
    if word:match("^%d") then fail(where, "bad errno %s", show(word)) end
    fail(where, "unknown errno name %s", show(word))
  end
  if n < 0 or n > constants.MAX_ERRNO then
    fail(where, "errno %s out of range (0 to %d)", word, constants.MAX_ERRNO)
  end
  return n
end

-- action(words, i, where) -> ACTION, the index after it. "errno" takes the next word.
function M.action(words, i, where)
  local word = words[i]
  if word == "errno" then return { kind = "errno", errno = M.errno(words[i + 1], where) }, i + 2 end
  if not word then fail(where, "no action (allow, errno N, kill, kill-thread, trap or log)") end
  local kind = ACTIONS[word]
  if not kind then fail(where, "unknown action %s", show(word)) end
  return { kind = kind }, i + 1
end

-- Condition text: words, numbers, operators and commas.
local TOKENS = { "^0[xX]%w*", "^%d%w*", "^[%a_][%w_]*", "^[=!<>]=", "^[<>&|,]" }

local function tokenize(text, where)
  local list, pos = {}, 1
  while true do
    pos = text:find("%S", pos)
    if not pos then return list end
    local token
    for _, pattern in ipairs(TOKENS) do
      token = text:match(pattern, pos)
      if token then break end
    end
    if not token then fail(where, "unexpected %s", show(text:sub(pos, pos))) end
    list[#list + 1] = token
    pos = pos + #token
  end
end

-- Reads the conditions of one rule: a list of alternatives, each a list of COND (`in`
-- multiplies them out).
local function conditions(text, where)
  local tokens, i = tokenize(text, where), 1
  local function peek() return tokens[i] end
  local function take() i = i + 1; return tokens[i - 1] end
  local function expr()
    local word = take()
    if not word or not word:match("^[%w_]") then fail(where, "expected a value, got %s", show(word)) end
    local n = value(word, where)
    while peek() == "|" do
      take()
      word = take()
      if not word or not word:match("^[%w_]") then fail(where, "expected a value after |, got %s", show(word)) end
      n = n | value(word, where)
    end
    return n
  end
  if #tokens == 0 then fail(where, 'no condition after ":"') end
  local alternatives = { {} }
  repeat
    local word = take()
    local index = word and word:match("^arg(%d)$")
    if not index or tonumber(index) > 5 then fail(where, "expected arg0 to arg5, got %s", show(word)) end
    local arg, op, choices = tonumber(index), take(), {}
    if OPS[op] then
      choices[1] = { arg = arg, op = OPS[op], value = expr() }
    elseif op == "&" then
      local mask = expr()
      local cmp = take()
      if cmp == "in" then
        repeat
          choices[#choices + 1] = { arg = arg, op = "masked_eq", value = expr(), mask = mask }
        until peek() ~= "," or not take()
      elseif cmp == "==" or cmp == "!=" then
        choices[1] = { arg = arg, op = cmp == "==" and "masked_eq" or "masked_ne", value = expr(), mask = mask }
      else
        fail(where, "expected ==, != or in after the mask, got %s", show(cmp))
      end
    elseif op == "in" then
      repeat
        choices[#choices + 1] = { arg = arg, op = "eq", value = expr() }
      until peek() ~= "," or not take()
    else
      fail(where, "expected ==, !=, <, <=, >, >=, & or in after %s, got %s", word, show(op))
    end
    local product = {}
    for _, alternative in ipairs(alternatives) do
      for _, choice in ipairs(choices) do
        local copy = table.move(alternative, 1, #alternative, 1, {})
        copy[#copy + 1] = choice
        product[#product + 1] = copy
      end
    end
    if #product > M.MAX_RULES_PER_LINE then
      fail(where, "the conditions make more than %d rules", M.MAX_RULES_PER_LINE)
    end
    alternatives = product
    local after = take()
    if after and after ~= "and" then fail(where, 'expected "and" or the end of the line, got %s', show(after)) end
  until not after
  return alternatives
end
M.conditions = conditions

local function copy_conditions(list)
  local out = {}
  for i, c in ipairs(list) do out[i] = { arg = c.arg, op = c.op, value = c.value, mask = c.mask } end
  return out
end

-- names(words, i, where) -> the calls the words name, groups expanded.
local function names(words, i, where)
  local list = {}
  for j = i, #words do
    local word = words[j]
    local group = word:match("^@(.*)$")
    if group then
      local members = groups.names(group)
      if not members then fail(where, "unknown group %s", show(word)) end
      table.move(members, 1, #members, #list + 1, list)
    elseif word:match("^[%a_][%w_]*$") then
      list[#list + 1] = word
    else
      fail(where, "bad system call name %s", show(word))
    end
  end
  return list
end

-- rule(line, where, context): the rules one line gives, appended to context.rules.
local function rule(line, where, context)
  local rules = context.rules
  local head, tail = line:match("^([^:]*):(.*)$")
  local words = {}
  for word in (head or line):gmatch("[^%s,]+") do words[#words + 1] = word end
  local action, i = M.action(words, 1, where)
  local calls = names(words, i, where)
  if #calls == 0 then fail(where, "%s names no system call", show(table.concat(words, " "))) end
  local alternatives = tail and conditions(tail, where) or { {} }
  if #calls * #alternatives > M.MAX_RULES_PER_LINE then
    fail(where, "the line makes more than %d rules", M.MAX_RULES_PER_LINE)
  end
  M.count(context, where, #calls * #alternatives)
  for _, name in ipairs(calls) do
    for _, conds in ipairs(alternatives) do
      rules[#rules + 1] = { name = name, action = action, args = copy_conditions(conds) }
    end
  end
end

-- A path's directory, and a relative path joined to one, with "." and ".." taken out
-- lexically (so that a cycle through "a/../a.rules" is still seen as one).
local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

function M.join(dir, path)
  local full = path:sub(1, 1) == "/" and path or dir .. "/" .. path
  local parts, absolute = {}, full:sub(1, 1) == "/"
  for part in full:gmatch("[^/]+") do
    if part == ".." and #parts > 0 and parts[#parts] ~= ".." then
      parts[#parts] = nil
    elseif part ~= "." and not (part == ".." and absolute) then
      parts[#parts + 1] = part
    end
  end
  local joined = table.concat(parts, "/")
  if absolute then return "/" .. joined end
  return joined == "" and "." or joined
end

local read_text

-- include(target, where, context, chain, name) -> the settings the included file gives.
local function include(target, where, context, chain, name)
  if not target or target == "" then fail(where, "@include needs a file name or <profile>") end
  local profile = target:match("^<(.*)>$")
  local path, text
  if profile then
    path = target
    text = require("hako.seccomp_profiles").text(profile)
    if not text then fail(where, "unknown profile %s", show(target)) end
  else
    if name:match("^<.*>$") then fail(where, "a profile includes only profiles, not %s", show(target)) end
    path = M.join(dirname(name), target)
  end
  for _, seen in ipairs(chain) do
    if seen == path then
      fail(where, "@include cycle: %s -> %s", table.concat(chain, " -> "), path)
    end
  end
  if #chain > M.MAX_INCLUDE_DEPTH then fail(where, "@include nested deeper than %d", M.MAX_INCLUDE_DEPTH) end
  if not text then
    if not context.read then fail(where, "@include %s: no files can be read here", show(target)) end
    context.includes = (context.includes or 0) + 1
    if context.includes > M.MAX_INCLUDES then fail(where, "more than %d files included", M.MAX_INCLUDES) end
    local why
    text, why = context.read(path)
    if type(text) ~= "string" then fail(where, "@include %s: %s", show(target), failure.why(why)) end
  end
  chain[#chain + 1] = path
  local settings = read_text(text, path, context, chain)
  chain[#chain] = nil
  return settings
end

-- setting(own, key, value, where): a file sets default, abis and unknown once each.
local function setting(own, key, val, where)
  if own[key] ~= nil then fail(where, "a second %q line", key) end
  own[key] = val
end

read_text = function(text, name, context, chain)
  local own, included, lineno = {}, {}, 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    lineno = lineno + 1
    local where = context.one_line and name or name .. ":" .. lineno
    line = line:gsub("#.*$", ""):gsub("^%s+", ""):gsub("%s+$", "")
    local first, rest = line:match("^(%S+)%s*(.-)$")
    if not first then -- luacheck: ignore 542 (blank or comment)
    elseif first == "@include" then
      local settings = include(rest, where, context, chain, name)
      for key, val in pairs(settings) do
        if included[key] == nil then included[key] = val end
      end
    elseif first:sub(1, 1) == "@" then
      fail(where, "unknown directive %s", show(first))
    elseif first == "default" then
      local words = {}
      for word in rest:gmatch("%S+") do words[#words + 1] = word end
      local action, i = M.action(words, 1, where)
      if words[i] then fail(where, "unexpected %s after the default action", show(words[i])) end
      setting(own, "default", action, where)
    elseif first == "abis" then
      local list = {}
      for abi in rest:gmatch("[^%s,]+") do
        if not M.ABIS[abi] then fail(where, "unknown ABI %s (x86_64, x32, i386, aarch64, arm)", show(abi)) end
        list[#list + 1] = abi
      end
      if #list == 0 then fail(where, "abis needs at least one ABI") end
      setting(own, "abis", list, where)
    elseif first == "unknown" then
      if rest ~= "error" and rest ~= "ignore" then
        fail(where, 'unknown takes "error" or "ignore", not %s', show(rest))
      end
      setting(own, "unknown", rest, where)
    else
      rule(line, where, context)
    end
  end
  for key, val in pairs(included) do
    if own[key] == nil then own[key] = val end
  end
  return own
end

-- read_lines(text, name, context) -> the settings (default, abis, unknown) the text gives;
-- its rules are appended to context.rules. context.read reads included files;
-- context.one_line: name alone places an error (a recipe's rule given as a string).
function M.read_lines(text, name, context)
  return read_text(text, name, context, { name })
end

-- parse(text, name[, read]) -> the resolved policy. name is the file's name in messages
-- and the base of relative includes; read(path) -> text | nil, why reads an included file.
function M.parse(text, name, read)
  name = name or "policy"
  local context = { rules = {}, read = read }
  local settings = read_text(text, name, context, { name })
  if not settings.default then failure.raise(name, 'no "default" line (say "default errno ENOSYS")') end
  return { default = settings.default, rules = context.rules, unknown = settings.unknown or "error",
    abis = settings.abis }
end

return M
