/* threads.c — one captured function called from 4 threads, each in its own segment. */
#include <pthread.h>
#include <stdio.h>
#include <xray_capture.h>

#define CALLS 200

XRAY_CAPTURE("worker_call") static long __attribute__((noinline)) work(long x) { return x * 3; }

static void *run(void *arg)
{
    long id = (long)arg, sum = 0;
    char name[16];
    snprintf(name, sizeof name, "worker_%ld", id);
    xray_begin_segment(name);
    for (long i = 0; i < CALLS; i++)
        sum += work(i);
    xray_end_segment();
    return (void *)sum;
}

int main(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, run, (void *)i);
    for (int i = 0; i < 4; i++) {
        void *sum;
        pthread_join(t[i], &sum);
        printf("thread %d sum %ld\n", i, (long)sum);
    }
    return 0;
}
