// glibc's sem_clockwait (a semaphore wait with a deadline on a chosen clock, glibc 2.30+), which
// Swift's Glibc module does not export: glibc declares it only under _GNU_SOURCE. The runtime's
// parked threads time their waits against CLOCK_MONOTONIC with it, so that a step of the wall
// clock cannot stretch a timeout.
#ifdef __linux__
#include <semaphore.h>
#include <time.h>
extern int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime);
#endif
