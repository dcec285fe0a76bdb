/* Sockets on 127.0.0.1 and socketpairs: received data, sender addresses, msghdr fields and control
 * data, accepted peers and socket options land in globals and heap blocks. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "wrap_check.h"

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
                       socklen_t *addrlen);

static int pair[2];
static char global_buf[128];
static struct sockaddr_in from, peer, bound, accepted_addr;
static socklen_t from_len, peer_len, bound_len, accepted_len;
static struct msghdr msg;
static char control[256];
static struct mmsghdr batch[2];
static int sock_type;
static socklen_t sock_type_len;
static struct in_addr v4, aton;
static struct in6_addr v6;
static struct addrinfo *resolved;
static char host[64], service[16];

static void send_all(int fd, const void *p, size_t n)
{
    if (send(fd, p, n, 0) != (ssize_t)n)
        DIE("send");
}

static int udp_socket(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof any) != 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) != 0)
        DIE("udp socket");
    return fd;
}

static void send_udp(int fd, const struct sockaddr_in *to, const char *text)
{
    if (sendto(fd, text, strlen(text), 0, (const struct sockaddr *)to, sizeof *to) != (ssize_t)strlen(text))
        DIE("sendto");
}

int main(void)
{
    char *heap = malloc(128);
    char *heap2 = malloc(64);

    fill(pair, sizeof pair, 0xa5);
    result("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
    check("socketpair", pair, sizeof pair);

    fill(global_buf, sizeof global_buf, 0xa5);
    send_all(pair[1], "hello over a socketpair", 23);
    result("recv", recv(pair[0], global_buf, sizeof global_buf, 0));
    check("recv", global_buf, sizeof global_buf);
    fill(heap, 128, 0xa5);
    send_all(pair[1], "fortified receive", 17);
    result("__recv_chk", __recv_chk(pair[0], heap, 128, 128, 0));
    check("__recv_chk", heap, 128);

    /* UDP: data and the sender's address (a port the kernel chose, so it differs from the pattern). */
    struct sockaddr_in a_addr, b_addr;
    int a = udp_socket(&a_addr), b = udp_socket(&b_addr);
    fill(heap, 128, 0xa5);
    fill(&from, sizeof from, 0xa5);
    from_len = sizeof from;
    send_udp(a, &b_addr, "datagram one");
    result("recvfrom", recvfrom(b, heap, 128, 0, (struct sockaddr *)&from, &from_len));
    check("recvfrom", heap, 128);
    check("recvfrom.addr", &from, sizeof from);
    check("recvfrom.addrlen?", &from_len, sizeof from_len);
    fill(global_buf, sizeof global_buf, 0xa5);
    fill(&from, sizeof from, 0xa5);
    from_len = sizeof from;
    send_udp(a, &b_addr, "datagram two");
    result("__recvfrom_chk", __recvfrom_chk(b, global_buf, 128, 128, 0, (struct sockaddr *)&from, &from_len));
    check("__recvfrom_chk", global_buf, sizeof global_buf);
    check("__recvfrom_chk.addr", &from, sizeof from);

    /* recvmsg: two iovecs, the sender's address, IP_PKTINFO control data, and the msghdr's own fields. */
    int on = 1;
    if (setsockopt(b, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0)
        DIE("IP_PKTINFO");
    struct iovec iov[2] = {{global_buf, 10}, {heap2, 64}};
    fill(global_buf, sizeof global_buf, 0xa5);
    fill(heap2, 64, 0xa5);
    fill(&from, sizeof from, 0xa5);
    fill(control, sizeof control, 0xa5);
    msg = (struct msghdr){.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = iov, .msg_iovlen = 2,
                          .msg_control = control, .msg_controllen = sizeof control, .msg_flags = 0x5a5a};
    send_udp(a, &b_addr, "a message in two pieces");
    result("recvmsg", recvmsg(b, &msg, 0));
    check("recvmsg.iov0", global_buf, 10);
    check("recvmsg.iov1", heap2, 64);
    check("recvmsg.name", &from, sizeof from);
    check("recvmsg.control", control, msg.msg_controllen);
    check("recvmsg.msghdr", &msg, sizeof msg);

    /* recvmmsg: two datagrams at once. */
    static struct sockaddr_in names[2];
    struct iovec one = {heap, 60}, two = {heap + 64, 60};
    fill(heap, 128, 0xa5);
    fill(names, sizeof names, 0xa5);
    fill(batch, sizeof batch, 0);
    batch[0].msg_hdr = (struct msghdr){.msg_name = &names[0], .msg_namelen = sizeof names[0], .msg_iov = &one, .msg_iovlen = 1};
    batch[1].msg_hdr = (struct msghdr){.msg_name = &names[1], .msg_namelen = sizeof names[1], .msg_iov = &two, .msg_iovlen = 1};
    batch[0].msg_len = batch[1].msg_len = 0x5a5a5a5a;
    send_udp(a, &b_addr, "first of a batch");
    send_udp(a, &b_addr, "second of a batch");
    if (setsockopt(b, IPPROTO_IP, IP_PKTINFO, &(int){0}, sizeof(int)) != 0)
        DIE("IP_PKTINFO off");
    result("recvmmsg", recvmmsg(b, batch, 2, MSG_WAITFORONE, NULL));
    check("recvmmsg.data", heap, 128);
    check("recvmmsg.names", names, sizeof names);
    check("recvmmsg.headers", batch, sizeof batch);

    /* TCP on 127.0.0.1: the listener's address, the accepted peer, options. */
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (listener < 0 || bind(listener, (struct sockaddr *)&any, sizeof any) != 0 || listen(listener, 4) != 0)
        DIE("listen");
    fill(&bound, sizeof bound, 0xa5);
    bound_len = sizeof bound;
    result("getsockname", getsockname(listener, (struct sockaddr *)&bound, &bound_len));
    check("getsockname", &bound, sizeof bound);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    int client2 = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, (struct sockaddr *)&bound, sizeof bound) != 0 ||
        connect(client2, (struct sockaddr *)&bound, sizeof bound) != 0)
        DIE("connect");
    fill(&accepted_addr, sizeof accepted_addr, 0xa5);
    accepted_len = sizeof accepted_addr;
    int server = accept(listener, (struct sockaddr *)&accepted_addr, &accepted_len);
    result("accept", server >= 0);
    check("accept", &accepted_addr, sizeof accepted_addr);
    fill(&accepted_addr, sizeof accepted_addr, 0xa5);
    accepted_len = sizeof accepted_addr;
    int server2 = accept4(listener, (struct sockaddr *)&accepted_addr, &accepted_len, SOCK_CLOEXEC);
    result("accept4", server2 >= 0);
    check("accept4", &accepted_addr, sizeof accepted_addr);
    fill(&peer, sizeof peer, 0xa5);
    peer_len = sizeof peer;
    result("getpeername", getpeername(client, (struct sockaddr *)&peer, &peer_len));
    check("getpeername", &peer, sizeof peer);
    fill(&sock_type, sizeof sock_type, 0xa5);
    sock_type_len = sizeof sock_type;
    result("getsockopt", getsockopt(client, SOL_SOCKET, SO_TYPE, &sock_type, &sock_type_len));
    check("getsockopt", &sock_type, sizeof sock_type);
    result("getsockopt.value", sock_type);

    /* Address conversions and numeric name lookups (no network needed). */
    fill(&v4, sizeof v4, 0xa5);
    result("inet_pton", inet_pton(AF_INET, "10.20.30.40", &v4));
    check("inet_pton", &v4, sizeof v4);
    fill(&v6, sizeof v6, 0xa5);
    result("inet_pton6", inet_pton(AF_INET6, "2001:db8::1", &v6));
    check("inet_pton6", &v6, sizeof v6);
    fill(&aton, sizeof aton, 0xa5);
    result("inet_aton", inet_aton("192.168.1.2", &aton));
    check("inet_aton", &aton, sizeof aton);
    fill(heap, 128, 0xa5);
    result("inet_ntop", inet_ntop(AF_INET6, &v6, heap, 128) == heap);
    check("inet_ntop", heap, strlen(heap) + 1);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    resolved = (struct addrinfo *)1;
    result("getaddrinfo", getaddrinfo("127.0.0.1", "8080", &hints, &resolved));
    check("getaddrinfo", &resolved, sizeof resolved);
    fill(host, sizeof host, 0xa5);
    fill(service, sizeof service, 0xa5);
    result("getnameinfo", getnameinfo(resolved->ai_addr, resolved->ai_addrlen, host, sizeof host, service,
                                      sizeof service, NI_NUMERICHOST | NI_NUMERICSERV));
    check("getnameinfo.host", host, strlen(host) + 1);
    check("getnameinfo.service", service, strlen(service) + 1);
    freeaddrinfo(resolved);

    errno = 0;
    long bad = recv(-1, global_buf, 1, 0);
    failure("recv.ebadf", bad, errno);
    errno = 0;
    bad = getsockopt(client, SOL_SOCKET, -12345, &sock_type, &sock_type_len);
    failure("getsockopt.enoprotoopt", bad, errno);

    finish();
    return 0;
}
