-- debian-service.lua: shows a Debian root made with debootstrap run as a systemd
-- Type=notify service: a web server (busybox httpd) in a read-only Debian root, as
-- www-data, allowed to bind port 8080 and to connect nowhere. hako.run tells systemd
-- READY=1 and MAINPID (this recipe's process, which supervises the sandbox) once the
-- server has started.
--
--   hako examples/debian-service.lua setup [ROOT]   as root, needs the network: debootstrap
--   hako examples/debian-service.lua unit [ROOT]    prints the unit file
--   hako examples/debian-service.lua run [ROOT]     what the unit runs (also by hand: ^C ends it)
--
-- ROOT defaults to /var/lib/hako/debian; SUITE (bookworm) and MIRROR
-- (http://deb.debian.org/debian) choose what debootstrap fetches. As root:
--
--   hako examples/debian-service.lua setup
--   hako examples/debian-service.lua unit > /etc/systemd/system/hako-web.service
--   systemctl daemon-reload && systemctl start hako-web   # returns once READY=1 came
--   curl http://localhost:8080/
--
-- make check cannot run it (debootstrap downloads Debian) and says so.

local hako = require "hako"

local PORT = "8080"
local what, root = arg[1], arg[2] or "/var/lib/hako/debian"

local function q(word)
  return "'" .. word:gsub("'", "'\\''") .. "'"
end

local function run(line)
  io.stderr:write("+ ", line, "\n")
  if not os.execute(line) then error("failed: " .. line, 0) end
end

if os.getenv("HAKO_EXAMPLES") == "check" then
  print("skip: needs the network (debootstrap downloads Debian from " .. (os.getenv("MIRROR")
    or "deb.debian.org") .. "); by hand, as root: hako examples/debian-service.lua setup, then unit and run")
  os.exit(77)
end

if what == "setup" then
  if os.execute("command -v debootstrap >/dev/null") ~= true then
    error("debootstrap is missing: apt-get install debootstrap", 0)
  end
  local suite = os.getenv("SUITE") or "bookworm"
  local mirror = os.getenv("MIRROR") or "http://deb.debian.org/debian"
  run(string.format("debootstrap --variant=minbase --include=busybox %s %s %s", q(suite), q(root), q(mirror)))
  -- hako's own: the empty directory pivot_root puts the host's root on.
  run("mkdir -p " .. q(root .. "/.hako") .. " " .. q(root .. "/srv/www"))
  run("echo '<h1>served from a hako sandbox</h1>' > " .. q(root .. "/srv/www/index.html"))
elseif what == "unit" then
  local hako_bin = assert(hako.core.readlinkat(hako.core.AT_FDCWD, "/proc/self/exe"))
  local p = assert(io.popen("realpath " .. q(arg[0])))
  local recipe = p:read("l")
  p:close()
  io.stdout:write(table.concat({
    "[Unit]",
    "Description=busybox httpd on port " .. PORT .. ", in a Debian root sandboxed by hako",
    "After=network.target",
    "",
    "[Service]",
    -- READY=1 comes from hako (the default --notify): the recipe process is the main pid.
    "Type=notify",
    string.format("ExecStart=%s %s run %s", hako_bin, recipe, root),
    -- SIGTERM to the main process alone, which passes it on; SIGKILL to all if need be.
    "KillMode=mixed",
    "Restart=on-failure",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  }, "\n"))
elseif what == "run" then
  os.exit(hako.run({
    root = root,
    command = { "/bin/busybox", "httpd", "-f", "-p", PORT, "-h", "/srv/www" },
    hostname = "web",
    read_only = true,
    mounts = { { tmpfs = "/tmp" } },
    user = "www-data",            -- from the Debian root's own /etc/passwd
    net = "host",                 -- the host's network, limited by Landlock:
    allow_bind = PORT,            -- this port only,
    allow_connect = "none",       -- no connection out (and no UDP or raw sockets)
    timeout = os.getenv("SERVE_SECONDS"), -- unset: until systemd stops it
  }))
else
  io.stderr:write("usage: hako examples/debian-service.lua setup|unit|run [ROOT]\n")
  os.exit(2)
end
