/* syscall.c: the probe's syscall mode (probe.c has the rest). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int try_syscall(char **argv);

/*
 * syscall NR [ARG...]: syscall(2) with up to six arguments (strtoull: 0x.. and 64-bit
 * values), printing "= RESULT" or "errno N": the seccomp tests' real calls.
 */
static void arguments(char **argv, unsigned long long args[7])
{
	int i, end = 0;

	for (i = 0; i < 7; i++) {
		end = end || !argv[i];
		args[i] = end ? 0 : strtoull(argv[i], NULL, 0);
	}
}

int try_syscall(char **argv)
{
	unsigned long long a[7];
	long rc;

	arguments(argv, a);
	rc = syscall((long)a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
	if (rc == -1)
		printf("errno %d\n", errno);
	else
		printf("= %ld\n", rc);
	return 0;
}
