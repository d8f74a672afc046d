/*
 * latency_probe: a compiled latency probe for nanochat and Redis pub/sub,
 * the yardstick that tells whether `nanochat bench` (JavaScript, like the
 * server) sets the latency it reports (issue 15). One thread, epoll and a
 * timerfd: its own cost per delivery is a read and a scan, about a
 * microsecond, far below either server's.
 *
 * usage: latency_probe PROTO PORTS RECEIVERS SENDERS RATE SECONDS
 *   PROTO  nanochat (the line protocol) or redis (pub/sub)
 *   PORTS  loopback ports, comma-separated: connections take them in turn
 *          (the nodes of a cluster)
 *
 * Receivers log in (or SUBSCRIBE) one after the other; an untimed message
 * (`~prime~`) from each sender must then reach every receiver, so the server has finished
 * with the logins (presence notices, a cluster's replicas) before anything
 * is timed; then message n is due at n / RATE seconds (open loop) and sent by sender n mod SENDERS,
 * carrying its number and the send time. Each receiver checks every message
 * once. The run ends when every delivery arrived, or 5 s after the last send.
 * Prints one line of JSON:
 *   {"expected":N,"deliveries":N,"lost":N,"duplicated":N,"p50_ms":x,"p99_ms":x,"max_ms":x,"cpu_ms":x}
 * (cpu_ms: the probe's own CPU time from the first send to the end).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Latencies are counted in 10 µs buckets up to a minute. */
#define BUCKET_US 10
#define BUCKETS (60 * 1000 * 1000 / BUCKET_US)
/* A line longer than this is not a probe message: it is skipped. */
#define LINE_MAX 256
#define SETTLE_US (5 * 1000 * 1000)
#define START_DELAY_US (200 * 1000)
#define MAX_PORTS 16
#define PRIME_TIMEOUT_US (60 * 1000 * 1000)

struct receiver {
  char line[LINE_MAX];
  size_t length;
  uint8_t *seen; /* one bit per message */
  int primed;
};

static uint32_t *histogram;
static uint64_t deliveries, duplicated;
static int primed;

static void fail(const char *what) {
  fprintf(stderr, "latency_probe: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double cpu_ms(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec * 1e3 + usage.ru_utime.tv_usec / 1e3 +
         usage.ru_stime.tv_sec * 1e3 + usage.ru_stime.tv_usec / 1e3;
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void send_all(int fd, const char *bytes, size_t length) {
  while (length > 0) {
    ssize_t written = send(fd, bytes, length, MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    bytes += written;
    length -= (size_t)written;
  }
}

/* Reads byte by byte until `newlines` line ends have come: a login's welcome, a SUBSCRIBE's reply. */
static void read_lines(int fd, int newlines) {
  char byte;
  while (newlines > 0) {
    ssize_t got = recv(fd, &byte, 1, 0);
    if (got <= 0) {
      errno = got == 0 ? ECONNRESET : errno;
      fail("login");
    }
    if (byte == '\n') newlines--;
  }
}

/* A line holding `~N.T~` is message N sent at T µs: count it once per receiver. */
static void take_line(struct receiver *receiver, const char *line, size_t length, uint32_t messages) {
  const char *mark = memchr(line, '~', length);
  if (mark == NULL) return;
  if (strncmp(mark, "~prime~", 7) == 0) {
    if (!receiver->primed) primed++;
    receiver->primed = 1;
    return;
  }
  char *end;
  unsigned long sequence = strtoul(mark + 1, &end, 10);
  if (*end != '.' || sequence >= messages) return;
  unsigned long long sent = strtoull(end + 1, &end, 10);
  if (*end != '~') return;
  uint8_t bit = (uint8_t)(1u << (sequence & 7));
  if (receiver->seen[sequence >> 3] & bit) {
    duplicated++;
    return;
  }
  receiver->seen[sequence >> 3] |= bit;
  deliveries++;
  uint64_t bucket = (now_us() - sent) / BUCKET_US;
  histogram[bucket < BUCKETS ? bucket : BUCKETS - 1]++;
}

static void take_bytes(struct receiver *receiver, const char *bytes, size_t length, uint32_t messages) {
  for (size_t i = 0; i < length; i++) {
    char byte = bytes[i];
    if (byte == '\n') {
      take_line(receiver, receiver->line, receiver->length, messages);
      receiver->length = 0;
    } else if (receiver->length < LINE_MAX - 1) {
      receiver->line[receiver->length++] = byte;
      receiver->line[receiver->length] = 0;
    }
  }
}

static double percentile_ms(double fraction) {
  if (deliveries == 0) return 0;
  uint64_t rank = (uint64_t)(fraction * (double)(deliveries - 1)) + 1, seen = 0;
  for (uint64_t bucket = 0; bucket < BUCKETS; bucket++) {
    seen += histogram[bucket];
    if (seen >= rank) return (double)(bucket * BUCKET_US + BUCKET_US / 2) / 1000.0;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: latency_probe nanochat|redis PORTS RECEIVERS SENDERS RATE SECONDS\n");
    return 2;
  }
  int redis = strcmp(argv[1], "redis") == 0;
  int ports[MAX_PORTS], port_count = 0;
  for (char *cursor = argv[2]; port_count < MAX_PORTS; cursor++) {
    ports[port_count++] = atoi(cursor);
    cursor = strchr(cursor, ',');
    if (cursor == NULL) break;
  }
  int port = ports[0], receivers = atoi(argv[3]), senders = atoi(argv[4]);
  double rate = atof(argv[5]), seconds = atof(argv[6]);
  uint32_t messages = (uint32_t)(rate * seconds);
  for (int i = 0; i < port_count; i++) port = ports[i] < port ? ports[i] : port;
  if ((!redis && strcmp(argv[1], "nanochat") != 0) || port <= 0 || receivers <= 0 || senders <= 0 ||
      rate <= 0 || messages == 0) {
    fprintf(stderr, "latency_probe: bad arguments\n");
    return 2;
  }
  histogram = calloc(BUCKETS, sizeof *histogram);
  struct receiver *state = calloc((size_t)receivers, sizeof *state);
  int *fds = calloc((size_t)(receivers + senders), sizeof *fds);
  if (histogram == NULL || state == NULL || fds == NULL) fail("calloc");

  char text[128];
  for (int i = 0; i < receivers + senders; i++) {
    fds[i] = connect_to(ports[i % port_count]);
    if (i < receivers) {
      state[i].seen = calloc(messages / 8 + 1, 1);
      if (state[i].seen == NULL) fail("calloc");
    }
    if (redis) {
      if (i < receivers) {
        send_all(fds[i], "SUBSCRIBE probe\r\n", 17);
        read_lines(fds[i], 6); /* *3 $9 subscribe $5 probe :1 */
      }
    } else {
      int length = snprintf(text, sizeof text, "%s%d\n", i < receivers ? "probe-r" : "probe-s",
                            i < receivers ? i : i - receivers);
      send_all(fds[i], text, (size_t)length);
      read_lines(fds[i], 1); /* NOTICE welcome: … */
    }
  }

  int epoll = epoll_create1(0);
  int timer = timerfd_create(CLOCK_MONOTONIC, 0);
  if (epoll < 0 || timer < 0) fail("epoll");
  for (int i = 0; i < receivers + senders; i++) {
    struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fds[i], &event) < 0) fail("epoll_ctl");
  }
  struct epoll_event timer_event = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, timer, &timer_event) < 0) fail("epoll_ctl");

  uint64_t expected = (uint64_t)messages * (uint64_t)receivers;
  uint32_t next = 0;
  double cpu_start = -1;
  static char buffer[1 << 16];
  struct epoll_event events[256];
  for (int i = receivers; i < receivers + senders; i++) {
    if (redis) send_all(fds[i], "PUBLISH probe ~prime~\r\n", 23);
    else send_all(fds[i], "*~prime~\n", 9);
  }
  uint64_t prime_deadline = now_us() + PRIME_TIMEOUT_US, start = 0;
  for (;;) {
    uint64_t now = now_us();
    if (start == 0) {
      if (primed == receivers) start = now + START_DELAY_US;
      else if (now > prime_deadline) {
        errno = ETIMEDOUT;
        fail("the untimed first message did not reach every receiver");
      }
    }
    /* Every message due by now goes out, each from its sender. */
    while (start != 0 && next < messages && start + (uint64_t)(next * 1e6 / rate) <= now) {
      if (cpu_start < 0) cpu_start = cpu_ms();
      int length = redis ? snprintf(text, sizeof text, "PUBLISH probe ~%u.%llu~\r\n", next,
                                    (unsigned long long)now_us())
                         : snprintf(text, sizeof text, "*~%u.%llu~\n", next, (unsigned long long)now_us());
      send_all(fds[receivers + (int)(next % (uint32_t)senders)], text, (size_t)length);
      next++;
    }
    uint64_t last_due = start + (uint64_t)((messages - 1) * 1e6 / rate);
    if (start != 0 && (deliveries >= expected || (next == messages && now > last_due + SETTLE_US))) {
      break;
    }
    uint64_t wake = start == 0          ? now + 10 * 1000
                    : next < messages ? start + (uint64_t)(next * 1e6 / rate)
                                      : last_due + SETTLE_US;
    struct itimerspec when = {.it_value = {.tv_sec = (time_t)(wake / 1000000u),
                                           .tv_nsec = (long)(wake % 1000000u) * 1000}};
    timerfd_settime(timer, TFD_TIMER_ABSTIME, &when, NULL);
    int ready = epoll_wait(epoll, events, 256, -1);
    if (ready < 0 && errno != EINTR) fail("epoll_wait");
    for (int e = 0; e < ready; e++) {
      uint32_t index = events[e].data.u32;
      if (index == UINT32_MAX) {
        uint64_t expirations;
        if (read(timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) fail("timerfd");
        continue;
      }
      ssize_t got = recv(fds[index], buffer, sizeof buffer, MSG_DONTWAIT);
      if (got == 0) {
        errno = ECONNRESET;
        fail("the server closed a connection");
      }
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        fail("recv");
      }
      /* Senders' sockets carry replies and other senders' lines: drained, not counted. */
      if (index < (uint32_t)receivers) take_bytes(&state[index], buffer, (size_t)got, messages);
    }
  }
  double cpu = cpu_ms() - cpu_start;
  printf("{\"expected\":%llu,\"deliveries\":%llu,\"lost\":%llu,\"duplicated\":%llu,"
         "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,\"cpu_ms\":%.0f}\n",
         (unsigned long long)expected, (unsigned long long)deliveries,
         (unsigned long long)(expected - deliveries), (unsigned long long)duplicated,
         percentile_ms(0.50), percentile_ms(0.99), percentile_ms(1.0), cpu);
  return 0;
}
