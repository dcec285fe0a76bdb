/* Readline's history and completion with blocks crossing the boundary both ways (the library frees the
 * program's strdup'd strings and entries, the program frees the library's array): the real-library case
 * of the one allocator (runtime/heap/interpose.c). tests/deps/test_one_allocator.py runs it audited;
 * the README's readline campaign runs it under `mirrorpass campaign`. It writes its history to a file of
 * its own (mkstemp), so that runs in parallel do not share one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>
static const char *words[] = {"mirror", "mirrored", "mirrorpass", NULL};
static char *generate(const char *text, int state) {
    static int i;
    if (!state) i = 0;
    while (words[i]) { const char *w = words[i++]; if (strncmp(w, text, strlen(text)) == 0) return strdup(w); }
    return NULL;
}
static unsigned long digest = 14695981039346656037ul; /* FNV-1a over what the program kept */
static char **kept;                                        /* the program's copies, in the mirrored heap */

static int one_round(const char *path, int round, int print) {
    using_history();
    for (int i = 0; i < 50; i++) { char line[32]; snprintf(line, sizeof line, "command %d", i + 50 * round); add_history(line); }
    if (write_history(path) != 0) return 1;
    clear_history();
    int status = read_history_range(path, 10, 40);
    unlink(path); /* at once: a run that dies of a lost page leaves no file behind */
    if (status != 0) return 2;
    if (print) printf("history %d %s\n", history_length, history_get(history_base)->line);
    kept = realloc(kept, (size_t)history_length * sizeof *kept);
    for (int i = 0; i < history_length; i++) kept[i] = strdup(history_get(history_base + i)->line);
    HIST_ENTRY *mine = malloc(sizeof *mine);                          /* the library frees our blocks */
    mine->line = strdup("ours"); mine->timestamp = strdup(""); mine->data = NULL;
    free_history_entry(mine);
    char **matches = rl_completion_matches("mirror", generate);       /* our strdup'd strings in its array */
    int n = 0;
    for (; matches && matches[n]; n++) free(matches[n]);
    free(matches);
    if (print) printf("matches %d\n", n);
    HIST_ENTRY **list = history_list();
    int length = history_length;
    for (int i = 0; list && list[i]; i++) free_history_entry(remove_history(0));
    for (int i = 0; i < length; i++) {
        for (const char *c = kept[i]; *c; c++) digest = (digest ^ (unsigned char)*c) * 1099511628211ul;
        free(kept[i]);
    }
    return 0;
}

/* readline_history [ROUNDS]: one round prints what it read back; more print a digest too. */
int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    char path[] = "/tmp/readline-history-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 3;
    close(fd); /* write_history writes it by name; each round removes it after reading */
    for (int r = 0; r < rounds; r++) {
        int status = one_round(path, r, r == 0);
        if (status) return status;
    }
    unlink(path); /* ROUNDS 0: the file mkstemp made */
    if (rounds > 1) printf("digest %016lx\n", digest);
    free(kept);
    puts("ok");
    return 0;
}
