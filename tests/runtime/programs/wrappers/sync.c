/* pthread objects in globals and heap blocks, hammered by real threads: mutexes, a condition variable
 * (producer/consumer), rwlocks, spinlocks, semaphores, a barrier, once, thread ids and keys, and
 * attribute objects. Checked after the threads are joined, with some locks held so their words are
 * not back at their initial values. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "wrap_check.h"

#define THREADS 4
#define ROUNDS 20000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static sem_t tokens;
static pthread_barrier_t start_line;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_t threads[THREADS];
static pthread_key_t key;
static pthread_attr_t attr;
static pthread_mutexattr_t mutex_attr;
static pthread_condattr_t cond_attr;
static pthread_rwlockattr_t rwlock_attr;
static pthread_mutex_t *recursive; /* a heap block */
static long counter, spin_counter, table_reads, initialised;
static int queue[64], queued, consumed;
static void *exit_values[THREADS];
static int sem_value;

static void initialise(void)
{
    initialised++;
}

static void *worker(void *arg)
{
    long id = (long)arg;
    pthread_once(&once, initialise);
    pthread_setspecific(key, arg);
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++;
        pthread_mutex_unlock(&counter_lock);
        if (pthread_mutex_trylock(recursive) == 0) {
            pthread_mutex_lock(recursive);
            pthread_mutex_unlock(recursive);
            pthread_mutex_unlock(recursive);
        }
        pthread_spin_lock(&spin);
        spin_counter++;
        pthread_spin_unlock(&spin);
        if (i % 2 == 0) {
            pthread_rwlock_rdlock(&table_lock);
            __atomic_fetch_add(&table_reads, 1, __ATOMIC_RELAXED);
            pthread_rwlock_unlock(&table_lock);
        } else {
            pthread_rwlock_wrlock(&table_lock);
            table_reads++;
            pthread_rwlock_unlock(&table_lock);
        }
        sem_wait(&tokens);
        sem_post(&tokens);
    }
    /* Thread 0 consumes what the others produce through the condition variable. */
    if (id == 0) {
        pthread_mutex_lock(&queue_lock);
        while (consumed < 3 * 10) {
            while (queued == 0)
                pthread_cond_wait(&queue_nonempty, &queue_lock);
            queued--;
            consumed++;
        }
        pthread_mutex_unlock(&queue_lock);
    } else {
        for (int i = 0; i < 10; i++) {
            pthread_mutex_lock(&queue_lock);
            queue[queued++] = (int)id;
            pthread_cond_signal(&queue_nonempty);
            pthread_mutex_unlock(&queue_lock);
        }
    }
    return (void *)(id + 100);
}

int main(void)
{
    recursive = malloc(sizeof *recursive);
    fill(threads, sizeof threads, 0xa5);
    fill(&key, sizeof key, 0xa5);
    fill(&attr, sizeof attr, 0xa5);
    fill(&mutex_attr, sizeof mutex_attr, 0xa5);
    fill(&cond_attr, sizeof cond_attr, 0xa5);
    fill(&rwlock_attr, sizeof rwlock_attr, 0xa5);
    fill(recursive, sizeof *recursive, 0xa5);
    fill((void *)&spin, sizeof spin, 0xa5);
    fill(&tokens, sizeof tokens, 0xa5);
    fill(&start_line, sizeof start_line, 0xa5);

    pthread_mutexattr_init(&mutex_attr);
    pthread_mutexattr_settype(&mutex_attr, PTHREAD_MUTEX_RECURSIVE);
    check("pthread_mutexattr", &mutex_attr, sizeof mutex_attr);
    pthread_mutex_init(recursive, &mutex_attr);
    pthread_mutexattr_destroy(&mutex_attr);
    pthread_condattr_init(&cond_attr);
    pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
    check("pthread_condattr", &cond_attr, sizeof cond_attr);
    pthread_rwlockattr_init(&rwlock_attr);
    pthread_rwlockattr_setkind_np(&rwlock_attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    check("pthread_rwlockattr", &rwlock_attr, sizeof rwlock_attr);
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    sem_init(&tokens, 0, 2);
    pthread_barrier_init(&start_line, NULL, THREADS);
    pthread_key_create(&key, NULL);
    check("pthread_key_create", &key, sizeof key);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    check("pthread_attr", &attr, sizeof attr);

    for (long i = 0; i < THREADS; i++)
        if (pthread_create(&threads[i], &attr, worker, (void *)i) != 0)
            DIE("pthread_create");
    check("pthread_create", threads, sizeof threads);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], &exit_values[i]);
    check("pthread_join", exit_values, sizeof exit_values);
    result("counter", counter);
    result("spin_counter", spin_counter);
    result("table_reads", table_reads);
    result("consumed", consumed);
    result("initialised", initialised);

    /* A wait that times out at once still registers as a waiter: the condition's words change even
     * when the consumer above never had to wait. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    pthread_mutex_lock(&queue_lock);
    result("cond_timedwait", pthread_cond_timedwait(&queue_nonempty, &queue_lock, &deadline));
    pthread_mutex_unlock(&queue_lock);

    /* Hold some of them, so that their words differ from their initial (seeded) values. */
    pthread_mutex_lock(&counter_lock);
    pthread_mutex_lock(recursive);
    pthread_mutex_lock(recursive);
    pthread_spin_lock(&spin);
    pthread_rwlock_rdlock(&table_lock);
    sem_post(&tokens);
    sem_getvalue(&tokens, &sem_value);
    result("sem_value", sem_value);
    check("mutex", &counter_lock, sizeof counter_lock);
    check("mutex.recursive", recursive, sizeof *recursive);
    check("mutex.queue?", &queue_lock, sizeof queue_lock);
    check("cond", &queue_nonempty, sizeof queue_nonempty);
    check("rwlock", &table_lock, sizeof table_lock);
    check("spin", (const void *)&spin, sizeof spin);
    check("sem", &tokens, sizeof tokens);
    check("sem_getvalue", &sem_value, sizeof sem_value);
    check("barrier", &start_line, sizeof start_line);
    check("once", &once, sizeof once);
    check("counters?", &counter, sizeof counter);

    errno = 0;
    result("trylock.ebusy", pthread_mutex_trylock(&counter_lock));
    result("spin_trylock.ebusy", pthread_spin_trylock(&spin));
    finish();
    return 0;
}
