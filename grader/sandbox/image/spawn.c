/*
 * spawn: turn itself into one step's process, then exec the step's program.
 *
 *   spawn UID CWD CPU_S AS_BYTES NPROC FSIZE_BYTES NOFILE PROGRAM [ARG...]
 *
 * The runner (root with only CAP_SETUID and CAP_SETGID) starts it with posix_spawn, which does
 * not copy the runner's memory (forking a Python process is the dearest part of a C test),
 * with the step's stdin, stdout and stderr on 0-2 and the step's environment. It starts a
 * session, closes every other descriptor, sets the rlimits (hard as low as soft, so the
 * program cannot raise them; CPU one second above, to SIGKILL what ignores SIGXCPU; AS_BYTES
 * 0 leaves the address space unlimited, for a language held by its cgroup), asks to be the
 * OOM killer's first pick, drops every uid and gid to UID for good and checks that it
 * did, restores default signal actions and an empty signal mask, and execs PROGRAM, searched
 * in PATH as execvp does when it has no slash. A failure is one line on stderr and exit
 * status 127, as the fork server reports a command it cannot start.
 *
 * No C library: raw system calls only, so it runs no start-up code (glibc's CPU probing costs
 * more than the rest of a test's start here), needs no loader, and no LD_* variable of the
 * step's environment can make it run anything while it is still root.
 * Built with: gcc -O2 -static -nostdlib -ffreestanding -fno-stack-protector (images.py).
 */
#include <asm/unistd.h>

#define AT_FDCWD (-100)
#define O_WRONLY 01
#define O_CLOEXEC 02000000
#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_CORE 4
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMIT_AS 9
#define SIG_SETMASK 2
#define ENOENT 2
#define EACCES 13
#define ENOTDIR 20
#define EINVAL 22
#define MAX_PATH 4096

typedef unsigned long u64;

#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n"
        "  xor %ebp, %ebp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start\n  hlt\n");

static long sys(long n, long a, long b, long c, long d)
{
    register long r10 __asm__("r10") = d;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n"
        "  mov x29, #0\n  mov x30, #0\n  mov x0, sp\n  and sp, x0, #-16\n  b start\n");

static long sys(long n, long a, long b, long c, long d)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
}
#else
#error "spawn.c: add this architecture's system call convention"
#endif

static const char *program = "?";

static unsigned long length(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    sys(__NR_write, 2, (long)s, (long)length(s), 0);
}

static const char *reason(long err)
{
    switch (err) {
    case ENOENT: return "No such file or directory";
    case EACCES: return "Permission denied";
    case ENOTDIR: return "Not a directory";
    case EINVAL: return "Invalid argument";
    case 1: return "Operation not permitted";
    case 7: return "Argument list too long";
    case 8: return "Exec format error";
    case 11: return "Resource temporarily unavailable";
    case 12: return "Cannot allocate memory";
    case 26: return "Text file busy";
    default: return "error";
    }
}

static __attribute__((noreturn)) void fail(const char *what, long err)
{
    char digits[24];
    int i = sizeof digits - 1;
    digits[i] = '\0';
    unsigned long e = (unsigned long)(err < 0 ? -err : err);
    do {
        digits[--i] = (char)('0' + e % 10);
        e /= 10;
    } while (e && i > 0);
    say("cannot start ");
    say(program);
    say(": ");
    say(what);
    say(": [Errno ");
    say(&digits[i]);
    say("] ");
    say(reason(err < 0 ? -err : err));
    say("\n");
    for (;;)
        sys(__NR_exit_group, 127, 0, 0, 0);
}

static u64 number(const char *text)
{
    u64 value = 0;
    if (!*text)
        fail("bad argument", EINVAL);
    for (; *text; text++) {
        if (*text < '0' || *text > '9' || value > (~0UL - 9) / 10)
            fail("bad argument", EINVAL);
        value = value * 10 + (u64)(*text - '0');
    }
    return value;
}

static void limit(int resource, u64 soft, u64 hard)
{
    u64 value[2] = {soft, hard};
    long err = sys(__NR_prlimit64, 0, resource, (long)value, 0);
    if (err != 0)
        fail("setrlimit", err);
}

static void check(long result, const char *what)
{
    if (result < 0)
        fail(what, result);
}

/* execvp without the shell fallback: try each PATH entry while the file is not there. */
static long exec_in_path(char **argv, char **envp)
{
    const char *name = argv[0];
    for (const char *s = name; *s; s++)
        if (*s == '/')
            return sys(__NR_execve, (long)name, (long)argv, (long)envp, 0);
    const char *path = "/bin:/usr/bin";
    for (char **e = envp; *e; e++)
        if ((*e)[0] == 'P' && (*e)[1] == 'A' && (*e)[2] == 'T' && (*e)[3] == 'H' && (*e)[4] == '=')
            path = *e + 5;
    unsigned long name_length = length(name);
    long err = -ENOENT, denied = 0;
    char full[MAX_PATH];
    while (1) {
        const char *end = path;
        while (*end && *end != ':')
            end++;
        unsigned long dir = (unsigned long)(end - path);
        if (dir + 1 + name_length + 1 <= sizeof full) {
            unsigned long n = 0;
            for (; n < dir; n++)
                full[n] = path[n];
            if (dir)
                full[n++] = '/';
            for (unsigned long k = 0; k <= name_length; k++)
                full[n + k] = name[k];
            err = sys(__NR_execve, (long)full, (long)argv, (long)envp, 0);
            if (err == -EACCES)
                denied = 1;
            else if (err != -ENOENT && err != -ENOTDIR)
                return err;
        }
        if (!*end)
            break;
        path = end + 1;
    }
    return denied ? -EACCES : err;
}

__attribute__((noreturn, used)) void start(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    if (argc < 9)
        fail("usage: spawn UID CWD CPU_S AS NPROC FSIZE NOFILE PROGRAM [ARG...]", EINVAL);
    program = argv[8];
    u64 uid = number(argv[1]);
    const char *cwd = argv[2];
    u64 cpu = number(argv[3]), as = number(argv[4]), nproc = number(argv[5]);
    u64 fsize = number(argv[6]), nofile = number(argv[7]);
    if (uid == 0 || uid > 0x7fffffffUL || cpu == 0)
        fail("bad argument", EINVAL);

    check(sys(__NR_setsid, 0, 0, 0, 0), "setsid");
    long closed = sys(__NR_close_range, 3, ~0U, 0, 0);
    if (closed != 0) /* a kernel before 5.9 */
        for (long fd = 3; fd < 65536; fd++)
            sys(__NR_close, fd, 0, 0, 0);
    limit(RLIMIT_CPU, cpu, cpu + 1);
    if (as != 0) /* 0: no address-space limit (the JVM; its cgroup holds it instead) */
        limit(RLIMIT_AS, as, as);
    limit(RLIMIT_NPROC, nproc, nproc);
    limit(RLIMIT_FSIZE, fsize, fsize);
    limit(RLIMIT_NOFILE, nofile, nofile);
    limit(RLIMIT_CORE, 0, 0);
    long oom = sys(__NR_openat, AT_FDCWD, (long)"/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC, 0);
    if (oom >= 0) { /* student code before the runner when memory runs out; best effort */
        sys(__NR_write, oom, (long)"1000", 4, 0);
        sys(__NR_close, oom, 0, 0, 0);
    }

    check(sys(__NR_setgroups, 0, 0, 0, 0), "setgroups");
    check(sys(__NR_setresgid, (long)uid, (long)uid, (long)uid, 0), "setresgid");
    check(sys(__NR_setresuid, (long)uid, (long)uid, (long)uid, 0), "setresuid");
    unsigned int ids[6] = {0, 0, 0, 0, 0, 0};
    check(sys(__NR_getresuid, (long)&ids[0], (long)&ids[1], (long)&ids[2], 0), "getresuid");
    check(sys(__NR_getresgid, (long)&ids[3], (long)&ids[4], (long)&ids[5], 0), "getresgid");
    for (int i = 0; i < 6; i++)
        if (ids[i] != uid)
            fail("drop privileges", 1);
    if (sys(__NR_getgroups, 0, 0, 0, 0) != 0 || sys(__NR_setresuid, 0, 0, 0, 0) == 0)
        fail("drop privileges", 1);

    check(sys(__NR_chdir, (long)cwd, 0, 0, 0), "chdir");
    sys(__NR_umask, 022, 0, 0, 0);
    /* Ignored signals stay ignored across exec (the runner ignores SIGPIPE and SIGXFSZ). */
    u64 action[4] = {0, 0, 0, 0}; /* SIG_DFL, no flags, no restorer, empty mask */
    for (long sig = 1; sig <= 64; sig++)
        if (sig != 9 && sig != 19)
            sys(__NR_rt_sigaction, sig, (long)action, 0, 8);
    u64 empty = 0;
    sys(__NR_rt_sigprocmask, SIG_SETMASK, (long)&empty, 0, 8);

    fail("exec", exec_in_path(&argv[8], envp));
}
