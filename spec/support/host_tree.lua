-- support/host_tree.lua: a sandbox whose programs are the host's own: /usr, /etc and /var
-- bound read-only from the host (merged /usr: /bin, /lib, /lib64 and /sbin are links
-- into it), a tmpfs /tmp, /proc and /dev. Real programs (bash, python3, gcc, git, apt)
-- run in it as they run on the host, under whatever the sandbox confines them by.

local process = require "support.process"
local sandbox = require "support.sandbox"

local M = {}

local LINKS = { bin = "usr/bin", lib = "usr/lib", lib64 = "usr/lib64", sbin = "usr/sbin" }

-- new() -> { root = dir, options = hako-run's options that bind the host's tree }
function M.new()
  local dir = process.sh("mktemp -d /tmp/hako-host-tree.XXXXXX"):gsub("\n$", "")
  local script = { "chmod 755 " .. dir, "cd " .. dir, "mkdir .hako usr etc var tmp proc dev" }
  for name, target in pairs(LINKS) do script[#script + 1] = "ln -s " .. target .. " " .. name end
  process.sh(table.concat(script, " && "))
  local tree = { root = dir,
    options = { "-R", "-m", "/usr:/usr:ro", "-m", "/etc:/etc:ro", "-m", "/var:/var:ro", "-t", "/tmp",
      "-e", "HOME=/tmp", "-e", "LANG=C" } }
  return setmetatable(tree, { __index = M })
end

-- run(extra_options, command, input) -> process.run's result of hako-run in the tree
function M:run(extra, command, input)
  local argv = { sandbox.bin("hako-run") }
  for _, list in ipairs({ self.options, extra or {}, { self.root }, command }) do
    table.move(list, 1, #list, #argv + 1, argv)
  end
  return process.run(argv, input)
end

function M:remove()
  process.sh("rm -rf --one-file-system " .. process.quote(self.root))
end

return M
