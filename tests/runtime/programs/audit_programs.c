/* Programs whose every write is instrumented: their audit must be 0. Modes:
 *   plain    globals of every shape (.data, .bss, statics, structs, arrays, pointers) and heap memory
 *   threads  several threads writing shared and private globals and heap memory
 *   fork     the child writes globals and heap memory; both audit
 * Prints audit=<bytes> (per process), so a test sees each process's result. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mirror.h"

#define THREADS 4
#define ROUNDS 20000

struct record {
    int id;
    double weight;
    char label[24];
    struct record *next;
};

long counter = 1;
int numbers[1000];
static struct record records[64];
static char text[256] = "initial";
static struct record *list;
static long per_thread[THREADS][8];
static long shared_total;
static char *heap_blocks[THREADS];

static void write_globals(int salt)
{
    for (int i = 0; i < 1000; i++)
        numbers[i] = i * salt;
    for (int i = 0; i < 64; i++) {
        records[i].id = i + salt;
        records[i].weight = i * 0.5;
        records[i].label[0] = 'r';
        records[i].label[1] = (char)('0' + i % 10);
        records[i].label[2] = '\0';
        records[i].next = i ? &records[i - 1] : NULL;
    }
    memcpy(text, "hello, mirror", 14);
    list = &records[63];
    counter += salt;
}

static char *write_heap(size_t n, int salt)
{
    char *block = malloc(n);
    for (size_t i = 0; i < n; i++)
        block[i] = (char)(i + salt);
    return block;
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    heap_blocks[id] = write_heap(8192, id);
    for (int round = 0; round < ROUNDS; round++) {
        per_thread[id][round % 8] += round;
        __atomic_fetch_add(&shared_total, 1, __ATOMIC_RELAXED);
        heap_blocks[id][round % 8192] ^= (char)round;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "plain";
    write_globals(3);
    char *block = write_heap(100000, 1);

    if (strcmp(mode, "threads") == 0) {
        pthread_t threads[THREADS];
        for (long i = 0; i < THREADS; i++)
            pthread_create(&threads[i], NULL, worker, (void *)i);
        for (int i = 0; i < THREADS; i++)
            pthread_join(threads[i], NULL);
        printf("shared_total=%ld\n", shared_total);
    } else if (strcmp(mode, "fork") == 0) {
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            write_globals(5);
            char *child_block = write_heap(50000, 2);
            printf("child_audit=%zu child_numbers=%d\n", mirror_audit(), numbers[10]);
            free(child_block);
            return 0;
        }
        int status;
        waitpid(child, &status, 0);
        printf("child_status=%d parent_numbers=%d\n", status, numbers[10]);
    }
    printf("audit=%zu checksum=%d\n", mirror_audit(), block[99999] + (int)counter);
    free(block);
    return 0;
}
