/* ledger.c — the bundled example: a small in-memory ledger whose state lives in globals and on the
 * heap. Built with mirror-cc, every write it makes is mirrored; at the end it asks the runtime how
 * many of its bytes differ from their mirror (0 means every page could be rebuilt exactly). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef MIRRORED
#include "mirror.h"
#endif

enum { ACCOUNTS = 4096, TRANSFERS = 4000000 };

struct account {
    long balance;
    unsigned transfers;
    char owner[20];
};

static struct account *accounts;
static long total_moved;
static unsigned seed = 12345;

static unsigned next_random(void) {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static void name_account(struct account *a, unsigned i) {
    static const char digits[] = "0123456789";
    memcpy(a->owner, "owner-", 6);
    for (int d = 0; d < 5; d++) {
        a->owner[6 + 4 - d] = digits[i % 10];
        i /= 10;
    }
    a->owner[11] = '\0';
}

int main(void) {
    accounts = calloc(ACCOUNTS, sizeof *accounts);
    if (!accounts) return 1;
    for (unsigned i = 0; i < ACCOUNTS; i++) {
        accounts[i].balance = 1000;
        name_account(&accounts[i], i);
    }
    for (unsigned t = 0; t < TRANSFERS; t++) {
        struct account *from = &accounts[next_random() % ACCOUNTS];
        struct account *to = &accounts[next_random() % ACCOUNTS];
        long amount = next_random() % 50;
        if (from == to || from->balance < amount) continue;
        from->balance -= amount;
        to->balance += amount;
        from->transfers++;
        to->transfers++;
        total_moved += amount;
    }
    long sum = 0;
    unsigned richest = 0;
    for (unsigned i = 0; i < ACCOUNTS; i++) {
        sum += accounts[i].balance;
        if (accounts[i].balance > accounts[richest].balance) richest = i;
    }
    printf("accounts: %d, money: %ld, moved: %ld\n", ACCOUNTS, sum, total_moved);
    printf("richest: %s with %ld after %u transfers\n", accounts[richest].owner, accounts[richest].balance,
           accounts[richest].transfers);
#ifdef MIRRORED
    size_t bytes = ACCOUNTS * sizeof *accounts;
    size_t diverged = mirror_diff(accounts, bytes) + mirror_diff(&total_moved, sizeof total_moved) +
                      mirror_diff(&seed, sizeof seed);
    printf("mirror: %zu protected bytes checked, %zu differ from their mirror\n", bytes + sizeof total_moved + sizeof seed,
           diverged);
#endif
    free(accounts);
    return 0;
}
