/* Not run: compiled to IR under several configurations, so the test can list which libc symbols
 * clang-22 and glibc's headers make a program call (fortify __*_chk forms, __isoc99_ scanf, the *64
 * names of _FILE_OFFSET_BITS=64) and check that each one that writes caller memory is routed. The
 * buffer sizes are known to the compiler and the lengths are not, which is when fortify emits _chk. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

char buf[256], path[4096];
struct stat st;
struct statvfs svfs;
struct rlimit rl;
struct pollfd fds[4];
struct iovec iov[2];
struct sockaddr_storage addr;
socklen_t addrlen;
struct msghdr msg;
pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t c = PTHREAD_COND_INITIALIZER;
sem_t s;
int numbers[16];
long value;
char *line;
size_t cap;
struct flock lock;

static int compare(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int formatted(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int r = vsnprintf(buf, value, format, args);
    r += vsprintf(buf, format, args);
    r += vsscanf(buf, format, args);
    r += vfscanf(stdin, format, args);
    va_end(args);
    return r;
}

int main(int argc, char **argv)
{
    size_t n = (size_t)argc * 3;
    long r = 0;
    r += read(0, buf, n) + pread(0, buf, n, 0) + readv(0, iov, 2) + preadv(0, iov, 2, 0);
    r += recv(0, buf, n, 0) + recvfrom(0, buf, n, 0, (struct sockaddr *)&addr, &addrlen) + recvmsg(0, &msg, 0);
    r += accept(0, (struct sockaddr *)&addr, &addrlen) + getsockname(0, (struct sockaddr *)&addr, &addrlen);
    r += (long)fgets(buf, (int)n, stdin) + (long)fread(buf, 1, n, stdin) + getline(&line, &cap, stdin);
    r += sscanf(argv[0], "%ld", &value) + fscanf(stdin, "%ld", &value) + scanf("%ld", &value);
    r += sprintf(buf, "%s", argv[0]) + snprintf(buf, n, "%s", argv[0]) + formatted("%s", argv[0]);
    r += (long)strcpy(buf, argv[0]) + (long)strncpy(buf, argv[0], n) + (long)stpcpy(buf, argv[0]);
    r += (long)stpncpy(buf, argv[0], n) + (long)strcat(buf, argv[0]) + (long)strncat(buf, argv[0], n);
    r += (long)memcpy(buf, argv[0], n) + (long)memmove(buf, argv[0], n) + (long)memset(buf, 0, n);
    r += (long)memccpy(buf, argv[0], 0, n) + (long)mempcpy(buf, argv[0], n);
    bzero(buf, n);
    explicit_bzero(buf, n);
    r += stat(argv[0], &st) + fstat(0, &st) + lstat(argv[0], &st) + fstatat(0, argv[0], &st, 0);
    r += statvfs(argv[0], &svfs) + getrlimit(RLIMIT_NOFILE, &rl);
    r += (long)getcwd(buf, n) + readlink(argv[0], buf, n) + (long)realpath(argv[0], path);
    r += fcntl(0, F_GETLK, &lock);
    r += poll(fds, n, 0) + (long)mmap(0, n, PROT_READ, MAP_PRIVATE, 0, 0);
    r += strerror_r(argc, buf, n) != NULL;
    time_t t = time(NULL);
    struct tm tm;
    r += strftime(buf, n, "%Y", localtime_r(&t, &tm));
    qsort(numbers, n, sizeof numbers[0], compare);
    r += pthread_mutex_lock(&m) + pthread_cond_signal(&c) + pthread_mutex_unlock(&m) + sem_post(&s);
    char *save;
    r += (long)strtok(buf, ",") + (long)strtok_r(buf, ",", &save) + mkstemp(path) + (long)dirname(path);
    int status;
    r += waitpid(-1, &status, 0);
    return (int)r;
}
