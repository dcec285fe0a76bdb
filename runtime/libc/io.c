/* io.c — file-descriptor input: read family, pipes, poll/select/epoll, ioctl and terminals.
 *
 * The kernel fills the caller's buffers with the bytes it returns (read: the count returned; the
 * vector forms: that count spread over the iovecs in order), the two descriptors of a pipe, the
 * revents of every pollfd, the fd_sets and remaining timeout of select, and the events of epoll_wait.
 * Each wrapper calls libc, then copies exactly those bytes to their mirror. The _chk forms are what
 * glibc's _FORTIFY_SOURCE headers call instead; they write the same bytes. ioctl writes what its
 * request number says (_IOR/_IOWR: _IOC_SIZE bytes) or, for the old terminal and FIONREAD requests
 * that predate the encoding, what a short table says; other requests are not covered. tcgetattr and
 * the cf* helpers fill or edit a struct termios.
 *
 * The read and write families first touch the protected pages of their buffers (_mirror_touch): a
 * page lost to a memory error is rebuilt by the SIGBUS handler before the kernel meets it, which
 * would fail the call with EFAULT ("Bad address") instead of raising SIGBUS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "libc/wrap.h"

ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t nbytes, off_t offset, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t nbytes, off64_t offset, size_t buflen);
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *ss,
                size_t fdslen);

static ssize_t wrote_count(const void *buf, ssize_t got)
{
    if (got > 0)
        _mirror_wrote(buf, (size_t)got);
    return got;
}

static ssize_t wrote_iov(const struct iovec *iov, int count, ssize_t got)
{
    if (got > 0 && count > 0)
        _mirror_wrote_iov(iov, (size_t)count, (size_t)got);
    return got;
}

/* ---- read ---------------------------------------------------------------------------------------------- */

MIRROR_WRAPPER ssize_t __mirror_read(int fd, void *buf, size_t n)
{
    _mirror_touch(buf, n);
    return wrote_count(buf, read(fd, buf, n));
}

MIRROR_WRAPPER ssize_t __mirror_pread(int fd, void *buf, size_t n, off_t offset)
{
    _mirror_touch(buf, n);
    return wrote_count(buf, pread(fd, buf, n, offset));
}

MIRROR_WRAPPER ssize_t __mirror_pread64(int fd, void *buf, size_t n, off64_t offset)
{
    _mirror_touch(buf, n);
    return wrote_count(buf, pread64(fd, buf, n, offset));
}

MIRROR_WRAPPER ssize_t __mirror___read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    return wrote_count(buf, __read_chk(fd, buf, n, buflen));
}

MIRROR_WRAPPER ssize_t __mirror___pread_chk(int fd, void *buf, size_t n, off_t offset, size_t buflen)
{
    return wrote_count(buf, __pread_chk(fd, buf, n, offset, buflen));
}

MIRROR_WRAPPER ssize_t __mirror___pread64_chk(int fd, void *buf, size_t n, off64_t offset, size_t buflen)
{
    return wrote_count(buf, __pread64_chk(fd, buf, n, offset, buflen));
}

MIRROR_WRAPPER ssize_t __mirror_readv(int fd, const struct iovec *iov, int count)
{
    _mirror_touch_iov(iov, count > 0 ? (size_t)count : 0);
    return wrote_iov(iov, count, readv(fd, iov, count));
}

MIRROR_WRAPPER ssize_t __mirror_preadv(int fd, const struct iovec *iov, int count, off_t offset)
{
    _mirror_touch_iov(iov, count > 0 ? (size_t)count : 0);
    return wrote_iov(iov, count, preadv(fd, iov, count, offset));
}

MIRROR_WRAPPER ssize_t __mirror_preadv64(int fd, const struct iovec *iov, int count, off64_t offset)
{
    _mirror_touch_iov(iov, count > 0 ? (size_t)count : 0);
    return wrote_iov(iov, count, preadv64(fd, iov, count, offset));
}

MIRROR_WRAPPER ssize_t __mirror_preadv2(int fd, const struct iovec *iov, int count, off_t offset, int flags)
{
    _mirror_touch_iov(iov, count > 0 ? (size_t)count : 0);
    return wrote_iov(iov, count, preadv2(fd, iov, count, offset, flags));
}

MIRROR_WRAPPER ssize_t __mirror_preadv64v2(int fd, const struct iovec *iov, int count, off64_t offset, int flags)
{
    _mirror_touch_iov(iov, count > 0 ? (size_t)count : 0);
    return wrote_iov(iov, count, preadv64v2(fd, iov, count, offset, flags));
}

/* ---- write: the kernel reads the buffers ---------------------------------------------------------------- */

MIRROR_WRAPPER ssize_t __mirror_write(int fd, const void *buf, size_t n)
{
    _mirror_touch(buf, n);
    return write(fd, buf, n);
}

MIRROR_WRAPPER ssize_t __mirror_pwrite(int fd, const void *buf, size_t n, off_t offset)
{
    _mirror_touch(buf, n);
    return pwrite(fd, buf, n, offset);
}

MIRROR_WRAPPER ssize_t __mirror_pwrite64(int fd, const void *buf, size_t n, off64_t offset)
{
    _mirror_touch(buf, n);
    return pwrite64(fd, buf, n, offset);
}

MIRROR_WRAPPER ssize_t __mirror_writev(int fd, const struct iovec *iov, int count)
{
    _mirror_touch_iov(iov, count > 0 ? (size_t)count : 0);
    return writev(fd, iov, count);
}

MIRROR_WRAPPER ssize_t __mirror_pwritev(int fd, const struct iovec *iov, int count, off_t offset)
{
    _mirror_touch_iov(iov, count > 0 ? (size_t)count : 0);
    return pwritev(fd, iov, count, offset);
}

/* ---- pipes --------------------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_pipe(int fds[2])
{
    int result = pipe(fds);
    if (result == 0)
        _mirror_wrote(fds, 2 * sizeof(int));
    return result;
}

MIRROR_WRAPPER int __mirror_pipe2(int fds[2], int flags)
{
    int result = pipe2(fds, flags);
    if (result == 0)
        _mirror_wrote(fds, 2 * sizeof(int));
    return result;
}

/* ---- readiness ----------------------------------------------------------------------------------------- */

/* A lost page of the buffer a readiness call reads or fills fails it with EFAULT instead of raising
 * SIGBUS (the kernel's own access takes no signal), also when the page was lost while the call slept,
 * after any touch beforehand: redis-server died of "epoll_wait, Bad address" under heap losses. These
 * calls consume nothing (epoll puts an event it could not copy back on its ready list; poll and select
 * are level-triggered), so on EFAULT the wrapper touches the buffer's protected pages (the SIGBUS
 * handler rebuilds a lost one) and calls again, a few times at most: a genuine EFAULT stays one. */
#define EFAULT_RETRIES 3
#define RETRY_AFTER_EFAULT(call, touch)                                                                  \
    __extension__({                                                                                      \
        int result_ = (call);                                                                            \
        for (int tries_ = 0; result_ < 0 && errno == EFAULT && tries_ < EFAULT_RETRIES; tries_++) {     \
            touch;                                                                                       \
            result_ = (call);                                                                            \
        }                                                                                                \
        result_;                                                                                         \
    })

static void touch_pollfds(const struct pollfd *fds, nfds_t nfds)
{
    _mirror_touch(fds, nfds * sizeof *fds);
}

/* Linux writes every revents back, also when the wait was interrupted (EINTR); the other errors
 * (EFAULT, EINVAL, ENOMEM) happen before it touches them. */
static int wrote_pollfds(const struct pollfd *fds, nfds_t nfds, int result)
{
    if (result >= 0 || errno == EINTR)
        _mirror_wrote(fds, nfds * sizeof *fds);
    return result;
}

MIRROR_WRAPPER int __mirror_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    return wrote_pollfds(fds, nfds, RETRY_AFTER_EFAULT(poll(fds, nfds, timeout), touch_pollfds(fds, nfds)));
}

MIRROR_WRAPPER int __mirror_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                                  const sigset_t *mask)
{
    return wrote_pollfds(fds, nfds,
                         RETRY_AFTER_EFAULT(ppoll(fds, nfds, timeout, mask), touch_pollfds(fds, nfds)));
}

MIRROR_WRAPPER int __mirror___poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen)
{
    return wrote_pollfds(fds, nfds, RETRY_AFTER_EFAULT(__poll_chk(fds, nfds, timeout, fdslen),
                                                      touch_pollfds(fds, nfds)));
}

MIRROR_WRAPPER int __mirror___ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                                        const sigset_t *mask, size_t fdslen)
{
    return wrote_pollfds(fds, nfds, RETRY_AFTER_EFAULT(__ppoll_chk(fds, nfds, timeout, mask, fdslen),
                                                      touch_pollfds(fds, nfds)));
}

/* The bytes of each fd_set select reads and, when it succeeds, writes back: ceil(nfds / 64) words. */
static size_t fd_set_bytes(int nfds)
{
    size_t bytes = nfds <= 0 ? 0 : ((size_t)nfds + 63) / 64 * 8;
    return bytes < sizeof(fd_set) ? bytes : sizeof(fd_set);
}

static void touch_fd_sets(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds)
{
    size_t bytes = fd_set_bytes(nfds);
    _mirror_touch(readfds, readfds ? bytes : 0);
    _mirror_touch(writefds, writefds ? bytes : 0);
    _mirror_touch(exceptfds, exceptfds ? bytes : 0);
}

static void wrote_fd_sets(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds)
{
    size_t bytes = fd_set_bytes(nfds);
    if (bytes == 0)
        return;
    if (readfds != NULL)
        _mirror_wrote(readfds, bytes);
    if (writefds != NULL)
        _mirror_wrote(writefds, bytes);
    if (exceptfds != NULL)
        _mirror_wrote(exceptfds, bytes);
}

MIRROR_WRAPPER int __mirror_select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
                                   struct timeval *timeout)
{
    int result = RETRY_AFTER_EFAULT(select(nfds, readfds, writefds, exceptfds, timeout),
                                    touch_fd_sets(nfds, readfds, writefds, exceptfds));
    if (result >= 0)
        wrote_fd_sets(nfds, readfds, writefds, exceptfds);
    /* Linux stores the time left in *timeout, also when interrupted. */
    if (timeout != NULL && (result >= 0 || errno != EFAULT))
        _mirror_wrote(timeout, sizeof *timeout);
    return result;
}

MIRROR_WRAPPER int __mirror_pselect(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
                                    const struct timespec *timeout, const sigset_t *mask)
{
    int result = RETRY_AFTER_EFAULT(pselect(nfds, readfds, writefds, exceptfds, timeout, mask),
                                    touch_fd_sets(nfds, readfds, writefds, exceptfds));
    if (result >= 0)
        wrote_fd_sets(nfds, readfds, writefds, exceptfds);
    return result;
}

static void touch_events(const struct epoll_event *events, int maxevents)
{
    _mirror_touch(events, maxevents > 0 ? (size_t)maxevents * sizeof *events : 0);
}

static int wrote_events(const struct epoll_event *events, int result)
{
    if (result > 0)
        _mirror_wrote(events, (size_t)result * sizeof *events);
    return result;
}

MIRROR_WRAPPER int __mirror_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
    return wrote_events(events, RETRY_AFTER_EFAULT(epoll_wait(epfd, events, maxevents, timeout),
                                                   touch_events(events, maxevents)));
}

MIRROR_WRAPPER int __mirror_epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
                                        const sigset_t *mask)
{
    return wrote_events(events, RETRY_AFTER_EFAULT(epoll_pwait(epfd, events, maxevents, timeout, mask),
                                                   touch_events(events, maxevents)));
}

MIRROR_WRAPPER int __mirror_epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
                                         const struct timespec *timeout, const sigset_t *mask)
{
    return wrote_events(events, RETRY_AFTER_EFAULT(epoll_pwait2(epfd, events, maxevents, timeout, mask),
                                                   touch_events(events, maxevents)));
}

/* ---- ioctl and terminals ------------------------------------------------------------------------------- */

/* What the kernel writes through the argument of a request that does not encode its size. */
static size_t legacy_ioctl_output(unsigned long request)
{
    switch (request) {
    case FIONREAD: /* = TIOCINQ, SIOCINQ */
    case TIOCOUTQ:
    case TIOCGPGRP:
    case TIOCGSID:
    case TIOCMGET:
    case TIOCGETD:
        return sizeof(int);
    case TIOCGWINSZ:
        return sizeof(struct winsize);
    case TCGETS:
        return 36; /* the kernel's struct termios (no speeds), not glibc's 60-byte one */
    default:
        return 0;
    }
}

MIRROR_WRAPPER int __mirror_ioctl(int fd, unsigned long request, ...)
{
    va_list args;
    va_start(args, request);
    void *arg = va_arg(args, void *);
    va_end(args);
    int result = ioctl(fd, request, arg);
    if (result != -1) {
        size_t bytes = _IOC_DIR(request) & _IOC_READ ? _IOC_SIZE(request) : legacy_ioctl_output(request);
        _mirror_wrote(arg, bytes);
    }
    return result;
}

MIRROR_WRAPPER int __mirror_tcgetattr(int fd, struct termios *t)
{
    int result = tcgetattr(fd, t);
    if (result == 0)
        _mirror_wrote(t, sizeof *t);
    return result;
}

MIRROR_WRAPPER void __mirror_cfmakeraw(struct termios *t)
{
    cfmakeraw(t);
    _mirror_wrote(t, sizeof *t);
}

MIRROR_WRAPPER int __mirror_cfsetispeed(struct termios *t, speed_t speed)
{
    int result = cfsetispeed(t, speed);
    _mirror_wrote(t, sizeof *t);
    return result;
}

MIRROR_WRAPPER int __mirror_cfsetospeed(struct termios *t, speed_t speed)
{
    int result = cfsetospeed(t, speed);
    _mirror_wrote(t, sizeof *t);
    return result;
}

MIRROR_WRAPPER int __mirror_cfsetspeed(struct termios *t, speed_t speed)
{
    int result = cfsetspeed(t, speed);
    _mirror_wrote(t, sizeof *t);
    return result;
}

/* Returns an error number. */
MIRROR_WRAPPER int __mirror_ptsname_r(int fd, char *buf, size_t n)
{
    int result = ptsname_r(fd, buf, n);
    if (result == 0)
        _mirror_wrote_string_within(buf, n);
    return result;
}

MIRROR_WRAPPER int __mirror_ttyname_r(int fd, char *buf, size_t n)
{
    int result = ttyname_r(fd, buf, n);
    if (result == 0)
        _mirror_wrote_string_within(buf, n);
    return result;
}
