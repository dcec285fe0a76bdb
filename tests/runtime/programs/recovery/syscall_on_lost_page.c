/* A lost page handed to a system call. The kernel does not raise SIGBUS when it meets a lost page
 * inside read() or write(): the call fails with EFAULT ("Bad address"), and minigzip under heap
 * injection printed "<fd:1>: Bad address". The routed read/write/send/recv wrappers touch the
 * buffer's protected pages first, so the handler rebuilds them before the call.
 *
 * For each call below, the buffer's second page is lost just before the call. Output per call:
 * "<call> ok" when it moved every byte and the bytes are right. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    return 0;
}
