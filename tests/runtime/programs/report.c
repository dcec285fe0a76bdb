/* Drives the runtime's message writer (internal API) with each conversion it supports. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "mirror.h"

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "formats") == 0) {
        _mirror_report("s=%s c=%c d=%d i=%i u=%u x=%x", "text", 'Q', -42, INT_MIN, UINT_MAX, 0xbeefu);
        _mirror_report("ld=%ld lu=%lu lx=%lx", LONG_MIN, ULONG_MAX, 0x1234abcdUL);
        _mirror_report("lld=%lld llu=%llu llx=%llx", LLONG_MIN, 0ULL, 0xffffb00000000000ULL);
        _mirror_report("zu=%zu zx=%zx p=%p null=%p pct=%% s_null=%s", (size_t)12345, (size_t)0xfff,
                       (void *)0x510000000000, (void *)0, (const char *)NULL);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "long") == 0) {
        char text[2000];
        memset(text, 'y', sizeof text - 1);
        text[sizeof text - 1] = '\0';
        _mirror_report("%s", text);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "fatal") == 0)
        _mirror_fatal("stopping with %d", 7);
    if (argc == 2 && strcmp(argv[1], "diff_outside") == 0)
        mirror_diff((const void *)0x1000, 16);
    return 3;
}
