/* net.c — sockets: the receive family and the calls that return addresses or options.
 *
 * A receive writes the data (the count returned, but no more than the buffer: with MSG_TRUNC a datagram
 * socket returns the full datagram length), the sender's address (at most the length the caller
 * offered, while the length word itself is overwritten with the real address length), and for recvmsg
 * the msghdr's own msg_namelen, msg_controllen and msg_flags plus the control data. The address and
 * option calls have the same "value-result length" shape. This follows MSan's recvmsg/recvfrom/accept/
 * getsockopt interceptors in sanitizer_common_interceptors.inc. The address conversions write a binary
 * address or its text; getaddrinfo stores a pointer to a list in libc's memory (freed by libc's
 * freeaddrinfo, so it stays there), getnameinfo fills the host and service buffers.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <time.h>

#include "libc/wrap.h"

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
                       socklen_t *addrlen);

static socklen_t offered_length(const void *object, const socklen_t *length)
{
    return object != NULL && length != NULL ? *length : 0;
}

/* The kernel stored the real length in *length and at most `offered` bytes of the object. */
static void wrote_value_result(const void *object, const socklen_t *length, socklen_t offered)
{
    if (length == NULL)
        return;
    _mirror_wrote(length, sizeof *length);
    if (object != NULL)
        _mirror_wrote(object, *length < offered ? *length : offered);
}

static ssize_t wrote_received(const void *buf, size_t capacity, ssize_t got)
{
    if (got > 0)
        _mirror_wrote(buf, (size_t)got < capacity ? (size_t)got : capacity);
    return got;
}

/* ---- Sending: the kernel reads the buffers (touched first: see _mirror_touch) -------------------------- */

MIRROR_WRAPPER ssize_t __mirror_send(int fd, const void *buf, size_t n, int flags)
{
    _mirror_touch(buf, n);
    return send(fd, buf, n, flags);
}

MIRROR_WRAPPER ssize_t __mirror_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
                                       socklen_t addrlen)
{
    _mirror_touch(buf, n);
    return sendto(fd, buf, n, flags, addr, addrlen);
}

MIRROR_WRAPPER ssize_t __mirror_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (msg != NULL)
        _mirror_touch_iov(msg->msg_iov, msg->msg_iovlen);
    return sendmsg(fd, msg, flags);
}

/* ---- Receiving ----------------------------------------------------------------------------------------- */

MIRROR_WRAPPER ssize_t __mirror_recv(int fd, void *buf, size_t n, int flags)
{
    _mirror_touch(buf, n);
    return wrote_received(buf, n, recv(fd, buf, n, flags));
}

MIRROR_WRAPPER ssize_t __mirror___recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    _mirror_touch(buf, n);
    return wrote_received(buf, n, __recv_chk(fd, buf, n, buflen, flags));
}

MIRROR_WRAPPER ssize_t __mirror_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                                         socklen_t *addrlen)
{
    socklen_t offered = offered_length(addr, addrlen);
    _mirror_touch(buf, n);
    ssize_t got = recvfrom(fd, buf, n, flags, addr, addrlen);
    if (got >= 0 && addr != NULL)
        wrote_value_result(addr, addrlen, offered);
    return wrote_received(buf, n, got);
}

MIRROR_WRAPPER ssize_t __mirror___recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                                               struct sockaddr *addr, socklen_t *addrlen)
{
    socklen_t offered = offered_length(addr, addrlen);
    ssize_t got = __recvfrom_chk(fd, buf, n, buflen, flags, addr, addrlen);
    if (got >= 0 && addr != NULL)
        wrote_value_result(addr, addrlen, offered);
    return wrote_received(buf, n, got);
}

/* What recvmsg offered before the call: the kernel overwrites the lengths in the msghdr. */
struct offered_msg {
    socklen_t namelen;
    size_t controllen;
};

static struct offered_msg offered_msg(const struct msghdr *msg)
{
    return (struct offered_msg){msg->msg_name != NULL ? msg->msg_namelen : 0,
                                msg->msg_control != NULL ? msg->msg_controllen : 0};
}

static void wrote_msghdr(struct msghdr *msg, struct offered_msg offered, size_t data_bytes)
{
    _mirror_wrote(msg, sizeof *msg);
    if (msg->msg_iov != NULL)
        _mirror_wrote_iov(msg->msg_iov, msg->msg_iovlen, data_bytes);
    if (msg->msg_name != NULL)
        _mirror_wrote(msg->msg_name, msg->msg_namelen < offered.namelen ? msg->msg_namelen : offered.namelen);
    if (msg->msg_control != NULL)
        _mirror_wrote(msg->msg_control,
                      msg->msg_controllen < offered.controllen ? msg->msg_controllen : offered.controllen);
}

MIRROR_WRAPPER ssize_t __mirror_recvmsg(int fd, struct msghdr *msg, int flags)
{
    struct offered_msg offered = offered_msg(msg);
    ssize_t got = recvmsg(fd, msg, flags);
    /* _mirror_wrote_iov stops at the end of the buffers, so a MSG_TRUNC count larger than them is fine. */
    if (got >= 0)
        wrote_msghdr(msg, offered, (size_t)got);
    return got;
}

/* The kernel handles at most UIO_MAXIOV (1024) headers per call. */
#define RECVMMSG_MAX 1024

MIRROR_WRAPPER int __mirror_recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
                                     struct timespec *timeout)
{
    /* Only msg_namelen can come back larger than offered (the real address length of a truncated
     * address); msg_controllen comes back as the bytes used. So remembering the offered name lengths
     * (4 KiB of stack at most) is enough. */
    socklen_t offered_name[RECVMMSG_MAX];
    unsigned int remembered = vlen < RECVMMSG_MAX ? vlen : RECVMMSG_MAX;
    for (unsigned int i = 0; i < remembered; i++)
        offered_name[i] = vec[i].msg_hdr.msg_name != NULL ? vec[i].msg_hdr.msg_namelen : 0;
    int got = recvmmsg(fd, vec, vlen, flags, timeout);
    for (int i = 0; i < got && (unsigned int)i < remembered; i++) {
        struct msghdr *msg = &vec[i].msg_hdr;
        _mirror_wrote(&vec[i], sizeof vec[i]);
        wrote_msghdr(msg, (struct offered_msg){offered_name[i], msg->msg_controllen}, vec[i].msg_len);
    }
    /* The kernel stores the time left back into *timeout. */
    if (got >= 0 && timeout != NULL)
        _mirror_wrote(timeout, sizeof *timeout);
    return got;
}

/* ---- Descriptors and addresses ------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_socketpair(int domain, int type, int protocol, int fds[2])
{
    int result = socketpair(domain, type, protocol, fds);
    if (result == 0)
        _mirror_wrote(fds, 2 * sizeof(int));
    return result;
}

MIRROR_WRAPPER int __mirror_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    socklen_t offered = offered_length(addr, addrlen);
    int result = accept(fd, addr, addrlen);
    if (result >= 0 && addr != NULL)
        wrote_value_result(addr, addrlen, offered);
    return result;
}

MIRROR_WRAPPER int __mirror_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
    socklen_t offered = offered_length(addr, addrlen);
    int result = accept4(fd, addr, addrlen, flags);
    if (result >= 0 && addr != NULL)
        wrote_value_result(addr, addrlen, offered);
    return result;
}

MIRROR_WRAPPER int __mirror_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    socklen_t offered = offered_length(addr, addrlen);
    int result = getsockname(fd, addr, addrlen);
    if (result == 0)
        wrote_value_result(addr, addrlen, offered);
    return result;
}

MIRROR_WRAPPER int __mirror_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    socklen_t offered = offered_length(addr, addrlen);
    int result = getpeername(fd, addr, addrlen);
    if (result == 0)
        wrote_value_result(addr, addrlen, offered);
    return result;
}

MIRROR_WRAPPER int __mirror_getsockopt(int fd, int level, int name, void *value, socklen_t *length)
{
    socklen_t offered = offered_length(value, length);
    int result = getsockopt(fd, level, name, value, length);
    if (result == 0)
        wrote_value_result(value, length, offered);
    return result;
}

/* ---- Addresses and names ------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_inet_pton(int family, const char *text, void *out)
{
    int result = inet_pton(family, text, out);
    if (result == 1)
        _mirror_wrote(out, family == AF_INET6 ? sizeof(struct in6_addr) : sizeof(struct in_addr));
    return result;
}

MIRROR_WRAPPER const char *__mirror_inet_ntop(int family, const void *address, char *out, socklen_t n)
{
    const char *result = inet_ntop(family, address, out, n);
    if (result != NULL)
        _mirror_wrote_string(out);
    return result;
}

MIRROR_WRAPPER int __mirror_inet_aton(const char *text, struct in_addr *out)
{
    int result = inet_aton(text, out);
    if (result != 0 && out != NULL)
        _mirror_wrote(out, sizeof *out);
    return result;
}

MIRROR_WRAPPER int __mirror_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                                        struct addrinfo **list)
{
    int result = getaddrinfo(node, service, hints, list);
    if (result == 0)
        _mirror_wrote(list, sizeof *list);
    return result;
}

MIRROR_WRAPPER int __mirror_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host,
                                        socklen_t hostlen, char *service, socklen_t servicelen, int flags)
{
    int result = getnameinfo(addr, addrlen, host, hostlen, service, servicelen, flags);
    if (result == 0) {
        if (host != NULL)
            _mirror_wrote_string_within(host, hostlen);
        if (service != NULL)
            _mirror_wrote_string_within(service, servicelen);
    }
    return result;
}
