/* stdio input from a real file: fread, fgets (also a line with a NUL byte inside), getline and getdelim
 * with buffers that start empty, that are big enough, and that must grow. */
#define _GNU_SOURCE
#include <unistd.h>

#include "wrap_check.h"

size_t __fread_chk(void *ptr, size_t ptrlen, size_t size, size_t n, FILE *stream);
char *__fgets_chk(char *s, size_t size, int n, FILE *stream);
ssize_t __getdelim(char **lineptr, size_t *n, int delim, FILE *stream);

static char global_buf[200];
static char *line;      /* starts NULL: getline allocates */
static size_t line_cap;
static char *grown;     /* starts small: getline must grow it */
static size_t grown_cap;

static const char contents[] =
    "first line\n"
    "second line, a bit longer than the first\n"
    "third\0line with a NUL inside\n"
    "fourth line for fgets_unlocked\n"
    "fifth line for the fortified fgets\n"
    "field one;field two;a very long third field that does not fit the initial buffer at all, really not;\n"
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-records-for-fread-0123456789\n"
    "last line without a newline";

static FILE *open_contents(void)
{
    char path[] = "/tmp/mirror-wrap-stdio-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, contents, sizeof contents - 1) != (ssize_t)(sizeof contents - 1))
        DIE("temp file");
    unlink(path);
    FILE *f = fdopen(fd, "r");
    if (f == NULL)
        DIE("fdopen");
    rewind(f);
    return f;
}

int main(void)
{
    FILE *f = open_contents();
    char *heap = malloc(200);

    fill(global_buf, sizeof global_buf, 0xa5);
    result("fgets", fgets(global_buf, sizeof global_buf, f) != NULL);
    check("fgets", global_buf, sizeof global_buf);
    fill(heap, 200, 0xa5);
    result("fgets.heap", fgets(heap, 200, f) != NULL);
    check("fgets.heap", heap, 200);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("fgets.nul", fgets(global_buf, sizeof global_buf, f) != NULL);
    check("fgets.nul", global_buf, sizeof global_buf);
    fill(heap, 200, 0xa5);
    result("fgets_unlocked", fgets_unlocked(heap, 200, f) != NULL);
    check("fgets_unlocked", heap, 200);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("__fgets_chk", __fgets_chk(global_buf, sizeof global_buf, sizeof global_buf, f) != NULL);
    check("__fgets_chk", global_buf, sizeof global_buf);

    /* getline into an empty buffer, then getdelim into a small one that has to grow. */
    result("getdelim.initial", getdelim(&line, &line_cap, ';', f));
    check("getdelim.pointer", &line, sizeof line);
    check("getdelim.capacity", &line_cap, sizeof line_cap);
    check("getdelim.initial", line, strlen(line) + 1);
    grown = malloc(8);
    grown_cap = 8;
    fill(grown, 8, 0xa5);
    result("getdelim.grow", getdelim(&grown, &grown_cap, ';', f));
    check("getdelim.grow.pointer?", &grown, sizeof grown); /* glibc may grow the block in place */
    check("getdelim.grow.capacity", &grown_cap, sizeof grown_cap);
    check("getdelim.grow", grown, strlen(grown) + 1);
    result("__getdelim", __getdelim(&grown, &grown_cap, ';', f));
    check("__getdelim.buffer", grown, strlen(grown) + 1);
    result("getline", getline(&line, &line_cap, f));
    check("getline", line, strlen(line) + 1);

    /* fread: whole records into the heap, then a short read whose last record is partial. */
    fill(heap, 200, 0xa5);
    result("fread", fread(heap, 10, 5, f));
    check("fread", heap, 200);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("fread_unlocked", fread_unlocked(global_buf, 1, 20, f));
    check("fread_unlocked", global_buf, sizeof global_buf);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("__fread_chk", __fread_chk(global_buf, sizeof global_buf, 7, 4, f));
    check("__fread_chk", global_buf, sizeof global_buf);
    fill(heap, 200, 0xa5);
    result("fread.partial", fread(heap, 16, 10, f));
    check("fread.partial", heap, 200);

    /* End of file: nothing is written, the results are libc's. */
    rewind(f);
    fseek(f, 0, SEEK_END);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("fgets.eof", fgets(global_buf, sizeof global_buf, f) != NULL);
    check("fgets.eof?", global_buf, sizeof global_buf);
    errno = 0;
    long eof = getline(&line, &line_cap, f);
    failure("getline.eof", eof, errno);
    errno = 0;
    long bad = getline(NULL, &line_cap, f);
    failure("getline.einval", bad, errno);

    free(line);
    free(grown);
    fclose(f);
    finish();
    return 0;
}
