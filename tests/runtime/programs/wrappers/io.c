/* The read family, pipes and readiness calls: data and results land in globals and heap blocks. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "wrap_check.h"

ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t nbytes, off_t offset, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t nbytes, off64_t offset, size_t buflen);
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);

static char global_buf[256];
static int pipe_fds[2], pipe2_fds[2];
static struct pollfd poll_fds[2];
static fd_set read_set;
static struct timeval select_timeout;
static struct epoll_event events[4];
static unsigned pty_number;
static int readable;
static struct winsize window;
static char pty_name[64], tty_name[64];
static struct termios attributes;

static const char text[] = "The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.";

static int data_file(void)
{
    char path[] = "/tmp/mirror-wrap-io-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        DIE("mkstemp");
    unlink(path);
    if (write(fd, text, sizeof text) != (ssize_t)sizeof text)
        DIE("write");
    return fd;
}

static void feed(int fd, const char *s, size_t n)
{
    if (write(fd, s, n) != (ssize_t)n)
        DIE("write");
}

int main(void)
{
    int file = data_file();
    char *heap = malloc(256);
    char *heap2 = malloc(64);

    fill(pipe_fds, sizeof pipe_fds, 0xa5);
    result("pipe", pipe(pipe_fds));
    check("pipe", pipe_fds, sizeof pipe_fds);
    fill(pipe2_fds, sizeof pipe2_fds, 0xa5);
    result("pipe2", pipe2(pipe2_fds, O_CLOEXEC));
    check("pipe2", pipe2_fds, sizeof pipe2_fds);

    fill(global_buf, sizeof global_buf, 0xa5);
    feed(pipe_fds[1], text, 40);
    ssize_t got = read(pipe_fds[0], global_buf, sizeof global_buf);
    result("read", got);
    check("read", global_buf, sizeof global_buf);

    fill(heap, 256, 0xa5);
    result("pread", pread(file, heap, 100, 3));
    check("pread", heap, 256);
    fill(heap, 256, 0xa5);
    result("pread64", pread64(file, heap, 50, 10));
    check("pread64", heap, 256);

    fill(heap, 256, 0xa5);
    feed(pipe_fds[1], text, 30);
    result("__read_chk", __read_chk(pipe_fds[0], heap, 200, 256));
    check("__read_chk", heap, 256);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("__pread_chk", __pread_chk(file, global_buf, 60, 1, sizeof global_buf));
    check("__pread_chk", global_buf, sizeof global_buf);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("__pread64_chk", __pread64_chk(file, global_buf, 60, 2, sizeof global_buf));
    check("__pread64_chk", global_buf, sizeof global_buf);

    /* Vector reads: the count spreads over a global and a heap buffer. */
    struct iovec iov[2] = {{global_buf, 20}, {heap2, 64}};
    fill(global_buf, sizeof global_buf, 0xa5);
    fill(heap2, 64, 0xa5);
    feed(pipe_fds[1], text, 50);
    result("readv", readv(pipe_fds[0], iov, 2));
    check("readv", global_buf, 20);
    check("readv.heap", heap2, 64);
    fill(global_buf, sizeof global_buf, 0xa5);
    fill(heap2, 64, 0xa5);
    result("preadv", preadv(file, iov, 2, 5));
    check("preadv", global_buf, 20);
    check("preadv.heap", heap2, 64);
    fill(global_buf, sizeof global_buf, 0xa5);
    fill(heap2, 64, 0xa5);
    result("preadv2", preadv2(file, iov, 2, 7, 0));
    check("preadv2", global_buf, 20);
    check("preadv2.heap", heap2, 64);

    /* Readiness: one descriptor has data, the other none, so the kernel changes both entries. */
    int empty[2];
    if (pipe(empty) != 0)
        DIE("pipe");
    feed(pipe_fds[1], "x", 1);
    poll_fds[0] = (struct pollfd){.fd = pipe_fds[0], .events = POLLIN, .revents = 0x5a5a};
    poll_fds[1] = (struct pollfd){.fd = empty[0], .events = POLLIN, .revents = 0x5a5a};
    result("poll", poll(poll_fds, 2, 0));
    check("poll", poll_fds, sizeof poll_fds);
    poll_fds[0].revents = poll_fds[1].revents = 0x5a5a;
    struct timespec zero = {0, 0};
    result("ppoll", ppoll(poll_fds, 2, &zero, NULL));
    check("ppoll", poll_fds, sizeof poll_fds);
    poll_fds[0].revents = poll_fds[1].revents = 0x5a5a;
    result("__poll_chk", __poll_chk(poll_fds, 2, 0, sizeof poll_fds));
    check("__poll_chk", poll_fds, sizeof poll_fds);

    FD_ZERO(&read_set);
    FD_SET(pipe_fds[0], &read_set);
    FD_SET(empty[0], &read_set);
    select_timeout = (struct timeval){.tv_sec = 0, .tv_usec = 20000};
    int nfds = (pipe_fds[0] > empty[0] ? pipe_fds[0] : empty[0]) + 1;
    result("select", select(nfds, &read_set, NULL, NULL, &select_timeout));
    check("select", &read_set, sizeof read_set);
    FD_ZERO(&read_set);
    FD_SET(pipe_fds[0], &read_set);
    FD_SET(empty[0], &read_set);
    result("pselect", pselect(nfds, &read_set, NULL, NULL, &zero, NULL));
    check("pselect", &read_set, sizeof read_set);

    int epfd = epoll_create1(0);
    struct epoll_event want = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, pipe_fds[0], &want) != 0)
        DIE("epoll");
    fill(events, sizeof events, 0xa5);
    result("epoll_wait", epoll_wait(epfd, events, 4, 0));
    check("epoll_wait", events, sizeof events[0]);
    fill(events, sizeof events, 0xa5);
    result("epoll_pwait", epoll_pwait(epfd, events, 4, 0, NULL));
    check("epoll_pwait", events, sizeof events[0]);

    /* ioctl: a request that encodes its size (TIOCGPTN is _IOR), older ones from the table. */
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
        DIE("posix_openpt");
    fill(&pty_number, sizeof pty_number, 0xa5);
    result("ioctl.TIOCGPTN", ioctl(master, TIOCGPTN, &pty_number));
    check("ioctl.TIOCGPTN", &pty_number, sizeof pty_number);
    fill(&window, sizeof window, 0xa5);
    result("ioctl.TIOCGWINSZ", ioctl(master, TIOCGWINSZ, &window));
    check("ioctl.TIOCGWINSZ", &window, sizeof window);
    feed(pipe_fds[1], "12345", 5);
    fill(&readable, sizeof readable, 0xa5);
    result("ioctl.FIONREAD", ioctl(pipe_fds[0], FIONREAD, &readable));
    check("ioctl.FIONREAD", &readable, sizeof readable);
    result("ioctl.FIONREAD.value", readable);
    fill(pty_name, sizeof pty_name, 0xa5);
    result("ptsname_r", ptsname_r(master, pty_name, sizeof pty_name));
    check("ptsname_r", pty_name, strlen(pty_name) + 1);
    int slave = open(pty_name, O_RDWR | O_NOCTTY);
    if (slave < 0)
        DIE("open pty");
    fill(tty_name, sizeof tty_name, 0xa5);
    result("ttyname_r", ttyname_r(slave, tty_name, sizeof tty_name));
    check("ttyname_r", tty_name, strlen(tty_name) + 1);
    fill(&attributes, sizeof attributes, 0xa5);
    result("tcgetattr", tcgetattr(slave, &attributes));
    check("tcgetattr", &attributes, sizeof attributes);
    struct termios *raw = malloc(sizeof *raw);
    *raw = attributes;
    cfmakeraw(raw);
    check("cfmakeraw", raw, sizeof *raw);
    result("cfsetospeed", cfsetospeed(raw, B9600));
    check("cfsetospeed", raw, sizeof *raw);

    /* Errors: the same result and errno through the wrapper. */
    errno = 0;
    long bad = read(-1, global_buf, 1);
    failure("read.ebadf", bad, errno);
    errno = 0;
    bad = poll(NULL, 1, 0);
    failure("poll.efault", bad, errno);

    finish();
    return 0;
}
