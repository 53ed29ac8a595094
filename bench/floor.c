// The floor: what reading every /proc/[pid]/stat costs with nothing else around it. One
// thread, one reused buffer, the fields prockit reads parsed by hand. Prints the median
// milliseconds of `iterations` rounds after one warm-up round, then the process count.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static volatile long sink;

static int read_all(void) {
  DIR *proc = opendir("/proc");
  if (!proc) return -1;
  int dirfd_ = dirfd(proc), count = 0;
  char path[32], buf[1024];
  struct dirent *entry;
  while ((entry = readdir(proc))) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "%s/stat", entry->d_name);
    int fd = openat(dirfd_, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) continue;
    buf[n] = 0;
    char *close_paren = strrchr(buf, ')');
    if (!close_paren) continue;
    // state ppid pgrp session ... starttime(22) vsize(23) rss(24)
    long fields[24] = {0};
    char *p = close_paren + 2;
    for (int i = 3; i <= 24 && *p; i++) {
      if (i == 3) { fields[i] = *p; p += 2; continue; }
      fields[i] = strtol(p, &p, 10);
      if (*p == ' ') p++;
    }
    sink += fields[4] + fields[22] + fields[24];
    count++;
  }
  closedir(proc);
  return count;
}

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 20;
  if (iterations < 1) iterations = 1;
  double *times = calloc(iterations, sizeof *times);
  int count = read_all();
  for (int i = 0; i < iterations; i++) {
    double start = now_ms();
    count = read_all();
    times[i] = now_ms() - start;
  }
  qsort(times, iterations, sizeof *times, cmp);
  printf("%.4f %d\n", times[iterations / 2], count);
  free(times);
  return 0;
}
