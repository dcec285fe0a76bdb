/* A lost page handed to a system call. The kernel does not raise SIGBUS when it meets a lost page
 * inside read() or write(): the call fails with EFAULT ("Bad address"), and minigzip under heap
 * injection printed "<fd:1>: Bad address". The routed read/write/send/recv wrappers touch the
 * buffer's protected pages first, so the handler rebuilds them before the call.
 *
 * The readiness calls (epoll_wait, poll, select) fail the same way when the page of their events,
 * pollfds or fd_sets is lost (redis-server died of "epoll_wait, Bad address" under heap losses): their
 * wrappers touch the buffer and call again after EFAULT.
 *
 * For each call below, the buffer's second page is lost just before the call. Output per call:
 * "<call> ok" when it moved every byte and the bytes are right. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mirror.h"

#define SIZE (3 * 4096)

static unsigned char *fill(int seed)
{
    unsigned char *p = aligned_alloc(4096, SIZE);
    for (size_t i = 0; i < SIZE; i++)
        p[i] = (unsigned char)(i * 7 + seed);
    return p;
}

static int same(const unsigned char *a, const unsigned char *b)
{
    return memcmp(a, b, SIZE) == 0;
}

static void lose(unsigned char *buffer)
{
    if (mirror_inject_error(buffer + 4096) != 0)
        perror("mirror_inject_error"), exit(2);
}

static void verdict(const char *call, int ok)
{
    printf("%s %s\n", call, ok ? "ok" : "FAILED");
}

int main(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return perror("socketpair"), 2;
    int size = 4 * SIZE;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    unsigned char *expect = fill(1), *out = fill(1), *in = calloc(1, SIZE);

    lose(out);
    verdict("write", write(sv[0], out, SIZE) == SIZE && read(sv[1], in, SIZE) == SIZE && same(in, expect));

    memset(in, 0, SIZE);
    lose(in);
    verdict("read", write(sv[0], out, SIZE) == SIZE && read(sv[1], in, SIZE) == SIZE && same(in, expect));

    memset(in, 0, SIZE);
    lose(out);
    struct iovec iov[2] = {{out, 4096}, {out + 4096, SIZE - 4096}};
    verdict("writev", writev(sv[0], iov, 2) == SIZE && recv(sv[1], in, SIZE, MSG_WAITALL) == SIZE && same(in, expect));

    memset(in, 0, SIZE);
    lose(out);
    lose(in);
    verdict("send/recv", send(sv[0], out, SIZE, 0) == SIZE && recv(sv[1], in, SIZE, MSG_WAITALL) == SIZE &&
                             same(in, expect));
    /* sv[1] has bytes to read: each readiness call reports it, its result buffer in a lost page. */
    if (write(sv[0], "x", 1) != 1)
        return perror("write"), 2;
    int ep = epoll_create1(0);
    struct epoll_event want = {.events = EPOLLIN, .data.u64 = 0x5eed};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &want) != 0)
        return perror("epoll"), 2;
    unsigned char *buffer = calloc(1, SIZE);
    struct epoll_event *events = (struct epoll_event *)(buffer + 4096);
    lose(buffer);
    verdict("epoll_wait", epoll_wait(ep, events, 8, 1000) == 1 && events[0].data.u64 == 0x5eed);

    struct pollfd *fds = (struct pollfd *)(buffer + 4096);
    fds[0] = (struct pollfd){.fd = sv[1], .events = POLLIN};
    lose(buffer);
    verdict("poll", poll(fds, 1, 1000) == 1 && (fds[0].revents & POLLIN));

    fd_set *set = (fd_set *)(buffer + 4096);
    FD_ZERO(set);
    FD_SET(sv[1], set);
    lose(buffer);
    struct timeval wait = {1, 0};
    verdict("select", select(sv[1] + 1, set, NULL, NULL, &wait) == 1 && FD_ISSET(sv[1], set));
    return 0;
}
