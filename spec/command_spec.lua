-- command_spec: hako-run's own options as the command line gives them, no root needed.
local lu = require "luaunit"
local cli = require "hako.cli"
local command = require "hako.command"
local docs = require "support.docs"

local function parse(argv)
  return cli.parse(command.run_options, argv)
end

TestCommand = {}

function TestCommand.test_mount_kinds_share_one_ordered_list()
  local options = parse({ "-m", "/a:/a", "--tmpfs=/tmp", "--dev-bind", "/d:/d", "-t/run:1m", "sb" })
  lu.assertEquals(options.mounts, { "/a:/a", { tmpfs = "/tmp" }, { dev_bind = "/d:/d" }, { tmpfs = "/run:1m" } })
end

function TestCommand.test_every_option_reaches_its_key()
  local options, operands = parse({ "-R", "--no-proc", "--dev", "-N", "host", "-H", "box", "-u", "alice",
    "-g", "wheel", "-e", "A=1", "-eB=2", "--keep-env", "-c", "/tmp", "-p", "sb.pid",
    "--cap-add", "net_raw", "-n", "sb", "ls", "-l" })
  lu.assertEquals(options, { read_only = true, proc = false, dev = true, net = "host", hostname = "box",
    user = "alice", group = "wheel", env = { "A=1", "B=2" }, keep_env = true, chdir = "/tmp",
    pid_file = "sb.pid", cap_add = { "net_raw" }, dry_run = true })
  lu.assertEquals(operands, { "sb", "ls", "-l" })
end

function TestCommand.test_help_names_every_option()
  local text = cli.help(command.run_options)
  for _, def in ipairs(command.run_options) do
    lu.assertStrContains(text, "--" .. def.long)
  end
end

-- The man page and the README describe exactly the options the code has.
function TestCommand.test_man_page_and_readme_name_every_option()
  docs.assert_documented(command.run_options, "bin/hako-run.1", docs.read("README.md"))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
