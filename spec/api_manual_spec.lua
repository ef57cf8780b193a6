-- api_manual_spec: man 3 hako (bin/hako.3) documents the whole Lua API: every function of
-- require "hako", every option key hako.spec knows, every hako.failure field, and every
-- function and constant of hako.core; and it names no option that does not exist.
local lu = require "luaunit"
local docs = require "support.docs"
local process = require "support.process"

local PAGE = "bin/hako.3"

-- The page's text without groff's font changes and escapes, so names read as words.
local function plain(text)
  return (text:gsub("\\f[BIRP]", ""):gsub("\\f%(..", ""):gsub("\\%(dq", '"')
    :gsub("\\%-", "-"):gsub("\\e", "\\"):gsub("\\&", ""))
end

local MANUAL = plain(docs.read(PAGE))

-- mentions(name[, call]) -> whether the page has name as a word (followed by "(" for a call).
local function mentions(name, call)
  local word = "%f[%w_]" .. name:gsub("%p", "%%%0")
  return MANUAL:find(word .. (call and "%(" or "%f[^%w_]")) ~= nil
end

-- missing(names[, prefix, call]) -> the names the page lacks, one sorted line ("" if none).
local function missing(names, prefix, call)
  local lacking = {}
  for _, name in ipairs(names) do
    if not mentions((prefix or "") .. name, call) then lacking[#lacking + 1] = name end
  end
  table.sort(lacking)
  return table.concat(lacking, " ")
end

local function keys(t, want_type)
  local list = {}
  for k, v in pairs(t) do
    if want_type == nil or (type(v) == "function") == (want_type == "function") then list[#list + 1] = k end
  end
  return list
end

-- The option keys of hako.spec's KNOWN table, read from its source (it is local there).
local function known_options()
  local source = docs.read("lua/hako/spec.lua")
  local body = assert(source:match("local KNOWN = (%b{})"), "lua/hako/spec.lua: no KNOWN table")
  local list = {}
  for key in body:gmatch("([%a_][%w_]*) = true") do list[#list + 1] = key end
  return list
end

TestApiManual = {}

function TestApiManual:test_every_function_of_require_hako()
  lu.assertEquals(missing(keys(require "hako"), "hako."), "", PAGE .. " lacks these of require \"hako\"")
end

function TestApiManual:test_every_option_key()
  local options = known_options()
  lu.assertTrue(#options > 20, "KNOWN parsed: " .. #options)
  lu.assertEquals(missing(options), "", PAGE .. " lacks these option keys of hako.spec")
end

-- The tags of the OPTIONS section are option keys, so a renamed or removed option goes too.
function TestApiManual:test_no_option_that_does_not_exist()
  local known = {}
  for _, key in ipairs(known_options()) do known[key] = true end
  local section = assert(docs.read(PAGE):match("\n%.SH OPTIONS\n(.-)\n%.SH "))
  local stale = {}
  for tag in section:gmatch("\n%.TP\n%.BR? ([^\n]+)") do
    for word in plain(tag):gmatch("[%a_][%w_]*") do
      if not known[word] then stale[#stale + 1] = word end
    end
  end
  lu.assertEquals(table.concat(stale, " "), "", PAGE .. " documents options hako.spec does not know")
end

function TestApiManual:test_failure_values()
  local failure = require "hako.failure"
  lu.assertEquals(missing(keys(failure)), "", PAGE .. " lacks these of hako.failure")
  lu.assertEquals(missing({ "what", "why", "status", "errno" }), "")
end

function TestApiManual:test_every_core_function()
  lu.assertEquals(missing(keys(require "hako.core", "function"), "", true), "",
    PAGE .. " lacks these functions of hako.core, as name(...)")
end

function TestApiManual:test_every_core_constant()
  local constants = keys(require "hako.core", "constant")
  lu.assertTrue(#constants > 100, "constants: " .. #constants)
  lu.assertEquals(missing(constants), "", PAGE .. " lacks these constants of hako.core")
end

function TestApiManual:test_page_is_of_this_release()
  lu.assertStrContains(docs.read(PAGE), '"hako ' .. require("hako.version") .. '"')
end

function TestApiManual:test_groff_has_no_warning()
  lu.skipIf(not os.execute("command -v man >/dev/null"), "man missing: apt-get install man-db")
  local r = process.run({ "sh", "-c", "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l " .. PAGE .. " >/dev/null" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertEquals(r.stderr, "")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
