/* rounds_main.c — runs an e2e program's whole main() MIRROR_E2E_ROUNDS times, so that a run lasts long
 * enough for fault injection (test_injection.py) in programs that do not repeat their own workload.
 *
 * The program is compiled with -Dmain=e2e_program_main and linked with this file, natively and
 * mirrored alike, so both builds run the same rounds. Only the last round's stdout is kept (the others
 * go to /dev/null: thousands of rounds of a short program would print megabytes), and mcheck_report()
 * (mcheck.h) reads mcheck_rounds_after to report only then. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#undef main /* the -Dmain=e2e_program_main of the compile line is for the program, not for us */

int e2e_program_main(void);
int mcheck_rounds_after;

int main(void)
{
    const char *text = getenv("MIRROR_E2E_ROUNDS");
    int rounds = text && atoi(text) > 0 ? atoi(text) : 1;
    int kept = dup(1), null = open("/dev/null", O_WRONLY);
    if (kept < 0 || null < 0)
        return perror("rounds_main"), 2;
    for (int round = 0; round < rounds; round++) {
        mcheck_rounds_after = rounds - 1 - round;
        fflush(stdout);
        dup2(mcheck_rounds_after ? null : kept, 1);
        int status = e2e_program_main();
        if (status != 0)
            return status;
    }
    return 0;
}
