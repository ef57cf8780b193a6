/*
 * floor.c: the bench's measuring stick, not part of hako (doc/PERFORMANCE.md, issue 15).
 *
 *   floor [-n] [-b SRC:DST]... ROOT COMMAND [ARG]...
 *
 * The kernel work of `hako-run -N host ROOT COMMAND` and nothing else: a child in new
 * mount, PID, IPC and UTS namespaces (and a network namespace with lo up, -n) makes the
 * mounts private, binds ROOT onto itself, mounts proc, a tmpfs /dev with the usual
 * devices, links and a new devpts, binds each SRC read-only onto ROOT/DST (the classic
 * API: a bind, then a read-only remount), pivots into ROOT/.hako and detaches the old
 * root, sets the hostname, empties the bounding set, drops every capability, sets
 * no_new_privs and execs COMMAND; the parent waits and exits with its status. No init,
 * no /proc masks, no Landlock, no seccomp, no record, no Lua. Any failure: exit 125.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_BINDS 4096

static void die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	_exit(125);
}

static void must(int rc, const char *what)
{
	if (rc < 0)
		die(what);
}

static void loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	must(fd, "socket");
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	must(ioctl(fd, SIOCGIFFLAGS, &ifr), "SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	must(ioctl(fd, SIOCSIFFLAGS, &ifr), "SIOCSIFFLAGS lo");
	close(fd);
}

static void make_dev(void)
{
	static const struct { const char *name; unsigned major, minor; } nodes[] = {
		{"dev/null", 1, 3}, {"dev/zero", 1, 5}, {"dev/full", 1, 7},
		{"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0},
	};
	static const char *links[][2] = {
		{"/proc/self/fd", "dev/fd"}, {"/proc/self/fd/0", "dev/stdin"},
		{"/proc/self/fd/1", "dev/stdout"}, {"/proc/self/fd/2", "dev/stderr"},
		{"pts/ptmx", "dev/ptmx"},
	};
	size_t i;

	must(mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k"), "mount /dev");
	umask(0);
	for (i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
		must(mknod(nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)), nodes[i].name);
	for (i = 0; i < sizeof links / sizeof links[0]; i++)
		must(symlink(links[i][0], links[i][1]), links[i][1]);
	must(mkdir("dev/pts", 0755), "mkdir /dev/pts");
	umask(022);
	must(mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"),
	     "mount /dev/pts");
}

static void drop_capabilities(void)
{
	/* capset(2)'s structures, spelled out: musl's headers do not include the kernel's. */
	struct { unsigned version; int pid; } head = { 0x20080522, 0 };	/* version 3 */
	struct { unsigned effective, permitted, inheritable; } data[2];
	int cap;

	for (cap = 0; prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0; cap++)
		;
	if (errno != EINVAL)
		die("PR_CAPBSET_DROP");
	memset(data, 0, sizeof data);
	must((int)syscall(SYS_capset, &head, data), "capset");
	must(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
}

static void child(const char *root, char **binds, int nbinds, int net, char **argv)
{
	int i;

	if (net)
		loopback_up();
	must(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "make / private");
	must(mount(root, root, NULL, MS_BIND | MS_REC, NULL), "bind root");
	must(chdir(root), root);
	must(mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "mount /proc");
	make_dev();
	for (i = 0; i < nbinds; i++) {
		char *dst = strchr(binds[i], ':');

		if (!dst)
			die("-b wants SRC:DST");
		*dst++ = '\0';
		while (*dst == '/')
			dst++;
		must(mount(binds[i], dst, NULL, MS_BIND, NULL), dst);
		must(mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), dst);
	}
	must((int)syscall(SYS_pivot_root, ".", ".hako"), "pivot_root");
	must(chdir("/"), "chdir /");
	must(umount2("/.hako", MNT_DETACH), "detach the old root");
	must(sethostname("hako", 4), "sethostname");
	drop_capabilities();
	execv(argv[0], argv);
	die(argv[0]);
}

int main(int argc, char **argv)
{
	static char *binds[MAX_BINDS];
	int nbinds = 0, net = 0, opt, status;
	long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+nb:")) != -1) {
		if (opt == 'n') {
			net = 1;
		} else if (opt == 'b' && nbinds < MAX_BINDS) {
			binds[nbinds++] = optarg;
		} else {
			fprintf(stderr, "usage: floor [-n] [-b SRC:DST]... ROOT COMMAND [ARG]...\n");
			return 125;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: floor [-n] [-b SRC:DST]... ROOT COMMAND [ARG]...\n");
		return 125;
	}
	if (net)
		flags |= CLONE_NEWNET;
	/* clone without a stack argument behaves as fork: the child runs on a copy of ours. */
	pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	must(pid, "clone");
	if (pid == 0)
		child(argv[optind], binds, nbinds, net, argv + optind + 1);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
