/*
 * calls.c: the probe's "calls" attack: every system call the default syscall policy
 * closes (issue 13; doc/THREATS.md), made once with harmless arguments, one line each:
 * "NAME OK" when the call worked, else "NAME ERRNO-NAME". The seccomp filter answers
 * before the kernel looks at the arguments or the caller's capabilities, so under it
 * every line says EPERM (ENOSYS for clone3 and for "newest", cachestat(2), a call newer
 * than the policy);
 * without it many say something else (EFAULT, EBADF, OK), which shows the filter is
 * what closed them. Calls that work are undone or made in a child that exits at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Numbers are the same on every ABI from 424 on (asm-generic's unified table). */
#define NR_clone3 435
#define NR_io_uring_setup 425
#define NR_io_uring_enter 426
#define NR_io_uring_register 427
#define NR_open_tree 428
#define NR_move_mount 429
#define NR_fsopen 430
#define NR_fsconfig 431
#define NR_fsmount 432
#define NR_fspick 433
#define NR_mount_setattr 442
/* Newer than the kernel headers the profile was written against: as if unknown. */
#define NR_cachestat 451

#define CLONE_NEWUSER_FLAG 0x10000000UL
#define UFFD_USER_MODE_ONLY_FLAG 1UL
#define ADDR_NO_RANDOMIZE_FLAG 0x0040000UL
#define AF_VSOCK_FAMILY 40
#define KCMP_FILE_TYPE 0

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ESRCH: return "ESRCH";
	case E2BIG: return "E2BIG";
	case ENOTDIR: return "ENOTDIR";
	case EBUSY: return "EBUSY";
	default: return "EOTHER";
	}
}

static void say(const char *name, long rc)
{
	if (rc == -1)
		printf("%s %s\n", name, errno_name(errno));
	else
		printf("%s OK\n", name);
}

/* A call that may create a process or namespace: made in a child, which ends at once. */
static void in_child(const char *name, long nr, unsigned long a0)
{
	int fds[2], status;
	char line[64] = "";
	pid_t pid;

	if (pipe(fds) == -1)
		return;
	pid = fork();
	if (pid == 0) {
		long rc = syscall(nr, a0, 0UL, 0UL, 0UL, 0UL);
		if (rc == 0 && nr != SYS_unshare)
			_exit(0); /* the clone's child */
		snprintf(line, sizeof line, "%s", rc == -1 ? errno_name(errno) : "OK");
		if (write(fds[1], line, strlen(line)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], line, sizeof line - 1) < 0)
		line[0] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
	printf("%s %s\n", name, line);
}

int try_calls(void)
{
	long rc;

	in_child("clone-newuser", SYS_clone, CLONE_NEWUSER_FLAG | SIGCHLD);
	in_child("unshare-newuser", SYS_unshare, CLONE_NEWUSER_FLAG);
	say("clone3", syscall(NR_clone3, 0UL, 0UL));
	say("keyctl", syscall(SYS_keyctl, 0UL, 0UL, 0UL, 0UL, 0UL));
	say("add_key", syscall(SYS_add_key, 0UL, 0UL, 0UL, 0UL, 0UL));
	say("request_key", syscall(SYS_request_key, 0UL, 0UL, 0UL, 0UL));
	say("io_uring_setup", syscall(NR_io_uring_setup, 1UL, 0UL));
	say("io_uring_enter", syscall(NR_io_uring_enter, -1L, 0UL, 0UL, 0UL, 0UL, 0UL));
	say("io_uring_register", syscall(NR_io_uring_register, -1L, 0UL, 0UL, 0UL));
	say("bpf", syscall(SYS_bpf, 0UL, 0UL, 0UL));
	say("perf_event_open", syscall(SYS_perf_event_open, 0UL, 0UL, -1L, -1L, 0UL));
	rc = syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY_FLAG | O_CLOEXEC);
	say("userfaultfd", rc);
	if (rc >= 0)
		close((int)rc);
	say("kexec_load", syscall(SYS_kexec_load, 0UL, 0UL, 0UL, 0UL));
	say("init_module", syscall(SYS_init_module, 0UL, 0UL, 0UL));
	say("finit_module", syscall(SYS_finit_module, -1L, 0UL, 0UL));
	say("delete_module", syscall(SYS_delete_module, 0UL, 0UL));
	rc = syscall(NR_open_tree, AT_FDCWD, "/", 0UL);
	say("open_tree", rc);
	if (rc >= 0)
		close((int)rc);
	say("move_mount", syscall(NR_move_mount, -1L, 0UL, -1L, 0UL, 0UL));
	say("fsopen", syscall(NR_fsopen, 0UL, 0UL));
	say("fsconfig", syscall(NR_fsconfig, -1L, 0UL, 0UL, 0UL, 0UL));
	say("fsmount", syscall(NR_fsmount, -1L, 0UL, 0UL));
	say("fspick", syscall(NR_fspick, -1L, 0UL, 0UL));
	say("mount_setattr", syscall(NR_mount_setattr, -1L, 0UL, 0UL, 0UL, 0UL));
	say("mount", syscall(SYS_mount, 0UL, 0UL, 0UL, 0UL, 0UL));
	say("umount2", syscall(SYS_umount2, 0UL, 0UL));
	say("pivot_root", syscall(SYS_pivot_root, 0UL, 0UL));
	say("setns", syscall(SYS_setns, -1L, 0UL));
	say("swapon", syscall(SYS_swapon, 0UL, 0UL));
	say("swapoff", syscall(SYS_swapoff, 0UL));
	say("syslog", syscall(SYS_syslog, 10UL, 0UL, 0UL)); /* SYSLOG_ACTION_SIZE_BUFFER */
	say("settimeofday", syscall(SYS_settimeofday, 0UL, 0UL));
	say("clock_settime", syscall(SYS_clock_settime, 0UL, 0UL));
	say("clock_adjtime", syscall(SYS_clock_adjtime, 0UL, 0UL));
	say("reboot", syscall(SYS_reboot, 0UL, 0UL, 0UL, 0UL));
	say("kcmp", syscall(SYS_kcmp, (long)getpid(), (long)getpid(), KCMP_FILE_TYPE, 0UL, 0UL));
	rc = syscall(SYS_personality, ADDR_NO_RANDOMIZE_FLAG);
	say("personality", rc);
	if (rc >= 0)
		syscall(SYS_personality, (unsigned long)rc);
	say("newest", syscall(NR_cachestat, -1L, 0UL, 0UL, 0UL));
	rc = syscall(SYS_socket, AF_VSOCK_FAMILY, 1UL, 0UL);
	say("socket-vsock", rc);
	if (rc >= 0)
		close((int)rc);
	return 0;
}
