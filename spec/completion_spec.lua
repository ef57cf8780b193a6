-- completion_spec: bin/hako.bash-completion, run non-interactively: bash sources it, sets
-- COMP_WORDS and COMP_CWORD, calls the function and prints COMPREPLY. The options must be
-- exactly the commands' own tables; the sandboxes' names and pids need root.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"
local support = require "support.enter"

local q = process.quote
local FILE = "bin/hako.bash-completion"

-- complete(fn, words[, cwd]) -> COMPREPLY, sorted; the last word is the current one.
local function complete(fn, words, cwd)
  local quoted = {}
  for i, w in ipairs(words) do quoted[i] = q(w) end
  local script = table.concat({
    "source " .. q(process.sh("pwd"):gsub("\n$", "") .. "/" .. FILE),
    cwd and "cd " .. q(cwd) or ":",
    "COMP_WORDS=(" .. table.concat(quoted, " ") .. ")",
    "COMP_CWORD=" .. (#words - 1),
    fn,
    "printf '%s\\n' \"${COMPREPLY[@]}\"",
  }, "\n")
  local r = process.run({ "bash", "-c", script })
  lu.assertEquals(r.stderr, "")
  local list = {}
  for line in r.stdout:gmatch("[^\n]+") do list[#list + 1] = line end
  table.sort(list)
  return list
end

local function longs(defs)
  local list = {}
  for i, def in ipairs(defs) do list[i] = "--" .. def.long end
  table.sort(list)
  return list
end

local RUN, ENTER, HAKO = sandbox.bin("hako-run"), sandbox.bin("hako-enter"), sandbox.bin("hako")

TestCompletion = {}

-- Generated from each command's --help at completion time: never more, never fewer.
function TestCompletion.test_options_are_the_commands_own()
  local run_options = require("hako.command").run_options
  lu.assertEquals(complete("_hako_run", { RUN, "--" }), longs(run_options))
  lu.assertEquals(complete("_hako", { HAKO, "run", "--" }), longs(run_options))
  lu.assertEquals(complete("_hako_enter", { ENTER, "-" }), longs(require("hako.enter").options))
  lu.assertEquals(complete("_hako", { HAKO, "ps", "-" }), longs(require("hako.ps").options))
  lu.assertEquals(complete("_hako", { HAKO, "stop", "-" }), longs(require("hako.stop").options))
  lu.assertEquals(complete("_hako_run", { RUN, "--no" }), { "--no-dev", "--no-proc", "--noexec-writable", "--notify" })
  lu.assertEquals(complete("_hako", { HAKO, "-" }), { "--help", "--version" })
end

function TestCompletion.test_targets_values_and_the_command_inside()
  local dir = process.sh("mktemp -d /tmp/hako-completion.XXXXXX"):gsub("\n$", "")
  local ok, err = pcall(function()
    process.sh("cd " .. dir .. " && mkdir -p sb1/bin sb2 && touch sb1/bin/sleep sb1/bin/sh afile recipe.lua")
    -- The target: directories only, also after options and their values.
    lu.assertEquals(complete("_hako_run", { RUN, "" }, dir), { "sb1", "sb2" })
    lu.assertEquals(complete("_hako_run", { RUN, "-m", "/a:/b", "-Rp", "x.pid", "--", "s" }, dir), { "sb1", "sb2" })
    lu.assertEquals(complete("_hako", { HAKO, "run", "-u", "0", "sb" }, dir), { "sb1", "sb2" })
    -- An option's value.
    lu.assertEquals(complete("_hako_run", { RUN, "--net", "h" }, dir), { "host" })
    lu.assertEquals(complete("_hako_run", { RUN, "--map-groups", "" }, dir), { "auto" })
    lu.assertEquals(complete("_hako_run", { RUN, "-H", "" }, dir), {})
    lu.assertEquals(complete("_hako_run", { RUN, "--pid-file", "a" }, dir), { "afile" })
    -- The command: a path inside the target.
    lu.assertEquals(complete("_hako_run", { RUN, "-R", "sb1", "/bin/s" }, dir), { "/bin/sh", "/bin/sleep" })
    -- hako's first word: a subcommand, a recipe or a directory.
    lu.assertEquals(complete("_hako", { HAKO, "" }, dir), { "ps", "recipe.lua", "run", "sb1", "sb2", "stop" })
  end)
  process.sh("rm -rf " .. q(dir))
  if not ok then error(err, 0) end
end

TestCompletionSandboxes = support.suite()

-- hako-enter and hako stop: the names and pids of the running sandboxes, as hako ps has them.
function TestCompletionSandboxes:test_running_sandboxes_by_name_and_pid()
  local name = string.format("comp-%d-%d", os.time(), math.random(1, 1000000000))
  local pid = self:start({ "--name", name })
  for _, words in ipairs({ { ENTER, "" }, { ENTER, "-u", "0", "--no-fork", "" } }) do
    local got = complete("_hako_enter", words)
    lu.assertTrue(#got > 0)
    local set = {}
    for _, w in ipairs(got) do set[w] = true end
    lu.assertTrue(set[name] and set[pid] and set[self.pid], table.concat(got, " "))
  end
  lu.assertEquals(complete("_hako", { HAKO, "stop", name:sub(1, -2) }), { name })
  lu.assertEquals(complete("_hako", { HAKO, "stop", "--timeout", "3", pid }), { pid })
  -- After the sandbox, the command: no sandboxes there.
  lu.assertEquals(complete("_hako_enter", { ENTER, name, name:sub(1, 5) }), {})
end

os.exit(lu.LuaUnit.run("-o", "tap"))
