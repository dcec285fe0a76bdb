/* sys.h — raw system calls for the signal path.
 *
 * The SIGBUS handler must work when the lost page is the one holding the global offset table: any call
 * through the PLT (mmap, write, even __errno_location) would then fault again inside the handler.
 * These inline `syscall` instructions need no GOT, no libc and no errno; they return -errno on failure
 * like the kernel does. Everything the handler and what it calls do goes through them.
 */
#ifndef MIRROR_SYS_H
#define MIRROR_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

static inline long _mirror_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long _mirror_sys_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, long off)
{
    return _mirror_syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}

static inline long _mirror_sys_munmap(uintptr_t addr, size_t len)
{
    return _mirror_syscall6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}

static inline long _mirror_sys_mremap(uintptr_t old, size_t old_len, size_t new_len, int flags, uintptr_t to)
{
    return _mirror_syscall6(SYS_mremap, (long)old, (long)old_len, (long)new_len, flags, (long)to, 0);
}

static inline long _mirror_sys_mprotect(uintptr_t addr, size_t len, int prot)
{
    return _mirror_syscall6(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0);
}

static inline long _mirror_sys_write(int fd, const void *buf, size_t len)
{
    return _mirror_syscall6(SYS_write, fd, (long)buf, (long)len, 0, 0, 0);
}

static inline long _mirror_sys_read(int fd, void *buf, size_t len)
{
    return _mirror_syscall6(SYS_read, fd, (long)buf, (long)len, 0, 0, 0);
}

static inline long _mirror_sys_open(const char *path, int flags)
{
    return _mirror_syscall6(SYS_open, (long)path, flags, 0, 0, 0, 0);
}

static inline long _mirror_sys_close(int fd)
{
    return _mirror_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
}

static inline long _mirror_sys_sched_yield(void)
{
    return _mirror_syscall6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

static inline long _mirror_sys_clock_gettime(int clock, void *ts)
{
    return _mirror_syscall6(SYS_clock_gettime, clock, (long)ts, 0, 0, 0, 0);
}

/* The kernel's struct sigaction (not libc's): handler, flags, restorer, 64-bit mask. */
struct _mirror_kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static inline long _mirror_sys_rt_sigaction(int sig, const struct _mirror_kernel_sigaction *act,
                                            struct _mirror_kernel_sigaction *old)
{
    return _mirror_syscall6(SYS_rt_sigaction, sig, (long)act, (long)old, 8, 0, 0);
}

static inline long _mirror_sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
    return _mirror_syscall6(SYS_rt_sigprocmask, how, (long)set, (long)old, 8, 0, 0);
}

static inline long _mirror_sys_tgkill_self(int sig)
{
    long pid = _mirror_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
    long tid = _mirror_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0);
    return _mirror_syscall6(SYS_tgkill, pid, tid, sig, 0, 0, 0);
}

#endif
