-- escape_filesystem_spec: hostile sandbox contents (doc/THREATS.md 1-4, 20) cannot take
-- hako-run's mounts, its old root or its pid file outside the sandbox. Needs root.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

local q = process.quote

TestEscapeFilesystem = {}

function TestEscapeFilesystem:setUp()
  escape.set_up(self)
  process.sh("echo host-secret > " .. self.host .. "/host-only")
end

function TestEscapeFilesystem:tearDown()
  escape.tear_down(self)
end

-- hako-run fails before making anything, with one line naming why.
function TestEscapeFilesystem:refused(options, message)
  local r = self.sb:run(options, { "/bin/true" })
  lu.assertEquals(r.status, 125, r.stdout)
  lu.assertEquals(r.stderr, "hako-run: " .. message .. "\n")
end

-- What a path-based mount (no openat2, no fd) would do with the same tree: the line
-- runs in a private mount namespace of its own, so the host sees nothing of it.
local function naive(line)
  return process.sh("unshare --mount --propagation private sh -c " .. q(line))
end

-- 1: .hako must be an empty real directory.
function TestEscapeFilesystem:test_old_root_that_is_a_symlink_to_the_host_is_refused()
  local old = self.sb:path(".hako")
  process.sh("rmdir " .. old .. " && ln -s " .. self.host .. " " .. old)
  self:refused({}, old .. ": is a symbolic link, not a directory")
  lu.assertEquals(process.sh("ls -A " .. self.host), "host-only\n")
end

function TestEscapeFilesystem:test_old_root_that_is_a_file_or_not_empty_is_refused()
  local old = self.sb:path(".hako")
  self.sb:write(".hako/planted", "")
  self:refused({}, old .. ": not empty")
  process.sh("rm -r " .. old .. " && touch " .. old)
  self:refused({}, old .. ": not a directory")
end

function TestEscapeFilesystem:test_old_root_that_is_a_mount_point_is_refused()
  local old = self.sb:path(".hako")
  process.sh("mount -t tmpfs hako-test " .. old)
  table.insert(self.cleanups, function() process.sh("umount " .. old) end)
  self:refused({}, old .. ": is a mount point")
end

function TestEscapeFilesystem:test_old_root_is_detached_and_empty_inside()
  local r = self.sb:sh("ls -A /.hako; grep -c ' /.hako ' /proc/self/mountinfo; /bin/probe read /.hako/etc/hostname")
  lu.assertEquals(r.stdout, "0\nBLOCKED: ENOENT\n", r.stderr)
end

-- 1: once pivot_root has put the host's root on .hako, the tree's owner renames .hako on
-- the host (which detaches the mount there) and puts a symlink to /proc in its place.
-- Simulated from inside, by a recipe that wraps core.pivot_root: the detach must not
-- follow the symlink and take the sandbox's /proc (and what masks it) away instead.
function TestEscapeFilesystem:test_old_root_replaced_by_a_symlink_after_pivot_root()
  local recipe = self.host .. "/recipe.lua"
  local f = assert(io.open(recipe, "w"))
  f:write([[
local hako = require "hako"
local core = hako.core
if arg[2] == "follow" then core.UMOUNT_NOFOLLOW = 0 end -- the defence off
local pivot_root = core.pivot_root
core.pivot_root = function(...)
  assert(pivot_root(...))
  assert(core.umount2("/.hako", core.MNT_DETACH))
  assert(core.renameat(core.AT_FDCWD, "/.hako", core.AT_FDCWD, "/.hako-renamed"))
  return core.symlinkat("/proc", core.AT_FDCWD, "/.hako")
end
os.exit(hako.run{ root = arg[1], command = { "/bin/sh", "-c", "ls /proc | wc -l" } })
]])
  f:close()
  -- Followed, the umount detaches /proc: the command finds it empty.
  local r = process.run({ sandbox.bin("hako"), recipe, self.sb.root, "follow" })
  lu.assertEquals(r.stdout, "0\n", r.stderr)
  -- The tree is the host's directory: put .hako back.
  process.sh("cd " .. self.sb.root .. " && rm .hako && mv .hako-renamed .hako")
  r = process.run({ sandbox.bin("hako"), recipe, self.sb.root })
  lu.assertEquals(r.stderr, "hako: umount2 /.hako: Invalid argument\n")
  lu.assertEquals(r.status, 125)
end

-- 2: symlinks in a bind's destination are resolved inside the root.
function TestEscapeFilesystem:test_bind_through_a_symlink_to_slash_lands_inside()
  process.sh("ln -s / " .. self.sb:path("escape"))
  local dst = "/escape/tmp"
  -- Without hako's resolution, the bind covers the host's /tmp.
  lu.assertEquals(naive("mount --bind " .. self.host .. " " .. self.sb:path(dst)
    .. " && cat /tmp/host-only"), "host-secret\n")
  local r = self.sb:sh("cat /tmp/host-only", { "--mount", self.host .. ":" .. dst })
  lu.assertEquals(r.stdout, "host-secret\n", r.stderr) -- on the sandbox's own /tmp
end

function TestEscapeFilesystem:test_bind_through_a_symlink_climbing_out_lands_inside()
  process.sh("ln -s ../../../../etc " .. self.sb:path("etc2"))
  self.sb:write("etc/hostname", "sandbox\n")
  local file = self.host .. "/host-only"
  lu.assertEquals(naive("mount --bind " .. file .. " " .. self.sb:path("etc2/hostname")
    .. " && cat /etc/hostname"), "host-secret\n")
  local r = self.sb:sh("cat /etc/hostname", { "--mount", file .. ":/etc2/hostname:ro" })
  lu.assertEquals(r.stdout, "host-secret\n", r.stderr)
  lu.assertNotEquals(process.sh("cat /etc/hostname"), "host-secret\n")
end

function TestEscapeFilesystem:test_bind_onto_a_host_only_path_through_a_symlink_fails()
  process.sh("ln -s / " .. self.sb:path("escape"))
  -- /usr exists on the host, not in the sandbox: resolved inside, there is nothing there.
  self:refused({ "--mount", self.host .. ":/escape/usr" },
    "mount destination /escape/usr: No such file or directory")
  self:refused({ "--tmpfs", "/escape/usr" }, "tmpfs destination /escape/usr: No such file or directory")
end

-- A bind's source that is a symlink: followed, the bind would be of whatever its owner
-- points it at by then (/etc here). It is refused, naming where it points.
function TestEscapeFilesystem:test_bind_source_that_is_a_symlink_is_refused()
  local link = self.host .. "/data"
  process.sh("ln -s /etc " .. link)
  lu.assertEquals(naive("mount --bind " .. link .. " " .. self.sb:path("mnt") .. " && cat "
    .. self.sb:path("mnt/hostname")), process.sh("cat /etc/hostname"))
  self:refused({ "-m", link .. ":/mnt" }, "mount source " .. link .. ": is a symbolic link to /etc, refused")
  -- A trailing slash would make the kernel follow it.
  self:refused({ "-m", link .. "/:/mnt:ro" }, "mount source " .. link .. "/: is a symbolic link to /etc, refused")
  lu.assertEquals(process.sh("ls -A " .. self.sb:path("mnt")), "")
  -- Symlinks before the last component are resolved as usual.
  process.sh("ln -sfn " .. self.host .. " " .. link .. " && mkdir " .. self.host .. "/sub && echo sub > "
    .. self.host .. "/sub/file")
  local r = self.sb:sh("cat /mnt/file", { "-m", link .. "/sub:/mnt" })
  lu.assertEquals(r.stdout, "sub\n", r.stderr)
end

-- 3: the tree changes while hako-run mounts: /mnt flips between a directory and a
-- symlink to /tmp (the host's, for a path-based mount). The bind is made onto what was
-- resolved inside the root, so it is always in the sandbox (at /mnt, or at its /tmp),
-- or hako-run fails cleanly; never on a host path, where it would not be seen inside.
function TestEscapeFilesystem:test_swapping_the_destination_during_set_up()
  local mnt = self.sb:path("mnt")
  local swapper = process.sh("while :; do mv " .. mnt .. " " .. mnt .. ".d; ln -s /tmp " .. mnt
    .. "; rm " .. mnt .. "; mv " .. mnt .. ".d " .. mnt .. "; done >/dev/null 2>&1 & echo $!"):gsub("\n", "")
  table.insert(self.cleanups, function()
    process.sh("kill " .. swapper .. "; while kill -0 " .. swapper .. " 2>/dev/null; do sleep 0.01; done")
  end)
  -- The bind's root in its file system is the host directory: find it among the mounts.
  local count = "cut -d' ' -f4 /proc/self/mountinfo | grep -c '^" .. self.host .. "$'"
  for _ = 1, 40 do
    local r = self.sb:sh(count, { "--mount", self.host .. ":/mnt" })
    if r.status == 0 then
      lu.assertEquals(r.stdout, "1\n")
    else
      lu.assertEquals(r.status, 125, r.stderr)
      lu.assertStrContains(r.stderr, "hako-run: mount destination /mnt: ")
    end
  end
end

-- The target's path is swapped after hako-run checked it, just before the clone (by a
-- recipe that wraps core.clone): the sandbox is still the tree that was checked. Looked
-- up by name again for the root's bind, it would be the other tree, whose .hako, /proc
-- and /dev nobody checked.
function TestEscapeFilesystem:test_swapping_the_target_after_the_checks()
  local other = sandbox.new()
  table.insert(self.cleanups, function() other:remove() end)
  self.sb:write("which", "checked\n")
  other:write("which", "swapped\n")
  local target = self.host .. "/box"
  process.sh("ln -s " .. self.sb.root .. " " .. target)
  local recipe = self.host .. "/recipe.lua"
  local f = assert(io.open(recipe, "w"))
  f:write([[
local hako = require "hako"
local clone = hako.core.clone
hako.core.clone = function(...)
  hako.core.clone = clone -- once: hako's init clones the command later, inside
  assert(os.execute(arg[2]))
  return clone(...)
end
local userns = os.getenv("HAKO_TEST_USERNS") -- the old mode's own way to the target too
os.exit(hako.run{ root = arg[1], command = { "/bin/cat", "/which" }, userns = userns ~= "" and userns or nil })
]])
  f:close()
  local swap = "ln -sfn " .. other.root .. " " .. target
  -- By name, the target is now the other tree.
  lu.assertEquals(process.sh(swap .. " && cat " .. target .. "/which && ln -sfn " .. self.sb.root .. " " .. target),
    "swapped\n")
  local r = process.run({ sandbox.bin("hako"), recipe, target, swap })
  lu.assertEquals(r.stdout, "checked\n", r.stderr)
end

-- 5: mounts made inside do not propagate to the host, even when the sandbox lies on a
-- shared mount of the host (this one: a shared tmpfs made by the test).
function TestEscapeFilesystem:test_mounts_inside_do_not_propagate_to_the_host()
  local shared = self.host .. "/shared"
  process.sh("mkdir " .. shared .. " && mount -t tmpfs hako-test " .. shared .. " && mount --make-shared " .. shared)
  table.insert(self.cleanups, function() process.sh("umount -R " .. shared) end)
  process.sh("cp -a " .. self.sb.root .. " " .. shared .. "/sb")
  local mnt = shared .. "/sb/mnt"
  local function leaked()
    return os.execute("mountpoint -q " .. mnt) == true
  end
  -- A mount namespace that keeps the host's propagation leaks back to it.
  process.sh("unshare --mount --propagation unchanged mount -t tmpfs hako-leak " .. mnt)
  lu.assertTrue(leaked())
  process.sh("umount " .. mnt)
  local r = process.run({ sandbox.bin("hako-run"), "--cap-add", "sys_admin", shared .. "/sb",
    "/bin/sh", "-c", "mount -t tmpfs hako-leak /mnt && grep -c hako-leak /proc/self/mountinfo" })
  lu.assertEquals(r.stdout, "1\n", r.stderr)
  lu.assertFalse(leaked())
end

-- 4: /proc and /dev only on real directories; what the tree put there is covered.
function TestEscapeFilesystem:test_proc_or_dev_as_a_symlink_is_refused()
  for _, dir in ipairs({ "proc", "dev" }) do
    local path = self.sb:path(dir)
    process.sh("rmdir " .. path .. " && ln -s " .. self.host .. " " .. path)
    self:refused({}, "/" .. dir .. ": is a symbolic link in the sandbox, refused")
    lu.assertEquals(process.sh("ls -A " .. self.host), "host-only\n")
    process.sh("rm " .. path .. " && mkdir " .. path)
  end
end

function TestEscapeFilesystem:test_proc_or_dev_as_a_file_is_refused()
  process.sh("rmdir " .. self.sb:path("dev") .. " && touch " .. self.sb:path("dev"))
  self:refused({}, "/dev: is not a directory in the sandbox")
end

function TestEscapeFilesystem:test_a_prefilled_proc_is_covered()
  process.sh("mkdir -p " .. self.sb:path("proc/sys/kernel") .. " && echo fake > "
    .. self.sb:path("proc/sys/kernel/core_pattern"))
  local r = self.sb:sh("cat /proc/sys/kernel/core_pattern")
  lu.assertNotEquals(r.stdout, "fake\n")
  lu.assertEquals(r.stdout, process.sh("cat /proc/sys/kernel/core_pattern"))
end

-- 20: the pid file is never written through a symlink.
function TestEscapeFilesystem:test_pid_file_symlink_to_a_host_file_is_refused()
  local link, target = self.host .. "/sb.pid", self.host .. "/host-only"
  process.sh("ln -s " .. target .. " " .. link)
  -- A plain shell redirection would follow it:
  lu.assertEquals(process.sh("cp " .. target .. " " .. target .. ".bak && echo 1 > " .. link
    .. " && cat " .. target .. " && mv " .. target .. ".bak " .. target), "1\n")
  self:refused({ "--pid-file", link }, "--pid-file " .. link .. ": is a symbolic link, refused")
  lu.assertEquals(process.sh("cat " .. target), "host-secret\n")
end

-- hako-run -p DIR/sb.pid running /bin/sleep in the background; `during` (shell) runs
-- once the pid file is there, then the sandbox is killed and hako-run ends (137). -> the
-- output.
function TestEscapeFilesystem:pid_file_run(pid_file, during)
  return process.sh(table.concat({
    q(sandbox.bin("hako-run")) .. " -p " .. q(pid_file) .. " " .. q(self.sb.root) .. " /bin/sleep 100 & hp=$!",
    "n=0; until [ -e " .. q(pid_file) .. " ] || [ $n -ge 1000 ]; do sleep 0.01; n=$((n+1)); done",
    "child=$(cat /proc/$hp/task/$hp/children)",
    during,
    "kill -KILL $child; wait $hp; true",
  }, "\n"))
end

local ALICE = "setpriv --reuid=1000 --regid=1000 --clear-groups "

-- 28: a user who owns a directory above the pid file's swaps it, while the sandbox
-- runs, for a symlink to a directory holding a file of the same name. Removed by name at
-- the end, that file would go; hako-run removes the one it wrote, by its directory's fd.
function TestEscapeFilesystem:test_pid_file_directory_swapped_for_a_symlink()
  local home, victim = self.host .. "/alice", self.host .. "/victim"
  process.sh("mkdir -p " .. home .. "/run " .. victim .. " && chown 1000:1000 " .. home
    .. " && echo precious > " .. victim .. "/sb.pid")
  local out = self:pid_file_run(home .. "/run/sb.pid", ALICE .. "sh -c "
    .. q("mv " .. home .. "/run " .. home .. "/run.old && ln -s ../victim " .. home .. "/run")
    -- By name, the pid file is now the victim's: that is what unlink(path) would remove.
    .. " && cat " .. home .. "/run/sb.pid")
  lu.assertEquals(out, "precious\n")
  lu.assertEquals(process.sh("cat " .. victim .. "/sb.pid; ls -A " .. home .. "/run.old"), "precious\n")
end

-- Another hako-run (or the admin) replaced the pid file meanwhile: it is not removed.
function TestEscapeFilesystem:test_pid_file_replaced_while_running_is_left_alone()
  local pid_file = self.host .. "/sb.pid"
  local out = self:pid_file_run(pid_file, "echo other > " .. pid_file .. ".new && mv " .. pid_file .. ".new "
    .. pid_file .. " && cat " .. pid_file)
  lu.assertEquals(out, "other\n")
  lu.assertEquals(process.sh("cat " .. pid_file), "other\n")
end

-- The pid file's directory must be root's or the caller's (and sticky if others may
-- write it): its owner could replace a pid file hako-run wrote there by one naming any
-- process, for whoever kills by it.
function TestEscapeFilesystem:test_pid_file_in_a_directory_another_user_controls_is_refused()
  local dir = self.host .. "/alice"
  process.sh("mkdir " .. dir .. " && chown 1000:1000 " .. dir .. " && echo 1 > " .. dir .. "/sb.pid")
  lu.assertEquals(process.sh(ALICE .. "sh -c " .. q("echo 4242 > " .. dir .. "/new && mv -f " .. dir
    .. "/new " .. dir .. "/sb.pid") .. " && cat " .. dir .. "/sb.pid"), "4242\n")
  self:refused({ "-p", dir .. "/sb.pid" },
    "--pid-file " .. dir .. "/sb.pid: directory " .. dir .. " is owned by uid 1000, not by root or the caller")
  process.sh("chown 0:0 " .. dir .. " && chmod 777 " .. dir)
  self:refused({ "-p", dir .. "/sb.pid" },
    "--pid-file " .. dir .. "/sb.pid: directory " .. dir .. " is writable by others and not sticky (mode 777)")
  lu.assertEquals(process.sh("ls -A " .. dir .. "; cat " .. dir .. "/sb.pid"), "sb.pid\n4242\n")
  -- Sticky, as /tmp: others may not replace root's file there.
  process.sh("chmod 1777 " .. dir .. " && rm " .. dir .. "/sb.pid")
  lu.assertEquals(self.sb:run({ "-p", dir .. "/sb.pid" }, { "/bin/true" }).status, 0)
  lu.assertEquals(process.sh("ls -A " .. dir), "")
end

-- 29: root's hako-run given paths through another user's directory: a link of that
-- user's there is not followed, wherever it appears in the path (bind source, pid file,
-- target); root's own links, in root's directories, are (the test above). Control: the
-- kernel, for a path-based bind, follows it to the host's /etc.
function TestEscapeFilesystem:test_a_users_links_on_a_host_path_are_not_followed()
  local home = self.host .. "/alice"
  process.sh("mkdir " .. home .. " && chown 1000:1000 " .. home .. " && chmod 755 " .. self.host)
  process.sh(ALICE .. "ln -s /etc " .. home .. "/proj && " .. ALICE .. "ln -s " .. self.sb.root .. " "
    .. home .. "/sb")
  lu.assertEquals(naive("mount --bind " .. home .. "/proj/. " .. self.sb:path("mnt") .. " && cat "
    .. self.sb:path("mnt/hostname")), process.sh("cat /etc/hostname"))
  local link = "has a symbolic link proj -> /etc owned by uid 1000, refused"
  self:refused({ "-m", home .. "/proj/.:/mnt" },
    "mount source " .. home .. "/proj/.: is a symbolic link to /etc, refused")
  self:refused({ "-m", home .. "/proj/hostname:/mnt" }, "mount source " .. home .. "/proj/hostname: " .. link)
  self:refused({ "-p", home .. "/proj/victim.pid" }, "--pid-file " .. home .. "/proj/victim.pid: " .. link)
  lu.assertNil(io.open("/etc/victim.pid"))
  local r = process.run({ sandbox.bin("hako-run"), home .. "/sb", "/bin/true" })
  lu.assertEquals(r.stderr, "hako-run: target " .. home .. "/sb: has a symbolic link sb -> " .. self.sb.root
    .. " owned by uid 1000, refused\n")
  lu.assertEquals(r.status, 125)
  lu.assertEquals(process.sh("ls -A " .. self.sb:path("mnt")), "")
end

-- A /proc magic link on a host path (/proc/PID/root, cwd, fd/N) means what the kernel
-- makes of it for that process, not its text: refused, not walked as text on the host.
-- Control: the kernel follows it (here to our own root).
function TestEscapeFilesystem:test_a_magic_link_on_a_host_path_is_refused()
  lu.assertEquals(process.sh("cat /proc/self/root/etc/hostname"), process.sh("cat /etc/hostname"))
  self:refused({ "-m", "/proc/self/root/etc:/mnt" },
    "mount source /proc/self/root/etc: has a magic link root (of /proc), refused")
end

-- A FIFO (or a device) given as --net PATH is not opened: it would keep root's hako-run
-- waiting for a writer.
function TestEscapeFilesystem:test_a_fifo_for_a_network_namespace_is_refused_at_once()
  local fifo = self.host .. "/ns"
  process.sh("mkfifo " .. fifo)
  lu.assertEquals(process.run({ "timeout", "0.5", "sh", "-c", "exec <" .. fifo }).status, 124)
  local r = process.run({ "timeout", "10", sandbox.bin("hako-run"), "--net", fifo, self.sb.root, "/bin/true" })
  lu.assertEquals(r.stderr, "hako-run: --net " .. fifo .. ": not a network namespace\n")
  lu.assertEquals(r.status, 125)
end

-- 9: the working directory is inside the root, wherever hako-run was started.
function TestEscapeFilesystem:test_working_directory_is_inside_the_root()
  lu.assertEquals(process.sh("cd " .. self.host .. " && " .. q(self.sb:path("bin/probe"))
    .. " read host-only"), "ESCAPED\n")
  local r = process.run({ "sh", "-c", "cd " .. self.host .. " && exec \"$@\"", "sh",
    sandbox.bin("hako-run"), self.sb.root, "/bin/probe", "read", "host-only" })
  lu.assertEquals(r.stdout, "BLOCKED: ENOENT\n", r.stderr)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
