/* service.c — a bundled example service whose critical state is small: a ledger of 4096 accounts
 * (128 KiB) amid 16 MiB of working memory (a request log, a duplicate-request cache, text buffers).
 *
 * Each request is formatted as text, parsed back, checked against the duplicate cache, logged, and
 * applied to the ledger. Only the ledger must survive a memory error: it lives in mirror_calloc memory
 * and only the MIRROR_PROTECT functions write it. Built with -fmirror-mode=annotated, only their
 * writes are mirrored; built in the default mode, everything is. `mirrorpass bench --projects service
 * --variants native,segment,annotated` compares the two.
 *
 *   ./service [requests]     (default 2,000,000) prints the ledger's checksum, the same for every build
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MIRRORED
#include "mirror.h"
#else /* a plain clang build */
#define MIRROR_PROTECT
#define mirror_calloc calloc
#define mirror_free free
#endif

enum { ACCOUNTS = 4096, CACHE_SLOTS = 1 << 20, LOG_BYTES = 8 << 20 };

struct account {
    long balance;
    long credits, debits;
    unsigned long last_request;
};

struct request {
    unsigned long id;
    unsigned from, to;
    long amount;
};

static struct account *ledger;  /* critical: mirror_calloc */
static unsigned long *cache;    /* working memory: the ids seen recently */
static char *request_log;       /* working memory: a ring of request texts */
static size_t log_at;
static unsigned long random_state = 88172645463325252ul;

static unsigned long next_random(void)
{
    random_state ^= random_state << 13, random_state ^= random_state >> 7, random_state ^= random_state << 17;
    return random_state;
}

MIRROR_PROTECT static int transfer(const struct request *r)
{
    struct account *from = &ledger[r->from], *to = &ledger[r->to];
    if (from == to || from->balance < r->amount)
        return 0;
    from->balance -= r->amount, from->debits++, from->last_request = r->id;
    to->balance += r->amount, to->credits++, to->last_request = r->id;
    return 1;
}

MIRROR_PROTECT static void open_accounts(void)
{
    for (unsigned i = 0; i < ACCOUNTS; i++)
        ledger[i].balance = 10000;
}

/* The wire format, "req <id> from <a> to <b> amount <n>\n", written and read by hand. */
static char *put_number(char *at, const char *label, unsigned long value)
{
    char digits[24];
    int n = 0;
    while (*label)
        *at++ = *label++;
    do
        digits[n++] = (char)('0' + value % 10);
    while ((value /= 10) != 0);
    while (n > 0)
        *at++ = digits[--n];
    return at;
}

static size_t format(char *text, unsigned long id, unsigned from, unsigned to, long amount)
{
    char *at = put_number(text, "req ", id);
    at = put_number(at, " from ", from);
    at = put_number(at, " to ", to);
    at = put_number(at, " amount ", (unsigned long)amount);
    *at++ = '\n';
    return (size_t)(at - text);
}

static const char *get_number(const char *at, const char *label, unsigned long *value)
{
    while (*label)
        if (*at++ != *label++)
            return NULL;
    if (*at < '0' || *at > '9')
        return NULL;
    for (*value = 0; *at >= '0' && *at <= '9'; at++)
        *value = *value * 10 + (unsigned long)(*at - '0');
    return at;
}

static int parse(const char *text, struct request *r)
{
    unsigned long from, to, amount;
    const char *at = get_number(text, "req ", &r->id);
    at = at ? get_number(at, " from ", &from) : NULL;
    at = at ? get_number(at, " to ", &to) : NULL;
    at = at ? get_number(at, " amount ", &amount) : NULL;
    if (!at || *at != '\n' || from >= ACCOUNTS || to >= ACCOUNTS)
        return -1;
    r->from = (unsigned)from, r->to = (unsigned)to, r->amount = (long)amount;
    return 0;
}

static int seen_before(unsigned long id)
{
    unsigned long *slot = &cache[(id * 0x9E3779B97F4A7C15ul) >> 44];
    if (*slot == id)
        return 1;
    *slot = id;
    return 0;
}

static void log_request(const char *text, size_t n)
{
    if (log_at + n > LOG_BYTES)
        log_at = 0;
    memcpy(request_log + log_at, text, n);
    log_at += n;
}

int main(int argc, char **argv)
{
    unsigned long requests = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
    ledger = mirror_calloc(ACCOUNTS, sizeof *ledger);
    cache = calloc(CACHE_SLOTS, sizeof *cache);
    request_log = malloc(LOG_BYTES);
    if (!ledger || !cache || !request_log)
        return 1;
    open_accounts();
    unsigned long applied = 0, duplicates = 0;
    char text[96];
    for (unsigned long i = 0; i < requests; i++) {
        unsigned long id = next_random() % (requests * 4) + 1; /* some ids repeat: duplicates */
        unsigned from = (unsigned)(next_random() % ACCOUNTS), to = (unsigned)(next_random() % ACCOUNTS);
        size_t n = format(text, id, from, to, (long)(next_random() % 500));
        struct request r;
        if (parse(text, &r) != 0)
            return 2;
        if (seen_before(r.id)) {
            duplicates++;
            continue;
        }
        log_request(text, n);
        applied += (unsigned long)transfer(&r);
    }
    unsigned long checksum = 0;
    long money = 0;
    for (unsigned i = 0; i < ACCOUNTS; i++) {
        money += ledger[i].balance;
        checksum = checksum * 31 + (unsigned long)ledger[i].balance + ledger[i].credits * 7 + ledger[i].debits;
    }
    printf("requests %lu applied %lu duplicates %lu money %ld checksum %lu\n", requests, applied, duplicates, money,
           checksum);
    mirror_free(ledger);
    free(cache);
    free(request_log);
    return 0;
}
