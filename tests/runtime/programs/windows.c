/* Prints /proc/self/maps (or, with the argument "smaps", /proc/self/smaps) as seen from main, after
 * start-up reserved the mirror windows. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *path = argc == 2 && strcmp(argv[1], "smaps") == 0 ? "/proc/self/smaps" : "/proc/self/maps";
    FILE *maps = fopen(path, "r");
    if (maps == NULL)
        return 2;
    char line[4096];
    while (fgets(line, sizeof line, maps) != NULL)
        fputs(line, stdout);
    fclose(maps);
    return 0;
}
