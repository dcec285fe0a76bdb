/* A registered region of 64 resident pages, either page-aligned ("aligned") or starting 100 bytes into
 * its first page and ending 100 bytes before the end of its last ("partial"): then only 62 pages are
 * wholly protected, and only those can be restored, so coverage must count 62. */
#include <string.h>
#include <sys/mman.h>

#include "mirror.h"

#define PAGES 64

int main(int argc, char **argv)
{
    char *region = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        return 2;
    memset(region, 1, PAGES * 4096);
    size_t trim = argc > 1 && strcmp(argv[1], "partial") == 0 ? 100 : 0;
    if (mirror_register(region + trim, PAGES * 4096 - 2 * trim) != 0)
        return 3;
    return 0; /* coverage is sampled once more at exit */
}
