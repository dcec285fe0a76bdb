/* fs.c — file system queries that fill the caller's memory: stat, statfs, paths and links.
 *
 * The stat and statfs families fill one structure when they succeed (the *64 names are what
 * _FILE_OFFSET_BITS=64 compiles to; on x86-64 the structures are the same). getcwd and realpath write a
 * terminated path; readlink writes exactly the count it returns, without a terminator. When getcwd,
 * realpath or canonicalize_file_name allocate the result themselves, it is a block of libc's malloc:
 * the wrapper moves it into the mirrored heap (the caller frees it with the routed free either way).
 * The temporary-name functions (mkstemp, mkdtemp, ...) replace the XXXXXX of the caller's template in
 * place (mktemp and tmpnam are not wrapped: a reference to them makes the linker warn in every program); dirname and POSIX basename (__xpg_basename) may cut the caller's path in place.
 * fcntl writes caller memory for the lock queries (F_GETLK, F_OFD_GETLK: a struct flock) and
 * F_GETOWN_EX; its other commands take an integer or only read.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "libc/wrap.h"

char *__getcwd_chk(char *buf, size_t size, size_t buflen);
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
ssize_t __readlink_chk(const char *path, char *buf, size_t n, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t n, size_t buflen);

/* ---- stat ---------------------------------------------------------------------------------------------- */

#define FILLS_ON_SUCCESS(object, call)                                                                    \
    do {                                                                                                  \
        int result_ = (call);                                                                             \
        if (result_ == 0)                                                                                 \
            _mirror_wrote(object, sizeof *(object));                                                      \
        return result_;                                                                                   \
    } while (0)

MIRROR_WRAPPER int __mirror_stat(const char *path, struct stat *st)
{
    FILLS_ON_SUCCESS(st, stat(path, st));
}

MIRROR_WRAPPER int __mirror_fstat(int fd, struct stat *st)
{
    FILLS_ON_SUCCESS(st, fstat(fd, st));
}

MIRROR_WRAPPER int __mirror_lstat(const char *path, struct stat *st)
{
    FILLS_ON_SUCCESS(st, lstat(path, st));
}

MIRROR_WRAPPER int __mirror_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    FILLS_ON_SUCCESS(st, fstatat(dirfd, path, st, flags));
}

MIRROR_WRAPPER int __mirror_stat64(const char *path, struct stat64 *st)
{
    FILLS_ON_SUCCESS(st, stat64(path, st));
}

MIRROR_WRAPPER int __mirror_fstat64(int fd, struct stat64 *st)
{
    FILLS_ON_SUCCESS(st, fstat64(fd, st));
}

MIRROR_WRAPPER int __mirror_lstat64(const char *path, struct stat64 *st)
{
    FILLS_ON_SUCCESS(st, lstat64(path, st));
}

MIRROR_WRAPPER int __mirror_fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
    FILLS_ON_SUCCESS(st, fstatat64(dirfd, path, st, flags));
}

MIRROR_WRAPPER int __mirror_statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *st)
{
    FILLS_ON_SUCCESS(st, statx(dirfd, path, flags, mask, st));
}

MIRROR_WRAPPER int __mirror_statfs(const char *path, struct statfs *st)
{
    FILLS_ON_SUCCESS(st, statfs(path, st));
}

MIRROR_WRAPPER int __mirror_fstatfs(int fd, struct statfs *st)
{
    FILLS_ON_SUCCESS(st, fstatfs(fd, st));
}

MIRROR_WRAPPER int __mirror_statfs64(const char *path, struct statfs64 *st)
{
    FILLS_ON_SUCCESS(st, statfs64(path, st));
}

MIRROR_WRAPPER int __mirror_fstatfs64(int fd, struct statfs64 *st)
{
    FILLS_ON_SUCCESS(st, fstatfs64(fd, st));
}

MIRROR_WRAPPER int __mirror_statvfs(const char *path, struct statvfs *st)
{
    FILLS_ON_SUCCESS(st, statvfs(path, st));
}

MIRROR_WRAPPER int __mirror_fstatvfs(int fd, struct statvfs *st)
{
    FILLS_ON_SUCCESS(st, fstatvfs(fd, st));
}

MIRROR_WRAPPER int __mirror_statvfs64(const char *path, struct statvfs64 *st)
{
    FILLS_ON_SUCCESS(st, statvfs64(path, st));
}

MIRROR_WRAPPER int __mirror_fstatvfs64(int fd, struct statvfs64 *st)
{
    FILLS_ON_SUCCESS(st, fstatvfs64(fd, st));
}

/* ---- Paths --------------------------------------------------------------------------------------------- */

/* getcwd(NULL, size) allocates size bytes (strlen + 1 when size is 0), which the caller may fill. */
static char *wrote_cwd(char *buf, size_t size, char *result)
{
    if (result == NULL)
        return NULL;
    if (buf == NULL)
        return _mirror_rehome(result, size != 0 ? size : strlen(result) + 1);
    _mirror_wrote_string(result);
    return result;
}

MIRROR_WRAPPER char *__mirror_getcwd(char *buf, size_t size)
{
    return wrote_cwd(buf, size, getcwd(buf, size));
}

MIRROR_WRAPPER char *__mirror___getcwd_chk(char *buf, size_t size, size_t buflen)
{
    return wrote_cwd(buf, size, __getcwd_chk(buf, size, buflen));
}

MIRROR_WRAPPER char *__mirror_get_current_dir_name(void)
{
    char *result = get_current_dir_name();
    return result != NULL ? _mirror_rehome(result, strlen(result) + 1) : NULL;
}

/* With a buffer (PATH_MAX bytes), glibc leaves the resolved prefix in it also when it fails. */
static char *wrote_resolved(char *resolved, char *result)
{
    if (resolved == NULL)
        return result != NULL ? _mirror_rehome(result, strlen(result) + 1) : NULL;
    _mirror_wrote_string_within(resolved, PATH_MAX);
    return result;
}

MIRROR_WRAPPER char *__mirror_realpath(const char *path, char *resolved)
{
    return wrote_resolved(resolved, realpath(path, resolved));
}

MIRROR_WRAPPER char *__mirror___realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
    return wrote_resolved(resolved, __realpath_chk(path, resolved, resolvedlen));
}

MIRROR_WRAPPER char *__mirror_canonicalize_file_name(const char *path)
{
    return wrote_resolved(NULL, canonicalize_file_name(path));
}

static ssize_t wrote_link(const char *buf, ssize_t result)
{
    if (result > 0)
        _mirror_wrote(buf, (size_t)result);
    return result;
}

MIRROR_WRAPPER ssize_t __mirror_readlink(const char *path, char *buf, size_t n)
{
    return wrote_link(buf, readlink(path, buf, n));
}

MIRROR_WRAPPER ssize_t __mirror_readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
    return wrote_link(buf, readlinkat(dirfd, path, buf, n));
}

MIRROR_WRAPPER ssize_t __mirror___readlink_chk(const char *path, char *buf, size_t n, size_t buflen)
{
    return wrote_link(buf, __readlink_chk(path, buf, n, buflen));
}

MIRROR_WRAPPER ssize_t __mirror___readlinkat_chk(int dirfd, const char *path, char *buf, size_t n, size_t buflen)
{
    return wrote_link(buf, __readlinkat_chk(dirfd, path, buf, n, buflen));
}

/* ---- fcntl --------------------------------------------------------------------------------------------- */

/* fcntl's third argument is an int or a pointer; on x86-64 both travel in one general-purpose slot, and
 * libc reads it the same way, so it is taken and passed on as a pointer-sized value. */
static int mirrored_fcntl(int (*call)(int, int, ...), int fd, int cmd, void *arg)
{
    int result = call(fd, cmd, arg);
    if (result != -1) {
        if (cmd == F_GETLK || cmd == F_OFD_GETLK)
            _mirror_wrote(arg, sizeof(struct flock));
        else if (cmd == F_GETOWN_EX)
            _mirror_wrote(arg, sizeof(struct f_owner_ex));
    }
    return result;
}

int fcntl64(int fd, int cmd, ...);

MIRROR_WRAPPER int __mirror_fcntl(int fd, int cmd, ...)
{
    va_list args;
    va_start(args, cmd);
    void *arg = va_arg(args, void *);
    va_end(args);
    return mirrored_fcntl(fcntl, fd, cmd, arg);
}

MIRROR_WRAPPER int __mirror_fcntl64(int fd, int cmd, ...)
{
    va_list args;
    va_start(args, cmd);
    void *arg = va_arg(args, void *);
    va_end(args);
    return mirrored_fcntl(fcntl64, fd, cmd, arg);
}

/* ---- Names edited in place ----------------------------------------------------------------------------- */

#define TEMPLATE_WRAPPER(type, name, params, args)                                                        \
    MIRROR_WRAPPER type __mirror_##name params                                                            \
    {                                                                                                     \
        type result = name args;                                                                          \
        _mirror_wrote_string(template);                                                                   \
        return result;                                                                                    \
    }

TEMPLATE_WRAPPER(int, mkstemp, (char *template), (template))
TEMPLATE_WRAPPER(int, mkstemp64, (char *template), (template))
TEMPLATE_WRAPPER(int, mkstemps, (char *template, int suffixlen), (template, suffixlen))
TEMPLATE_WRAPPER(int, mkostemp, (char *template, int flags), (template, flags))
TEMPLATE_WRAPPER(int, mkostemp64, (char *template, int flags), (template, flags))
TEMPLATE_WRAPPER(int, mkostemps, (char *template, int suffixlen, int flags), (template, suffixlen, flags))
TEMPLATE_WRAPPER(char *, mkdtemp, (char *template), (template))

/* dirname and POSIX basename write NULs into the path (or return a static string and write nothing):
 * the path's old extent covers every byte they can have changed. */
MIRROR_WRAPPER char *__mirror_dirname(char *path)
{
    size_t length = path != NULL ? strlen(path) : 0;
    char *result = dirname(path);
    if (path != NULL)
        _mirror_wrote(path, length + 1);
    return result;
}

char *__xpg_basename(char *path);

MIRROR_WRAPPER char *__mirror___xpg_basename(char *path)
{
    size_t length = path != NULL ? strlen(path) : 0;
    char *result = __xpg_basename(path);
    if (path != NULL)
        _mirror_wrote(path, length + 1);
    return result;
}
