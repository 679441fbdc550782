/*
 * tftp_pump: the data phase of a served TFTP read (RRQ) on a kernel UDP socket, run by a small
 * pool of worker threads (epoll over the transfers' sockets). Node's dgram costs a trip through the
 * event loop and a JS callback per datagram, which caps lock-step TFTP well below a C server; this
 * moves the DATA/ACK loop next to the socket.
 *
 * What stays in TypeScript (src/netboot/tftp-server.ts): parsing the request, file name checks and
 * the confined open, option negotiation (the OACK bytes arrive here ready-made), caps, events.
 * What runs here is exactly the sender state machine of src/protocols/tftp/sender.ts, rule for rule
 * (docs/netboot-facts.md §1):
 *   - RFC 1350 §4 lock-step; RFC 7440 windows: send `windowsize` blocks, then wait for one ACK; an ACK
 *     inside the window restarts the window at ACK + 1.
 *   - Retransmit only on timeout, from the last ACK + 1, with exponential backoff capped at
 *     max_retransmit_ms; a duplicate or stale ACK never causes a send (RFC 1123 §4.2.3.1).
 *   - Block numbers wrap 65535 -> 0 on the wire; internally blocks are absolute.
 *   - After an OACK the client ACKs block 0 (RFC 2347 §3); an ERROR instead (the Raspberry Pi's
 *     "Early terminate") ends the transfer as a client abort.
 *   - A datagram from another address or port gets ERROR 5 and the transfer goes on (RFC 1350 §4).
 *   - A well-formed RRQ/WRQ/DATA/OACK from the peer ends the transfer with ERROR 4 (RFC 1350 §7);
 *     short or unknown datagrams are treated as loss.
 *   - A whole-transfer deadline; an abort from the server sends ERROR 0 first.
 *
 * Bytes come from a file descriptor (pread with read-ahead; the caller keeps it open until the
 * completion callback) or from a caller-owned buffer kept alive by a reference.
 *
 * JS interface (see native-tftp-pump.ts): start(job, done) -> handle; port(handle);
 * stats(handle) -> [bytesAcked, blocksSent, retransmits, duplicateAcks, foreignDatagrams,
 * badDatagrams, gsoSends]; abort(handle). `done(result)` runs on the JS thread once the transfer has ended
 * and its socket has left the worker.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Outcomes, mirrored by name in native-tftp-pump.ts. */
enum { OUT_COMPLETE = 0, OUT_CLIENT_ABORT = 1, OUT_TIMEOUT = 2, OUT_PROTOCOL = 3 };

#define READ_AHEAD (1u << 20)
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
/* One GSO send carries at most 64 segments (UDP_MAX_SEGMENTS on older kernels) and must fit an IP
 * datagram (65507 bytes of UDP payload over IPv4). */
#define GSO_MAX_SEGMENTS 64
#define GSO_BUDGET 65000
/* The largest window one sendmmsg batch carries; reported to TypeScript by limits(). */
#define MAX_WINDOW 64
/* RFC 2348 §2: blksize 8..65464. */
#define BLKSIZE_MIN 8
#define BLKSIZE_MAX 65464
/* Worker threads at most (one epoll loop each). */
#define MAX_WORKERS 64

/* Transfers currently spinning are limited to this many (see spin_max_active). */
static atomic_int active_pumps;

typedef struct pump {
  struct pump *next; /* in its worker's inbox or live list */
  struct worker *worker;
  /* configuration */
  int sock;
  struct sockaddr_storage peer;
  socklen_t peer_len;
  int fd; /* -1: bytes come from mem */
  const uint8_t *mem;
  napi_ref mem_ref;
  napi_ref oack_ref;
  uint64_t size;
  uint32_t blksize, windowsize;
  const uint8_t *oack;
  size_t oack_len;
  uint32_t retransmit_ms, max_retransmit_ms, max_retries;
  uint64_t deadline_ms;
  uint32_t spin_us;
  int spin_max_active;
  int gso; /* try UDP GSO for windows (cleared when the kernel refuses it) */

  /* sender state (as in sender.ts) */
  uint64_t last_block, acked, sent, due_ns, deadline_ns;
  uint32_t retries;
  int awaiting_oack;

  /* stats, read by the JS thread while running */
  _Atomic uint64_t bytes_acked, blocks_sent, retransmits, dup_acks, foreign, bad, gso_sends;
  atomic_int abort_req;

  /* outcome: -1 while running */
  int status;
  uint16_t err_code;
  int after_oack;
  char message[512];
  size_t message_len;

  /* buffers */
  uint8_t *pkts; /* windowsize x (4 + blksize) */
  uint8_t *ra;
  uint64_t ra_off;
  size_t ra_len;
  struct mmsghdr msgs[MAX_WINDOW];
  struct iovec iovs[MAX_WINDOW];

  int running;  /* handed to a worker, the JS callback not yet run */
  napi_threadsafe_function tsfn;
  napi_ref self_ref; /* keeps the handle (and this struct) alive until on_done */
} pump_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void set_message(pump_t *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(p->message, sizeof p->message, fmt, ap);
  va_end(ap);
  p->message_len = len < 0 ? 0 : (size_t)len >= sizeof p->message ? sizeof p->message - 1 : (size_t)len;
}

static void send_to(pump_t *p, const uint8_t *b, size_t n, const struct sockaddr *to, socklen_t to_len) {
  /* Failures (ENOBUFS, unreachable) are loss: the timeout recovers, as for any datagram. */
  (void)!sendto(p->sock, b, n, 0, to, to_len);
}

static void send_error(pump_t *p, uint16_t code, const char *msg, const struct sockaddr *to, socklen_t to_len) {
  uint8_t b[600];
  size_t m = strlen(msg);
  if (m > sizeof b - 5) m = sizeof b - 5;
  b[0] = 0, b[1] = 5, b[2] = (uint8_t)(code >> 8), b[3] = (uint8_t)code;
  memcpy(b + 4, msg, m);
  b[4 + m] = 0;
  send_to(p, b, 5 + m, to, to_len);
}

/* Copies block k's bytes (at most blksize) to dst; returns the length, or -1 on a read error. */
static long block_bytes(pump_t *p, uint64_t k, uint8_t *dst) {
  uint64_t off = (k - 1) * p->blksize;
  if (off >= p->size) return 0;
  size_t len = p->size - off < p->blksize ? (size_t)(p->size - off) : p->blksize;
  if (p->fd < 0) {
    memcpy(dst, p->mem + off, len);
    return (long)len;
  }
  if (off < p->ra_off || off + len > p->ra_off + p->ra_len) {
    size_t want = p->size - off < READ_AHEAD ? (size_t)(p->size - off) : READ_AHEAD;
    size_t got = 0;
    while (got < want) {
      ssize_t n = pread(p->fd, p->ra + got, want - got, (off_t)(off + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += (size_t)n;
    }
    p->ra_off = off;
    p->ra_len = got;
    if (got < len) return -1; /* the file shrank under us */
  }
  memcpy(dst, p->ra + (off - p->ra_off), len);
  return (long)len;
}

static void arm(pump_t *p) {
  uint64_t ms = p->retransmit_ms;
  for (uint32_t i = 0; i < p->retries && ms < p->max_retransmit_ms; i++) ms *= 2;
  if (ms > p->max_retransmit_ms) ms = p->max_retransmit_ms;
  p->due_ns = now_ns() + ms * 1000000ull;
}

static void finish(pump_t *p, int status) { p->status = status; }

/* The window's packets from `first` on, `total` bytes, as one UDP GSO send; 0 (sent, or lost like any
 * datagram), or -1 when this kernel or device cannot segment (the caller falls back). */
static int send_gso(pump_t *p, unsigned first, size_t total) {
  uint16_t seg = (uint16_t)(4 + p->blksize);
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } ctrl;
  memset(&ctrl, 0, sizeof ctrl);
  struct iovec iov = {.iov_base = p->pkts + (size_t)first * seg, .iov_len = total};
  struct msghdr m = {.msg_name = &p->peer, .msg_namelen = p->peer_len, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.buf, .msg_controllen = sizeof ctrl.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  memcpy(CMSG_DATA(c), &seg, sizeof seg);
  for (;;) {
    if (sendmsg(p->sock, &m, 0) >= 0) return 0;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? 0 : -1;
  }
}

/* Sends blocks from..min(last, from + window - 1) (UDP GSO or sendmmsg); returns 0, or -1 on read error. */
static int send_window(pump_t *p, uint64_t from, int retransmit) {
  uint64_t to = from + p->windowsize - 1;
  if (to > p->last_block) to = p->last_block;
  unsigned n = 0;
  for (uint64_t k = from; k <= to; k++, n++) {
    uint8_t *pkt = p->pkts + (size_t)n * (4 + p->blksize);
    long len = block_bytes(p, k, pkt + 4);
    if (len < 0) {
      send_error(p, 0, "file changed during the transfer", (struct sockaddr *)&p->peer, p->peer_len);
      set_message(p, "file shrank during the transfer (block %lu)", (unsigned long)k);
      finish(p, OUT_PROTOCOL);
      return -1;
    }
    pkt[0] = 0, pkt[1] = 3, pkt[2] = (uint8_t)(k >> 8), pkt[3] = (uint8_t)k;
    p->iovs[n].iov_base = pkt;
    p->iovs[n].iov_len = 4 + (size_t)len;
    memset(&p->msgs[n].msg_hdr, 0, sizeof p->msgs[n].msg_hdr);
    p->msgs[n].msg_hdr.msg_name = &p->peer;
    p->msgs[n].msg_hdr.msg_namelen = p->peer_len;
    p->msgs[n].msg_hdr.msg_iov = &p->iovs[n];
    p->msgs[n].msg_hdr.msg_iovlen = 1;
    p->blocks_sent++;
    if (retransmit || k <= p->sent) p->retransmits++;
  }
  if (to > p->sent) p->sent = to;
  unsigned done = 0;
  /* UDP GSO (Linux >= 4.18, UDP_SEGMENT), when the job asks for it (off by default: on loopback
   * the receiver then sees nothing until the whole window is segmented; see native-tftp-pump.ts):
   * the window's packets already lie back to back at a stride of 4 + blksize, and only the file's
   * last block may be shorter, which GSO allows for the last segment. One send then costs one trip
   * through the stack instead of one per packet. */
  unsigned per = (unsigned)(GSO_BUDGET / (4 + p->blksize));
  if (per > GSO_MAX_SEGMENTS) per = GSO_MAX_SEGMENTS;
  while (p->gso && per >= 2 && n - done >= 2) {
    unsigned count = n - done < per ? n - done : per;
    size_t total = 0;
    for (unsigned i = done; i < done + count; i++) total += p->iovs[i].iov_len;
    if (send_gso(p, done, total) < 0) {
      p->gso = 0; /* not supported here: plain sendmmsg from now on */
      break;
    }
    p->gso_sends++;
    done += count;
  }
  while (done < n) {
    int r = sendmmsg(p->sock, p->msgs + done, n - done, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break; /* loss: the retransmit timer recovers */
    done += (unsigned)r;
  }
  arm(p);
  return 0;
}

static int same_peer(const pump_t *p, const struct sockaddr_storage *a) {
  if (a->ss_family != p->peer.ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)&p->peer;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)&p->peer;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

/* NUL-terminated strings after the opcode, as packet.ts counts them; -1 if the last is unterminated. */
static int nul_strings(const uint8_t *b, size_t n) {
  int count = 0;
  size_t i = 2;
  while (i < n) {
    const uint8_t *z = memchr(b + i, 0, n - i);
    if (!z) return -1;
    count++;
    i = (size_t)(z - b) + 1;
  }
  return count;
}

static const char *op_name(unsigned op) {
  switch (op) {
    case 1: return "RRQ";
    case 2: return "WRQ";
    case 3: return "DATA";
    default: return "OACK";
  }
}

/* One datagram from the transfer's socket; returns 1 when the transfer has finished. */
static int on_datagram(pump_t *p, const uint8_t *b, size_t n, const struct sockaddr_storage *from, socklen_t from_len) {
  if (!same_peer(p, from)) {
    p->foreign++;
    send_error(p, 5, "unknown transfer ID", (const struct sockaddr *)from, from_len);
    return 0;
  }
  if (n < 2) {
    p->bad++;
    return 0;
  }
  unsigned op = (unsigned)b[0] << 8 | b[1];
  if (op == 4) {
    if (n < 4) {
      p->bad++;
      return 0;
    }
    unsigned wire = (unsigned)b[2] << 8 | b[3];
    if (p->awaiting_oack) {
      if (wire != 0) {
        p->dup_acks++;
        return 0;
      }
      p->awaiting_oack = 0;
      p->retries = 0;
      return send_window(p, 1, 0) < 0;
    }
    uint64_t k = p->acked + ((wire - (p->acked & 0xffff) + 0x10000) & 0xffff);
    if (k > p->sent || k <= p->acked) {
      p->dup_acks++; /* duplicate or stale: never answered with DATA */
      return 0;
    }
    p->acked = k;
    p->retries = 0;
    p->bytes_acked = k * p->blksize < p->size ? k * p->blksize : p->size;
    if (k == p->last_block) {
      finish(p, OUT_COMPLETE);
      return 1;
    }
    return send_window(p, k + 1, k < p->sent) < 0;
  }
  if (op == 5) {
    if (n < 4) {
      p->bad++;
      return 0;
    }
    p->err_code = (uint16_t)((unsigned)b[2] << 8 | b[3]);
    const uint8_t *z = memchr(b + 4, 0, n - 4);
    size_t m = z ? (size_t)(z - (b + 4)) : n - 4;
    if (m > sizeof p->message - 1) m = sizeof p->message - 1;
    memcpy(p->message, b + 4, m);
    p->message_len = m;
    p->after_oack = p->awaiting_oack;
    finish(p, OUT_CLIENT_ABORT);
    return 1;
  }
  int wellformed = 0;
  if (op == 3) wellformed = n >= 4;
  else if (op == 1 || op == 2) {
    int s = nul_strings(b, n);
    wellformed = s >= 2 && s % 2 == 0;
  } else if (op == 6) {
    int s = nul_strings(b, n);
    wellformed = s >= 0 && s % 2 == 0;
  }
  if (!wellformed) {
    p->bad++; /* garbled or unknown: loss */
    return 0;
  }
  char msg[64];
  snprintf(msg, sizeof msg, "unexpected %s during a read", op_name(op));
  send_error(p, 4, msg, (struct sockaddr *)&p->peer, p->peer_len);
  set_message(p, "client sent %s", op_name(op));
  finish(p, OUT_PROTOCOL);
  return 1;
}

static int on_timeout(pump_t *p) {
  p->retries++;
  if (p->retries > p->max_retries) {
    send_error(p, 0, "timed out waiting for ACK", (struct sockaddr *)&p->peer, p->peer_len);
    set_message(p, "no ACK after %lu retransmits", (unsigned long)p->max_retries);
    finish(p, OUT_TIMEOUT);
    return 1;
  }
  if (p->awaiting_oack) {
    p->retransmits++;
    send_to(p, p->oack, p->oack_len, (struct sockaddr *)&p->peer, p->peer_len);
    arm(p);
    return 0;
  }
  return send_window(p, p->acked + 1, 1) < 0;
}

/* ---- Workers ----------------------------------------------------------------------------------
 * A few threads (one per core by default), each with an epoll set over the sockets of the transfers
 * it owns, like dnsmasq's single loop but on every core: one epoll_wait serves whatever is ready,
 * with no thread switch per datagram. A worker that owns the only running transfer spins briefly
 * for the ACK before sleeping (see spin_us).
 */
typedef struct worker {
  int ep;
  int wake; /* eventfd: a new transfer in the inbox, or an abort */
  pthread_mutex_t mu;
  pump_t *inbox; /* handed over by start(), taken by the worker */
  pump_t *live;  /* owned by the worker thread */
  atomic_int count;
} worker_t;

static worker_t *workers;
static int n_workers;
static pthread_mutex_t workers_mu = PTHREAD_MUTEX_INITIALIZER;

static void *worker_main(void *arg);

/* Starts the pool once; returns 0, or an errno. */
static int ensure_workers(int n) {
  pthread_mutex_lock(&workers_mu);
  int err = 0;
  if (!workers) {
    worker_t *w = calloc((size_t)n, sizeof *w);
    if (!w) err = ENOMEM;
    for (int i = 0; !err && i < n; i++) {
      pthread_t th;
      pthread_attr_t attr;
      w[i].ep = epoll_create1(EPOLL_CLOEXEC);
      w[i].wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      pthread_mutex_init(&w[i].mu, NULL);
      struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
      if (w[i].ep < 0 || w[i].wake < 0 || epoll_ctl(w[i].ep, EPOLL_CTL_ADD, w[i].wake, &ev) < 0) err = errno;
      pthread_attr_init(&attr);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      if (!err && pthread_create(&th, &attr, worker_main, &w[i]) != 0) err = EAGAIN;
      pthread_attr_destroy(&attr);
      if (!err) n_workers = i + 1;
    }
    if (n_workers > 0) workers = w;
    else free(w);
    if (n_workers > 0) err = 0; /* a smaller pool still serves */
  }
  pthread_mutex_unlock(&workers_mu);
  return err;
}

static void wake_worker(worker_t *w) {
  uint64_t one = 1;
  (void)!write(w->wake, &one, sizeof one);
}

/* Sends the first packet (OACK or window 1); a failure sets `status`, and the timer pass ends it. */
static void pump_begin(pump_t *p) {
  p->deadline_ns = now_ns() + p->deadline_ms * 1000000ull;
  if (p->awaiting_oack) {
    send_to(p, p->oack, p->oack_len, (struct sockaddr *)&p->peer, p->peer_len);
    arm(p);
  } else send_window(p, 1, 0);
}

static int pump_readable(pump_t *p);

/* Abort, deadline and retransmit timer; returns 1 when the transfer has ended. */
static int pump_check(pump_t *p, uint64_t now) {
  if (atomic_load(&p->abort_req)) {
    /* What the peer sent before the abort counts: a final ACK already queued completes the
     * transfer instead of it ending as "server closing". */
    for (int i = 0; i < 64 && p->status < 0; i++)
      if (pump_readable(p) < 0) break;
    if (p->status >= 0) return 1;
    send_error(p, 0, "server is shutting down", (struct sockaddr *)&p->peer, p->peer_len);
    set_message(p, "server closing");
    finish(p, OUT_PROTOCOL);
    return 1;
  }
  if (now >= p->deadline_ns) {
    send_error(p, 0, "transfer deadline exceeded", (struct sockaddr *)&p->peer, p->peer_len);
    set_message(p, "transfer deadline exceeded");
    finish(p, OUT_TIMEOUT);
    return 1;
  }
  if (now >= p->due_ns) return on_timeout(p);
  return 0;
}

/* One datagram off a readable socket (level-triggered: more wait for the next epoll_wait);
 * 1 when it ended the transfer, 0 when not, -1 when there was none. */
static int pump_readable(pump_t *p) {
  uint8_t buf[2048];
  struct sockaddr_storage from;
  socklen_t from_len = sizeof from;
  ssize_t n = recvfrom(p->sock, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
  if (n < 0) return -1;
  return on_datagram(p, buf, (size_t)n, &from, from_len);
}

static void pump_end(worker_t *w, pump_t *p) {
  epoll_ctl(w->ep, EPOLL_CTL_DEL, p->sock, NULL);
  atomic_fetch_sub(&w->count, 1);
  atomic_fetch_sub(&active_pumps, 1);
  napi_call_threadsafe_function(p->tsfn, p, napi_tsfn_blocking);
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  struct epoll_event evs[64];
  for (;;) {
    uint64_t now = now_ns();
    /* Timers: ended transfers leave the list; the nearest due time bounds the wait. */
    uint64_t next = UINT64_MAX;
    for (pump_t **pp = &w->live; *pp;) {
      pump_t *p = *pp;
      if (p->status >= 0 || pump_check(p, now)) {
        *pp = p->next;
        pump_end(w, p);
        continue;
      }
      uint64_t t = p->due_ns < p->deadline_ns ? p->due_ns : p->deadline_ns;
      if (t < next) next = t;
      pp = &p->next;
    }
    int timeout = next == UINT64_MAX ? -1 : (int)((next - now + 999999ull) / 1000000ull);
    /* Spin for the ACK while this worker owns the only transfer running: it usually arrives within
     * microseconds, sooner than a sleep/wake round trip. Never with more transfers (nor a new one
     * for this worker), so spinning takes no CPU from other transfers or from the clients. */
    pump_t *only = w->live && !w->live->next ? w->live : NULL;
    if (only && only->spin_us > 0 && atomic_load(&active_pumps) <= only->spin_max_active) {
      uint8_t buf[2048];
      struct sockaddr_storage from;
      socklen_t from_len;
      ssize_t got;
      uint64_t t, until = now + (uint64_t)only->spin_us * 1000ull;
      do {
        from_len = sizeof from;
        got = recvfrom(only->sock, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
      } while (got < 0 && (t = now_ns()) < until && t < next && atomic_load(&w->count) == 1 && !atomic_load(&only->abort_req));
      if (got >= 0) {
        on_datagram(only, buf, (size_t)got, &from, from_len);
        continue;
      }
    }
    int n = epoll_wait(w->ep, evs, 64, timeout);
    for (int i = 0; i < n; i++) {
      pump_t *p = evs[i].data.ptr;
      if (p == NULL) {
        uint64_t v;
        (void)!read(w->wake, &v, sizeof v);
        pthread_mutex_lock(&w->mu);
        pump_t *in = w->inbox;
        w->inbox = NULL;
        pthread_mutex_unlock(&w->mu);
        while (in) {
          pump_t *q = in;
          in = in->next;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = q};
          epoll_ctl(w->ep, EPOLL_CTL_ADD, q->sock, &ev);
          q->next = w->live;
          w->live = q;
          pump_begin(q);
        }
        continue; /* aborts are seen by the timer pass */
      }
      if (p->status < 0) pump_readable(p);
    }
  }
  return NULL;
}

/* ---- N-API glue ---------------------------------------------------------------------------- */

#define CHECK(env, call)                                                                       \
  do {                                                                                         \
    if ((call) != napi_ok) {                                                                   \
      napi_throw_error((env), "E_TFTP_PUMP", "tftp_pump: N-API call failed: " #call);          \
      return NULL;                                                                             \
    }                                                                                          \
  } while (0)

static void release_resources(napi_env env, pump_t *p) {
  if (p->sock >= 0) close(p->sock);
  p->sock = -1;
  free(p->pkts);
  free(p->ra);
  p->pkts = p->ra = NULL;
  if (p->mem_ref) napi_delete_reference(env, p->mem_ref);
  if (p->oack_ref) napi_delete_reference(env, p->oack_ref);
  p->mem_ref = p->oack_ref = NULL;
}

static void finalize_pump(napi_env env, void *data, void *hint) {
  (void)hint;
  pump_t *p = data;
  /* Never collected while running: start() holds a strong reference until on_done. */
  release_resources(env, p);
  free(p);
}

static void on_done(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context;
  pump_t *p = data;
  p->running = 0;
  release_resources(env, p);
  if (env == NULL) return;
  if (p->self_ref) napi_delete_reference(env, p->self_ref);
  p->self_ref = NULL;
  napi_value result, v, undefined;
  napi_create_object(env, &result);
  static const char *names[] = {"complete", "client-abort", "timeout", "protocol"};
  napi_create_string_utf8(env, names[p->status], NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, result, "status", v);
  napi_create_uint32(env, p->err_code, &v);
  napi_set_named_property(env, result, "code", v);
  napi_create_string_latin1(env, p->message, p->message_len, &v);
  napi_set_named_property(env, result, "message", v);
  napi_get_boolean(env, p->after_oack, &v);
  napi_set_named_property(env, result, "afterOack", v);
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, js_cb, 1, &result, NULL);
  napi_release_threadsafe_function(p->tsfn, napi_tsfn_release);
}

static int get_u32(napi_env env, napi_value obj, const char *name, uint32_t *out) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  return napi_get_value_uint32(env, v, out) == napi_ok;
}

static int get_f64(napi_env env, napi_value obj, const char *name, double *out) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  return napi_get_value_double(env, v, out) == napi_ok;
}

static int get_str(napi_env env, napi_value obj, const char *name, char *out, size_t cap) {
  napi_value v;
  size_t len;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  return napi_get_value_string_utf8(env, v, out, cap, &len) == napi_ok && len < cap - 1;
}

/* Optional Buffer/Uint8Array property: 1 with data, 0 when absent, -1 on a wrong type. */
static int get_bytes(napi_env env, napi_value obj, const char *name, const uint8_t **data, size_t *len, napi_ref *ref) {
  napi_value v;
  napi_valuetype t;
  bool is_ta;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_undefined || t == napi_null) return 0;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return -1;
  napi_typedarray_type tt;
  size_t length, offset;
  void *raw;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &tt, &length, &raw, &ab, &offset) != napi_ok || tt != napi_uint8_array) return -1;
  *data = raw;
  *len = length;
  return napi_create_reference(env, v, 1, ref) == napi_ok ? 1 : -1;
}

static int parse_addr(const char *text, uint32_t port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (void *)ss;
  struct sockaddr_in6 *a6 = (void *)ss;
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    return 1;
  }
  if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof *a6;
    return 1;
  }
  return 0;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "tftp_pump: %s: %s", what, strerror(err));
  napi_throw_error(env, err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "E_TFTP_PUMP", msg);
  return NULL;
}

/* start(job, done): binds a fresh port on job.localAddress, hands the transfer to a worker (the
 * pool of job.workers threads starts with the first transfer), returns a handle. */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "start(job, done)");
    return NULL;
  }
  pump_t *p = calloc(1, sizeof *p);
  if (!p) return throw_errno(env, "calloc", ENOMEM);
  p->sock = p->fd = -1;
  p->status = -1;
  char local[64], peer[64];
  uint32_t peer_port;
  double size, deadline;
  int32_t fd = -1;
  napi_value fdv;
  uint32_t spin_max = 0, n_threads = 1;
  if (!get_str(env, argv[0], "localAddress", local, sizeof local) || !get_str(env, argv[0], "peerAddress", peer, sizeof peer) ||
      !get_u32(env, argv[0], "peerPort", &peer_port) || !get_f64(env, argv[0], "size", &size) || !get_u32(env, argv[0], "blksize", &p->blksize) ||
      !get_u32(env, argv[0], "windowsize", &p->windowsize) || !get_u32(env, argv[0], "retransmitMs", &p->retransmit_ms) ||
      !get_u32(env, argv[0], "maxRetransmitMs", &p->max_retransmit_ms) || !get_u32(env, argv[0], "maxRetries", &p->max_retries) ||
      !get_f64(env, argv[0], "deadlineMs", &deadline) || !get_u32(env, argv[0], "spinUs", &p->spin_us) ||
      !get_u32(env, argv[0], "spinMaxActive", &spin_max) || !get_u32(env, argv[0], "workers", &n_threads) || napi_get_named_property(env, argv[0], "fd", &fdv) != napi_ok ||
      napi_get_value_int32(env, fdv, &fd) != napi_ok) {
    free(p);
    napi_throw_type_error(env, NULL, "tftp_pump: job lacks a field or has a wrong type");
    return NULL;
  }
  p->spin_max_active = (int)spin_max;
  uint32_t gso = 0; /* optional: job.gso = 1 sends windows as UDP GSO */
  get_u32(env, argv[0], "gso", &gso);
  p->gso = gso != 0;
  p->fd = fd;
  p->size = (uint64_t)size;
  p->deadline_ms = (uint64_t)deadline;
  if (p->blksize < BLKSIZE_MIN || p->blksize > BLKSIZE_MAX || p->windowsize < 1 || p->windowsize > MAX_WINDOW || p->retransmit_ms < 1 || size < 0) {
    free(p);
    napi_throw_range_error(env, NULL, "tftp_pump: blksize, windowsize or timing out of range");
    return NULL;
  }
  size_t mem_len = 0;
  int has_mem = get_bytes(env, argv[0], "data", &p->mem, &mem_len, &p->mem_ref);
  int has_oack = get_bytes(env, argv[0], "oack", &p->oack, &p->oack_len, &p->oack_ref);
  struct sockaddr_storage local_ss;
  socklen_t local_len;
  if (has_mem < 0 || has_oack < 0 || (has_mem == 1 && mem_len < p->size) || (has_mem == 0 && p->fd < 0) ||
      !parse_addr(local, 0, &local_ss, &local_len) || !parse_addr(peer, peer_port, &p->peer, &p->peer_len) ||
      local_ss.ss_family != p->peer.ss_family) {
    release_resources(env, p);
    free(p);
    napi_throw_type_error(env, NULL, "tftp_pump: bad data/oack buffer, source or address");
    return NULL;
  }
  if (has_mem == 1) p->fd = -1;
  p->awaiting_oack = has_oack == 1 && p->oack_len > 0;
  /* A file of exactly k*blksize bytes ends with an empty block (RFC 1350 §6). */
  p->last_block = p->size / p->blksize + 1;
  p->pkts = malloc((size_t)p->windowsize * (4 + p->blksize));
  p->ra = p->fd >= 0 ? malloc(READ_AHEAD) : NULL;
  if (!p->pkts || (p->fd >= 0 && !p->ra)) {
    release_resources(env, p);
    free(p);
    return throw_errno(env, "malloc", ENOMEM);
  }
  p->sock = socket(p->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int err = errno;
  if (p->sock < 0 || bind(p->sock, (struct sockaddr *)&local_ss, local_len) < 0) {
    err = errno;
    release_resources(env, p);
    free(p);
    return throw_errno(env, "bind", err);
  }
  /* Room for a whole window each way, as the kernel UDP link asks for on large windows. */
  int bufsize = 4 << 20;
  setsockopt(p->sock, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
  setsockopt(p->sock, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
  if ((err = ensure_workers(n_threads < 1 ? 1 : n_threads > MAX_WORKERS ? MAX_WORKERS : (int)n_threads)) != 0) {
    release_resources(env, p);
    free(p);
    return throw_errno(env, "worker threads", err);
  }
  napi_value handle, name;
  CHECK(env, napi_create_external(env, p, finalize_pump, NULL, &handle));
  CHECK(env, napi_create_string_utf8(env, "tftp_pump", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_reference(env, handle, 1, &p->self_ref));
  CHECK(env, napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, on_done, &p->tsfn));
  /* Hand it to the least busy worker; it binds nothing new, the socket is already ours. */
  worker_t *w = &workers[0];
  for (int i = 1; i < n_workers; i++)
    if (atomic_load(&workers[i].count) < atomic_load(&w->count)) w = &workers[i];
  p->worker = w;
  p->running = 1;
  atomic_fetch_add(&w->count, 1);
  atomic_fetch_add(&active_pumps, 1);
  pthread_mutex_lock(&w->mu);
  p->next = w->inbox;
  w->inbox = p;
  pthread_mutex_unlock(&w->mu);
  wake_worker(w);
  return handle;
}

static pump_t *handle_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "tftp_pump: expected a pump handle");
    return NULL;
  }
  return data;
}

static napi_value port(napi_env env, napi_callback_info info) {
  pump_t *p = handle_arg(env, info);
  if (!p) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  napi_value v;
  uint32_t port_no = 0;
  if (p->sock >= 0 && getsockname(p->sock, (struct sockaddr *)&ss, &len) == 0)
    port_no = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
  CHECK(env, napi_create_uint32(env, port_no, &v));
  return v;
}

static napi_value stats(napi_env env, napi_callback_info info) {
  pump_t *p = handle_arg(env, info);
  if (!p) return NULL;
  napi_value arr, v;
  double vals[] = {(double)p->bytes_acked, (double)p->blocks_sent, (double)p->retransmits, (double)p->dup_acks, (double)p->foreign, (double)p->bad, (double)p->gso_sends};
  CHECK(env, napi_create_array_with_length(env, 7, &arr));
  for (uint32_t i = 0; i < 7; i++) {
    CHECK(env, napi_create_double(env, vals[i], &v));
    CHECK(env, napi_set_element(env, arr, i, v));
  }
  return arr;
}

static napi_value abort_pump(napi_env env, napi_callback_info info) {
  pump_t *p = handle_arg(env, info);
  if (!p) return NULL;
  if (p->running) {
    atomic_store(&p->abort_req, 1);
    wake_worker(p->worker);
  }
  return NULL;
}

/* What this pump can send, so the TypeScript side never keeps a copy of these numbers. */
static napi_value limits(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, v;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_create_uint32(env, MAX_WINDOW, &v));
  CHECK(env, napi_set_named_property(env, obj, "maxWindowsize", v));
  CHECK(env, napi_create_uint32(env, BLKSIZE_MAX, &v));
  CHECK(env, napi_set_named_property(env, obj, "maxBlksize", v));
  CHECK(env, napi_create_uint32(env, MAX_WORKERS, &v));
  CHECK(env, napi_set_named_property(env, obj, "maxWorkers", v));
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"limits", NULL, limits, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"port", NULL, port, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, stats, NULL, NULL, NULL, napi_default, NULL},
      {"abort", NULL, abort_pump, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
