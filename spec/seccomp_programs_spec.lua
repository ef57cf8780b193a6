-- seccomp_programs_spec: real programs keep working under the default syscall policy.
-- The sandbox is built from the host's own read-only /usr, /etc and /var (support.host_tree),
-- so what runs is Debian's bash, python3, perl, gcc, git, apt and dpkg, and busybox. A
-- call the profile wrongly closes shows here as a program that fails. Needs root.
local lu = require "luaunit"
local host_tree = require "support.host_tree"
local process = require "support.process"

local ROOT = process.is_root()
local DRIVER = "spec/support/pty_job.py"

TestSeccompPrograms = {}

function TestSeccompPrograms:setUp()
  lu.skipIf(not ROOT, "needs root")
  self.tree = host_tree.new()
end

function TestSeccompPrograms:tearDown()
  if self.tree then self.tree:remove() end
end

-- sh(script, extra) -> stdout of bash -c script in the tree; it must succeed
function TestSeccompPrograms:sh(script, extra)
  local r = self.tree:run(extra, { "/bin/bash", "-c", script })
  lu.assertEquals(r.stderr, "", script)
  lu.assertEquals(r.status, 0, script)
  return r.stdout
end

function TestSeccompPrograms:test_bash_with_job_control_at_a_terminal()
  -- An interactive bash: its own process group per job, the terminal handed between them
  -- (setpgid, tcsetpgrp), a job stopped and continued, waited for.
  local argv = { "python3", DRIVER, "expect=ready>", "type=sleep 30 &\\n", "expect=ready>",
    "type=kill -STOP %1; sleep 0.2; jobs; kill -CONT %1; kill %1; wait; echo jc-$((6*7)) $-\\n",
    "expect=jc-42", "type=exit\\n", "--", require("support.sandbox").bin("hako-run") }
  table.move(self.tree.options, 1, #self.tree.options, #argv + 1, argv)
  for _, word in ipairs({ "-e", "PS1=ready> ", self.tree.root, "/bin/bash", "--norc", "--noprofile", "-i" }) do
    argv[#argv + 1] = word
  end
  local out = process.run(argv).stdout
  lu.assertStrContains(out, "Stopped")
  lu.assertStrMatches(out, ".*\njc%-42 [^\n]*m[^\n]*\n.*")
  lu.assertNotStrContains(out, "no job control")
  lu.assertStrContains(out, "\nstatus=0\n")
end

function TestSeccompPrograms:test_python3_threads_processes_and_sockets()
  local out = self:sh([[python3 - <<'EOF'
import os, socket, subprocess, threading, tempfile, select
box = []
t = threading.Thread(target=lambda: box.append(sum(range(10))))
t.start(); t.join()
a, b = socket.socketpair(); a.sendall(b"x"); assert b.recv(1) == b"x"
assert subprocess.run(["true"]).returncode == 0
pid = os.fork()
if pid == 0: os._exit(7)
assert os.waitpid(pid, 0)[1] >> 8 == 7
with tempfile.NamedTemporaryFile() as f: f.write(b"y"); f.flush()
ep = select.epoll(); ep.register(a.fileno(), select.EPOLLIN); ep.close()
print("python", box[0])
EOF]])
  lu.assertEquals(out, "python 45\n")
end

function TestSeccompPrograms:test_perl()
  lu.assertEquals(self:sh([[perl -e 'my $p = fork; if (!$p) { exit 3 } waitpid($p, 0); print "perl ", $? >> 8, "\n"']]),
    "perl 3\n")
end

function TestSeccompPrograms:test_a_c_compile_with_gcc()
  lu.assertEquals(self:sh("cd /tmp && printf 'int main(void){return 42;}\\n' > t.c && gcc -O2 -o t t.c"
    .. " && { ./t; echo gcc $?; }"), "gcc 42\n")
end

function TestSeccompPrograms:test_git_init_and_commit()
  lu.assertEquals(self:sh("cd /tmp && git init -q r && cd r && echo a > f && git add f"
    .. " && git -c user.name=t -c user.email=t@example.org commit -q -m first && git log --format=%s"),
    "first\n")
end

function TestSeccompPrograms:test_apt_cache_and_dpkg()
  local out = self:sh("apt-cache policy bash; dpkg -l bash | tail -n 1")
  lu.assertStrContains(out, "Installed: ")
  lu.assertStrMatches(out, ".*\nii +bash .*")
end

function TestSeccompPrograms:test_busybox_ps_and_wget_to_a_loopback_server()
  local out = self:sh("mkdir /tmp/www && echo served > /tmp/www/x && busybox httpd -p 127.0.0.1:8000 -h /tmp/www"
    .. " && busybox wget -q -O - http://127.0.0.1:8000/x && busybox ps -o pid,args | grep -c '^ *[0-9]* busybox httpd'")
  lu.assertEquals(out, "served\n1\n")
end

function TestSeccompPrograms:test_as_another_user()
  lu.assertEquals(self:sh("id -u; cd /tmp && printf 'int main(void){return 5;}\\n' > t.c && gcc -o t t.c"
    .. " && { ./t; echo $?; }; python3 -c 'print(6*7)'", { "-u", "65534", "-g", "65534" }), "65534\n5\n42\n")
end

-- The control: a policy that closes a call these programs need shows here as failures.
function TestSeccompPrograms:test_a_policy_that_closes_what_they_need_is_seen()
  local policy = self.tree.root .. ".policy"
  local f = assert(io.open(policy, "w"))
  f:write("errno EPERM socket\n@include <default>\n")
  f:close()
  local r = self.tree:run({ "--seccomp", policy }, { "/bin/bash", "-c",
    "busybox wget -q -O - http://127.0.0.1:9/ 2>&1; python3 -c 'import socket; socket.socket()' 2>&1 | tail -n 1" })
  os.remove(policy)
  lu.assertEquals(r.stdout,
    "wget: socket: Operation not permitted\nPermissionError: [Errno 1] Operation not permitted\n")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
