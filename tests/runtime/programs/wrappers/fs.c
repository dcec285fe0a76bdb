/* File system queries: the stat and statfs families (plain and 64-bit names), paths and links. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "wrap_check.h"

char *__getcwd_chk(char *buf, size_t size, size_t buflen);
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
ssize_t __readlink_chk(const char *path, char *buf, size_t n, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t n, size_t buflen);

static struct stat st;
static struct stat64 st64;
static struct statx stx;
static struct statfs sfs;
static struct statvfs svfs;
static char cwd[PATH_MAX], resolved[PATH_MAX], link_target[64];
static char *allocated_cwd, *allocated_path, *canonical;
static struct flock lock_query;
static char template_file[] = "/tmp/mirror-wrap-fs-tmp-XXXXXX";
static char template_suffix[] = "/tmp/mirror-wrap-fs-tmp-XXXXXX.txt";
static char template_dir[] = "/tmp/mirror-wrap-fs-dir-XXXXXX";
static char path_to_cut[] = "/usr/lib/x86_64/libfoo.so";
static char trailing_slash[] = "/var/log/";

int main(void)
{
    char dir[] = "/tmp/mirror-wrap-fs-XXXXXX";
    if (mkdtemp(dir) == NULL || chdir(dir) != 0)
        DIE("mkdtemp");
    int fd = open("file", O_CREAT | O_WRONLY, 0640);
    if (fd < 0 || write(fd, "twelve bytes", 12) != 12 || symlink("file", "link") != 0)
        DIE("setup");
    struct stat *heap_st = malloc(sizeof *heap_st);

    fill(&st, sizeof st, 0xa5); result("stat", stat("file", &st)); check("stat", &st, sizeof st);
    result("stat.size", st.st_size);
    fill(heap_st, sizeof *heap_st, 0xa5); result("fstat", fstat(fd, heap_st)); check("fstat", heap_st, sizeof *heap_st);
    fill(&st, sizeof st, 0xa5); result("lstat", lstat("link", &st)); check("lstat", &st, sizeof st);
    fill(&st, sizeof st, 0xa5); result("fstatat", fstatat(AT_FDCWD, "file", &st, 0)); check("fstatat", &st, sizeof st);
    fill(&st64, sizeof st64, 0xa5); result("stat64", stat64("file", &st64)); check("stat64", &st64, sizeof st64);
    fill(&st64, sizeof st64, 0xa5); result("fstat64", fstat64(fd, &st64)); check("fstat64", &st64, sizeof st64);
    fill(&st64, sizeof st64, 0xa5); result("lstat64", lstat64("link", &st64)); check("lstat64", &st64, sizeof st64);
    fill(&st64, sizeof st64, 0xa5);
    result("fstatat64", fstatat64(AT_FDCWD, "link", &st64, AT_SYMLINK_NOFOLLOW)); check("fstatat64", &st64, sizeof st64);
    fill(&stx, sizeof stx, 0xa5);
    result("statx", statx(AT_FDCWD, "file", 0, STATX_BASIC_STATS, &stx)); check("statx", &stx, sizeof stx);
    fill(&sfs, sizeof sfs, 0xa5); result("statfs", statfs(".", &sfs)); check("statfs", &sfs, sizeof sfs);
    fill(&sfs, sizeof sfs, 0xa5); result("fstatfs", fstatfs(fd, &sfs)); check("fstatfs", &sfs, sizeof sfs);
    fill(&svfs, sizeof svfs, 0xa5); result("statvfs", statvfs(".", &svfs)); check("statvfs", &svfs, sizeof svfs);
    fill(&svfs, sizeof svfs, 0xa5); result("fstatvfs", fstatvfs(fd, &svfs)); check("fstatvfs", &svfs, sizeof svfs);

    fill(cwd, sizeof cwd, 0xa5);
    result("getcwd", getcwd(cwd, sizeof cwd) == cwd); check("getcwd", cwd, strlen(cwd) + 1);
    fill(cwd, sizeof cwd, 0xa5);
    result("__getcwd_chk", __getcwd_chk(cwd, sizeof cwd, sizeof cwd) == cwd); check("__getcwd_chk", cwd, strlen(cwd) + 1);
    allocated_cwd = getcwd(NULL, 0);
    check("getcwd.allocated", allocated_cwd, strlen(allocated_cwd) + 1);
    check("getcwd.slot?", &allocated_cwd, sizeof allocated_cwd);

    fill(resolved, sizeof resolved, 0xa5);
    result("realpath", realpath("link", resolved) == resolved); check("realpath", resolved, strlen(resolved) + 1);
    fill(resolved, sizeof resolved, 0xa5);
    result("__realpath_chk", __realpath_chk("./link", resolved, sizeof resolved) == resolved);
    check("__realpath_chk", resolved, strlen(resolved) + 1);
    allocated_path = realpath("link", NULL);
    check("realpath.allocated", allocated_path, strlen(allocated_path) + 1);
    canonical = canonicalize_file_name("./file");
    check("canonicalize_file_name", canonical, strlen(canonical) + 1);

    fill(link_target, sizeof link_target, 0xa5);
    result("readlink", readlink("link", link_target, sizeof link_target)); check("readlink", link_target, sizeof link_target);
    fill(link_target, sizeof link_target, 0xa5);
    result("readlinkat", readlinkat(AT_FDCWD, "link", link_target, 2)); check("readlinkat", link_target, sizeof link_target);
    fill(link_target, sizeof link_target, 0xa5);
    result("__readlink_chk", __readlink_chk("link", link_target, 3, sizeof link_target));
    check("__readlink_chk", link_target, sizeof link_target);
    fill(link_target, sizeof link_target, 0xa5);
    result("__readlinkat_chk", __readlinkat_chk(AT_FDCWD, "link", link_target, 10, sizeof link_target));
    check("__readlinkat_chk", link_target, sizeof link_target);

    /* A lock query: the kernel answers in the struct (F_UNLCK: nobody holds a conflicting lock). */
    fill(&lock_query, sizeof lock_query, 0);
    lock_query.l_type = F_WRLCK;
    lock_query.l_whence = SEEK_SET;
    lock_query.l_len = 4;
    mirror_sync(&lock_query, sizeof lock_query);
    result("fcntl.F_GETLK", fcntl(fd, F_GETLK, &lock_query));
    check("fcntl.F_GETLK", &lock_query, sizeof lock_query);
    result("fcntl.F_GETFL", fcntl(fd, F_GETFL) & O_ACCMODE);

    /* Templates and paths edited in place. */
    int tmp = mkstemp(template_file);
    result("mkstemp", tmp >= 0); check("mkstemp", template_file, sizeof template_file);
    unlink(template_file);
    close(tmp);
    tmp = mkostemps(template_suffix, 4, O_CLOEXEC);
    result("mkostemps", tmp >= 0); check("mkostemps", template_suffix, sizeof template_suffix);
    unlink(template_suffix);
    close(tmp);
    result("mkdtemp", mkdtemp(template_dir) == template_dir); check("mkdtemp", template_dir, sizeof template_dir);
    rmdir(template_dir);
    result("dirname", strlen(dirname(path_to_cut))); check("dirname", path_to_cut, sizeof path_to_cut);
    result("basename", strlen(basename(trailing_slash))); check("basename", trailing_slash, sizeof trailing_slash);

    errno = 0;
    long bad = stat("no-such-file", &st);
    failure("stat.enoent", bad, errno);
    errno = 0;
    bad = readlink("file", link_target, sizeof link_target);
    failure("readlink.einval", bad, errno);
    errno = 0;
    bad = realpath("no-such-file", resolved) == NULL;
    failure("realpath.enoent", bad, errno);

    free(allocated_cwd);
    free(allocated_path);
    free(canonical);
    unlink("link");
    unlink("file");
    if (chdir("/") != 0 || rmdir(dir) != 0)
        DIE("cleanup");
    finish();
    return 0;
}
