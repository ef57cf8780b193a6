-- cli_spec: command-line parsing (hako.cli), no root needed.
local lu = require "luaunit"
local cli = require "hako.cli"
local failure = require "hako.failure"

local DEFS = {
  { short = "m", long = "mount", key = "mounts", value = "SPEC", list = true, help = "" },
  { short = "H", long = "hostname", key = "hostname", value = "NAME", help = "" },
  { short = "n", long = "dry-run", key = "dry_run", help = "" },
  { short = "R", long = "read-only", key = "read_only", help = "" },
  { long = "no-proc", key = "proc", set = false, help = "" },
}

local function fails(argv, pattern)
  local ok, err = pcall(cli.parse, DEFS, argv)
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  lu.assertStrContains(tostring(err), pattern)
  lu.assertEquals(err.status, 125)
end

TestCli = {}

function TestCli.test_every_value_form()
  for _, argv in ipairs({ { "--hostname=box" }, { "--hostname", "box" }, { "-Hbox" }, { "-H", "box" } }) do
    local options = cli.parse(DEFS, argv)
    lu.assertEquals(options.hostname, "box")
  end
end

-- An old switch grown values (--userns): the next word is its value only when it is one
-- of them; else it is the switch alone, with the default, and the word an operand.
function TestCli.test_a_value_from_a_set_of_words_or_the_default()
  local defs = { { long = "userns", key = "userns", value = "[auto|host]", words = { auto = true, host = true },
    default = "auto", help = "" } }
  for _, case in ipairs({ { { "--userns", "host", "sb" }, "host", { "sb" } },
    { { "--userns", "sb", "cmd" }, "auto", { "sb", "cmd" } }, { { "--userns=host", "sb" }, "host", { "sb" } },
    { { "--userns", "auto" }, "auto", {} } }) do
    local options, operands = cli.parse(defs, case[1])
    lu.assertEquals({ options.userns, operands }, { case[2], case[3] })
  end
end

function TestCli.test_repeatable_options_keep_their_order()
  local options = cli.parse(DEFS, { "-m", "a:/a", "--mount=b:/b", "-mc:/c" })
  lu.assertEquals(options.mounts, { "a:/a", "b:/b", "c:/c" })
end

function TestCli.test_bundled_switches_and_negation()
  local options = cli.parse(DEFS, { "-nR", "--no-proc" })
  lu.assertTrue(options.dry_run)
  lu.assertTrue(options.read_only)
  lu.assertFalse(options.proc)
end

function TestCli.test_options_end_at_the_first_operand()
  local options, operands = cli.parse(DEFS, { "-n", "sb", "/bin/ls", "-l", "--hostname=x" })
  lu.assertTrue(options.dry_run)
  lu.assertNil(options.hostname)
  lu.assertEquals(operands, { "sb", "/bin/ls", "-l", "--hostname=x" })
end

function TestCli.test_double_dash_ends_options()
  local _, operands = cli.parse(DEFS, { "--", "-n", "x" })
  lu.assertEquals(operands, { "-n", "x" })
end

function TestCli.test_a_lone_dash_is_an_operand()
  local _, operands = cli.parse(DEFS, { "-", "x" })
  lu.assertEquals(operands, { "-", "x" })
end

function TestCli.test_unknown_options()
  fails({ "--bogus" }, "--bogus: unknown option")
  fails({ "-x" }, "-x: unknown option")
  fails({ "-nx" }, "-x: unknown option")
end

function TestCli.test_missing_values()
  fails({ "--hostname" }, "--hostname: missing value NAME")
  fails({ "-H" }, "-H: missing value NAME")
end

function TestCli.test_a_switch_takes_no_value()
  fails({ "--dry-run=yes" }, "--dry-run: takes no value")
end

function TestCli.test_help_lists_every_option()
  local text = cli.help(DEFS)
  lu.assertStrContains(text, "-m, --mount SPEC")
  lu.assertStrContains(text, "    --no-proc")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
