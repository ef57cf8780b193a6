/*
 * syscall_loop FILTER|none N getppid|ioctl: loads FILTER (raw BPF, as hako.seccomp.compile
 * and libseccomp's export write it) under no_new_privs, makes N calls and prints the
 * nanoseconds one took. ioctl is ioctl(-1, TIOCGWINSZ): a call the filters must look at
 * the arguments of (their TIOCSTI rule), so that the kernel's action cache cannot skip
 * them; EBADF comes after the filter, cheaply. Static, so it runs in the bench's sandbox.
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct sock_filter program[BPF_MAXINSNS];

static void load(const char *path)
{
	struct sock_fprog prog;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		exit(1);
	}
	n = fread(program, sizeof program[0], BPF_MAXINSNS, f);
	fclose(f);
	prog.len = (unsigned short)n;
	prog.filter = program;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("seccomp");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long i, n;
	int ioctl_call;
	double ns;

	if (argc != 4) {
		fprintf(stderr, "usage: syscall_loop FILTER|none N getppid|ioctl\n");
		return 2;
	}
	if (strcmp(argv[1], "none"))
		load(argv[1]);
	n = atol(argv[2]);
	ioctl_call = !strcmp(argv[3], "ioctl");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if (ioctl_call)
			syscall(SYS_ioctl, -1, TIOCGWINSZ, 0);
		else
			syscall(SYS_getppid);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%.1f\n", ns / (double)n);
	return 0;
}
