-- hako.seccomp_groups: named sets of system calls a policy names as @NAME, like systemd's
-- SystemCallFilter= sets (the names are systemd's where one fits; the contents are hako's).
-- Pure data.
--
-- Each group has a one-line why. Names are the kernel's (asm/unistd*.h without __NR_, and
-- arm's private calls without __ARM_NR_: set_tls, which every 32-bit arm program's libc
-- makes at its start, cacheflush for JITs, breakpoint: a SIGTRAP to itself);
-- a group lists the calls of every ABI of x86 and arm (an ABI lacking one just has no
-- rule for it). The groups that hako's profiles close say why they are closed.

local M = {}

local function group(why, names)
  local list = {}
  for name in names:gmatch("%S+") do list[#list + 1] = name end
  return { why = why, names = list }
end

M.groups = {
  -- open in the default profile
  ["basic-io"] = group("read, write and move data between file descriptors, also asynchronously (aio)", [[
    read write readv writev pread64 pwrite64 preadv pwritev preadv2 pwritev2 lseek _llseek
    close close_range dup dup2 dup3 sendfile sendfile64 splice tee vmsplice copy_file_range
    io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents io_pgetevents_time64 readahead]]),
  ["file-system"] = group("open, inspect, create, change and remove files and directories", [[
    open openat openat2 creat access faccessat faccessat2 stat lstat fstat newfstatat fstatat64 stat64
    lstat64 fstat64 statx statfs fstatfs statfs64 fstatfs64 getcwd chdir fchdir mkdir mkdirat rmdir
    unlink unlinkat rename renameat renameat2 link linkat symlink symlinkat readlink readlinkat chmod
    fchmod fchmodat utime utimes utimensat utimensat_time64 futimesat truncate ftruncate truncate64
    ftruncate64 getdents getdents64 fallocate fadvise64 fadvise64_64 arm_fadvise64_64 mknod mknodat
    fcntl fcntl64 flock fsync fdatasync sync syncfs sync_file_range sync_file_range2 arm_sync_file_range
    getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr setxattr lsetxattr fsetxattr
    removexattr lremovexattr fremovexattr inotify_init inotify_init1 inotify_add_watch
    inotify_rm_watch fanotify_mark umask chroot ioctl]]),
  chown = group("change a file's owner (apt and dpkg do, as root inside)", [[
    chown lchown fchown fchownat chown32 lchown32 fchown32]]),
  ["io-event"] = group("wait for file descriptors to become ready", [[
    poll ppoll ppoll_time64 select _newselect pselect6 pselect6_time64 epoll_create epoll_create1
    epoll_ctl epoll_ctl_old epoll_wait epoll_wait_old epoll_pwait epoll_pwait2 eventfd eventfd2]]),
  ipc = group("pipes, System V IPC and POSIX message queues (the sandbox's own IPC namespace)", [[
    pipe pipe2 ipc msgget msgsnd msgrcv msgctl semget semop semtimedop semtimedop_time64 semctl
    shmget shmat shmdt shmctl mq_open mq_unlink mq_timedsend mq_timedsend_time64 mq_timedreceive
    mq_timedreceive_time64 mq_notify mq_getsetattr]]),
  memory = group("map, protect and advise on the process's own memory", [[
    brk mmap mmap2 munmap mremap mprotect madvise mincore msync mlock mlock2 munlock mlockall
    munlockall membarrier memfd_create remap_file_pages pkey_alloc pkey_free pkey_mprotect
    get_mempolicy set_mempolicy mbind cacheflush]]),
  process = group("run programs and threads, wait for them, and manage the process itself", [[
    fork vfork execve execveat exit exit_group wait4 waitid waitpid getpid getppid gettid getpgid
    setpgid getpgrp getsid setsid set_tid_address set_robust_list get_robust_list rseq prctl
    arch_prctl set_thread_area get_thread_area set_tls get_tls futex futex_time64 futex_waitv pidfd_open
    process_mrelease restart_syscall]]),
  signal = group("send, receive and handle signals", [[
    kill tkill tgkill pidfd_send_signal rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending
    rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack
    signalfd signalfd4 sigaction sigprocmask sigreturn sigpending sigsuspend signal sgetmask ssetmask
    alarm pause breakpoint]]),
  timer = group("read the clocks, sleep, and set the process's own timers", [[
    nanosleep clock_nanosleep clock_nanosleep_time64 clock_gettime clock_gettime64 clock_getres
    clock_getres_time64 gettimeofday time times getitimer setitimer timer_create timer_settime
    timer_settime64 timer_gettime timer_gettime64 timer_getoverrun timer_delete timerfd_create
    timerfd_settime timerfd_settime64 timerfd_gettime timerfd_gettime64]]),
  ["network-io"] = group("sockets (socket itself is ruled by argument in the profiles)", [[
    socketpair bind connect listen accept accept4 getsockname getpeername sendto recvfrom send recv
    sendmsg recvmsg sendmmsg recvmmsg recvmmsg_time64 setsockopt getsockopt shutdown]]),
  credentials = group("read and change the process's user and group ids and capabilities", [[
    getuid geteuid getgid getegid getresuid getresgid getgroups getuid32 geteuid32 getgid32
    getegid32 getresuid32 getresgid32 getgroups32 setuid setgid setreuid setregid setresuid
    setresgid setgroups setfsuid setfsgid setuid32 setgid32 setreuid32 setregid32 setresuid32
    setresgid32 setgroups32 setfsuid32 setfsgid32 capget capset]]),
  resources = group("limits, scheduling, priorities and CPU affinity of the process's own", [[
    getrlimit setrlimit ugetrlimit prlimit64 getrusage getpriority setpriority nice ioprio_get
    ioprio_set sched_yield sched_getaffinity sched_setaffinity sched_getparam sched_setparam
    sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min
    sched_rr_get_interval sched_rr_get_interval_time64 sched_getattr sched_setattr]]),
  ["system-info"] = group("what every program asks of the system: its name, load, a CPU number, random bytes", [[
    uname olduname oldolduname sysinfo getcpu getrandom]]),
  sandbox = group("a program confining itself further (a filter or Landlock can only take away)", [[
    seccomp landlock_create_ruleset landlock_add_rule landlock_restrict_self]]),
  debug = group("trace other processes of the sandbox, read their memory, take their files (ptrace's checks apply)", [[
    ptrace process_vm_readv process_vm_writev pidfd_getfd]]),

  -- closed by the default profile
  keyring = group("the kernel keyrings are not namespaced: without a user namespace the sandbox's"
    .. " uid owns the host's user keyrings, and request_key runs /sbin/request-key on the host", [[
    keyctl add_key request_key]]),
  ["io-uring"] = group("the operations of io_uring run in the kernel without passing the filter,"
    .. " and io_uring has been a frequent source of kernel exploits", [[
    io_uring_setup io_uring_enter io_uring_register]]),
  ["kernel-tracing"] = group("BPF programs and perf events read kernel memory and timing and are"
    .. " a large, often exploited surface; userfaultfd lets an exploit stop the kernel mid-copy", [[
    bpf perf_event_open userfaultfd lookup_dcookie]]),
  module = group("loading or removing kernel modules changes the host's kernel", [[
    init_module finit_module delete_module create_module query_module get_kernel_syms]]),
  reboot = group("reboot and kexec replace or stop the host's kernel", [[
    reboot kexec_load kexec_file_load]]),
  mount = group("mounts change what the sandbox sees of files (hako built its tree; a program"
    .. " inside must not rearrange it), and the mount API is a large kernel surface", [[
    mount umount umount2 pivot_root fsopen fsconfig fsmount fspick open_tree move_mount mount_setattr]]),
  swap = group("swap devices are the host's", [[swapon swapoff]]),
  clock = group("the clocks are the host's: setting or steering one changes the time of every process", [[
    settimeofday stime clock_settime clock_settime64 clock_adjtime clock_adjtime64 adjtimex]]),
  privileged = group("calls that act on the whole host: the kernel log, accounting, quotas, the"
    .. " terminal's hangup, hardware I/O ports, fanotify of whole mounts", [[
    syslog acct quotactl quotactl_fd vhangup iopl ioperm pciconfig_iobase pciconfig_read
    pciconfig_write fanotify_init]]),
  ["file-handles"] = group("a file handle opens a file by its inode, past the sandbox's root (the"
    .. " \"shocker\" escape); name_to_handle_at makes the handles", [[
    name_to_handle_at open_by_handle_at]]),
  ["cpu-emulation"] = group("old x86 modes (vm86, a process's own segment table) with a history"
    .. " of kernel bugs and no use by current programs", [[vm86 vm86old modify_ldt]]),
}

-- names(name) -> the list of calls of group NAME (without its "@"), or nil.
function M.names(name)
  local g = M.groups[name]
  return g and g.names
end

return M
