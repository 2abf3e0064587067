/*
 * Pack-sized request and response bodies moved between a connection's socket and a file on
 * a thread of their own, past node:http's body handling.
 *
 * receiveBody: the rest of an upload's body, read from the socket in up to 1 MiB reads,
 * hashed with SHA-256 while in cache (OpenSSL, the same code node:crypto runs) and written
 * with one write() per block. The caller has stopped Node from reading the socket.
 *
 * sendFileBody: the rest of a download's body with sendfile(), page cache to socket in the
 * kernel. The caller has written the headers and made sure Node's write queue is empty.
 *
 * Why: through node:http every 64 KiB socket read becomes a fresh Buffer copy, a JS
 * callback, a stream push and an event, and every download block is read into user space
 * to be copied out again; for packs those layers cost about as much CPU as the kernel's own
 * work.
 *
 * The socket (and file) are dup()ed, so Node closing its handle (a shutdown deadline, a
 * destroyed connection) can never make a thread use a recycled descriptor; cancelIo()
 * makes it stop within POLL_MS. Only the completion callback, on the JS thread, frees the
 * job.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include "addon.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (1 << 20)
/* How often a thread waiting on the socket looks at its cancel flag. */
#define POLL_MS 100
/* Data waiting in the buffer is hashed and written before blocking for more once it is this big. */
#define FLUSH_WHEN_IDLE (64 << 10)
/* sendfile() moves at most this much per call (Linux caps a call at about 2 GiB). */
#define SENDFILE_STEP (1 << 30)

typedef enum { OP_RECEIVE, OP_SEND } op_t;

typedef struct {
  op_t op;
  int sock;          /* our dup of the connection */
  int file;          /* our dup of the file */
  uint64_t remaining;
  int64_t offset;    /* OP_SEND: file position */
  int64_t idle_ms;
  int hash;          /* OP_RECEIVE */
  unsigned char *prefix; /* OP_RECEIVE: body bytes Node had already read */
  size_t prefix_len;
  atomic_int cancelled;
  /* results */
  uint64_t moved;    /* bytes read from / sent to the socket (prefix not included) */
  uint64_t written;  /* OP_RECEIVE: bytes written to the file so far */
  int err;           /* errno; ECONNRESET also for an upload that ended early, EIO for a file that did */
  unsigned char digest[32];
  napi_threadsafe_function tsfn;
} job_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Called when the socket is not ready: 0 once it may be (or POLL_MS passed), else the
 * errno to stop with (cancelled, or idle for too long).
 */
static int wait_socket(job_t *j, short events, int64_t last_progress) {
  if (atomic_load(&j->cancelled)) return ECANCELED;
  if (now_ms() - last_progress > j->idle_ms) return ETIMEDOUT;
  struct pollfd pfd = {.fd = j->sock, .events = events};
  poll(&pfd, 1, POLL_MS);
  return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/*
 * Hashes and stores one block; returns 0 or an errno. Then asks the kernel to start writing
 * the block to disk (sync_file_range, which does not wait), so the fsync before the answer
 * waits for the last blocks only rather than for the whole pack: the client's upload slot
 * is freed sooner. Durability still comes from that fsync.
 */
static int consume(job_t *j, EVP_MD_CTX *md, const unsigned char *p, size_t n) {
  if (n == 0) return 0;
  if (md != NULL && !EVP_DigestUpdate(md, p, n)) return EIO;
  int err = write_all(j->file, p, n);
  if (err == 0) {
    sync_file_range(j->file, (off64_t)j->written, (off64_t)n, SYNC_FILE_RANGE_WRITE);
    j->written += n;
  }
  return err;
}

/* Fills the buffer from the socket; returns the byte count, with *err set on failure. */
static size_t fill(job_t *j, unsigned char *buf, int *err) {
  size_t len = 0;
  int64_t last_data = now_ms();
  while (len < BUF_SIZE && j->remaining > 0) {
    size_t want = BUF_SIZE - len;
    if (want > j->remaining) want = (size_t)j->remaining;
    ssize_t n = read(j->sock, buf + len, want);
    if (n > 0) {
      len += (size_t)n;
      j->remaining -= (uint64_t)n;
      j->moved += (uint64_t)n;
      last_data = now_ms();
      continue;
    }
    if (n == 0) {
      *err = ECONNRESET; /* the client closed before sending the whole body */
      return len;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      *err = errno;
      return len;
    }
    if (len >= FLUSH_WHEN_IDLE) return len;
    if ((*err = wait_socket(j, POLLIN, last_data)) != 0) return len;
  }
  return len;
}

static void receive(job_t *j) {
  EVP_MD_CTX *md = NULL;
  unsigned char *buf = malloc(BUF_SIZE);
  if (buf == NULL) j->err = ENOMEM;
  if (!j->err && j->hash) {
    md = EVP_MD_CTX_new();
    if (md == NULL || !EVP_DigestInit_ex2(md, sha256_md, NULL)) j->err = EIO;
  }
  if (!j->err) j->err = consume(j, md, j->prefix, j->prefix_len);
  while (!j->err && j->remaining > 0) {
    int read_err = 0;
    size_t n = fill(j, buf, &read_err);
    int write_err = consume(j, md, buf, n);
    j->err = read_err ? read_err : write_err;
  }
  if (!j->err && md != NULL) {
    unsigned int dlen = 0;
    if (!EVP_DigestFinal_ex(md, j->digest, &dlen) || dlen != 32) j->err = EIO;
  }
  EVP_MD_CTX_free(md);
  free(buf);
}

static void send_file(job_t *j) {
  int64_t last_sent = now_ms();
  while (j->remaining > 0) {
    if (atomic_load(&j->cancelled)) {
      j->err = ECANCELED;
      return;
    }
    size_t step = j->remaining < SENDFILE_STEP ? (size_t)j->remaining : SENDFILE_STEP;
    off_t off = (off_t)j->offset;
    ssize_t n = sendfile(j->sock, j->file, &off, step);
    if (n > 0) {
      j->offset += n;
      j->remaining -= (uint64_t)n;
      j->moved += (uint64_t)n;
      last_sent = now_ms();
      continue;
    }
    if (n == 0) {
      j->err = EIO; /* the file is shorter than the response promised */
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      j->err = errno;
      return;
    }
    if ((j->err = wait_socket(j, POLLOUT, last_sent)) != 0) return;
  }
}

static void *run(void *arg) {
  job_t *j = arg;
  if (j->op == OP_RECEIVE) receive(j);
  else send_file(j);
  close(j->sock);
  close(j->file);
  j->sock = j->file = -1;
  /* call_done may free j before the call below returns. */
  napi_threadsafe_function tsfn = j->tsfn;
  napi_call_threadsafe_function(tsfn, j, napi_tsfn_blocking);
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  return NULL;
}

/* Releases a job: its descriptors if still open (a job that never started), then memory. */
static void free_job(job_t *j) {
  if (j->sock >= 0) close(j->sock);
  if (j->file >= 0) close(j->file);
  free(j->prefix);
  free(j);
}

/* On the JS thread: done(errno, bytesMoved, digest | null), then the job is freed. */
static void call_done(napi_env env, napi_value done, void *context, void *data) {
  (void)context;
  job_t *j = data;
  if (env != NULL) {
    napi_value argv[3], undefined;
    napi_create_int32(env, j->err, &argv[0]);
    napi_create_double(env, (double)j->moved, &argv[1]);
    if (j->op == OP_RECEIVE && j->hash && !j->err) {
      void *out;
      napi_create_buffer_copy(env, 32, j->digest, &out, &argv[2]);
    } else {
      napi_get_null(env, &argv[2]);
    }
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, done, 3, argv, NULL);
  }
  free_job(j);
}

/* Takes over a filled-in job: dups the descriptors and starts its thread; returns the handle. */
static napi_value start(napi_env env, job_t *j, int sock, int file, napi_value done) {
  j->sock = dup(sock);
  j->file = dup(file);
  if (j->sock < 0 || j->file < 0) {
    free_job(j);
    return throw_error(env, "cannot take over the connection or the file");
  }
  napi_value name;
  napi_create_string_utf8(env, "cofre.socketIo", NAPI_AUTO_LENGTH, &name);
  pthread_t tid;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (napi_create_threadsafe_function(env, done, NULL, name, 0, 1, NULL, NULL, NULL, call_done, &j->tsfn) != napi_ok ||
      pthread_create(&tid, &attr, run, j) != 0) {
    pthread_attr_destroy(&attr);
    if (j->tsfn != NULL) napi_release_threadsafe_function(j->tsfn, napi_tsfn_abort);
    free_job(j);
    return throw_error(env, "cannot start a thread");
  }
  pthread_attr_destroy(&attr);
  napi_value handle;
  napi_create_external(env, j, NULL, NULL, &handle);
  return handle;
}

static job_t *new_job(napi_env env, op_t op) {
  job_t *j = calloc(1, sizeof *j);
  if (j == NULL) {
    throw_error(env, "out of memory");
    return NULL;
  }
  j->op = op;
  j->sock = j->file = -1;
  return j;
}

/*
 * receiveBody(socketFd, fileFd, prefix: Uint8Array, remaining, hash: boolean, idleMs, done)
 * → handle for cancelIo. Throws (nothing started) if the descriptors cannot be dup()ed.
 */
static napi_value ReceiveBody(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  int32_t sock, file;
  double remaining, idle_ms;
  bool hash;
  void *prefix;
  size_t prefix_len, off;
  napi_typedarray_type t;
  napi_value ab;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7 ||
      napi_get_value_int32(env, argv[0], &sock) != napi_ok || napi_get_value_int32(env, argv[1], &file) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &t, &prefix_len, &prefix, &ab, &off) != napi_ok || t != napi_uint8_array ||
      napi_get_value_double(env, argv[3], &remaining) != napi_ok || napi_get_value_bool(env, argv[4], &hash) != napi_ok ||
      napi_get_value_double(env, argv[5], &idle_ms) != napi_ok || remaining < 0 || idle_ms <= 0)
    return throw_error(env, "receiveBody expects (socketFd, fileFd, prefix, remaining, hash, idleMs, done)");
  job_t *j = new_job(env, OP_RECEIVE);
  if (j == NULL) return NULL;
  j->remaining = (uint64_t)remaining;
  j->idle_ms = (int64_t)idle_ms;
  j->hash = hash;
  j->prefix_len = prefix_len;
  j->prefix = malloc(prefix_len > 0 ? prefix_len : 1);
  if (j->prefix == NULL) {
    free_job(j);
    return throw_error(env, "out of memory");
  }
  memcpy(j->prefix, prefix, prefix_len);
  return start(env, j, sock, file, argv[6]);
}

/* sendFileBody(socketFd, fileFd, offset, length, idleMs, done) → handle for cancelIo. */
static napi_value SendFileBody(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int32_t sock, file;
  double offset, length, idle_ms;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6 ||
      napi_get_value_int32(env, argv[0], &sock) != napi_ok || napi_get_value_int32(env, argv[1], &file) != napi_ok ||
      napi_get_value_double(env, argv[2], &offset) != napi_ok || napi_get_value_double(env, argv[3], &length) != napi_ok ||
      napi_get_value_double(env, argv[4], &idle_ms) != napi_ok || offset < 0 || length < 0 || idle_ms <= 0)
    return throw_error(env, "sendFileBody expects (socketFd, fileFd, offset, length, idleMs, done)");
  job_t *j = new_job(env, OP_SEND);
  if (j == NULL) return NULL;
  j->offset = (int64_t)offset;
  j->remaining = (uint64_t)length;
  j->idle_ms = (int64_t)idle_ms;
  return start(env, j, sock, file, argv[5]);
}

/* cancelIo(handle): only valid before done() has run (the caller tracks that). */
static napi_value CancelIo(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *j = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_external(env, argv[0], &j) != napi_ok || j == NULL)
    return throw_error(env, "cancelIo expects a receiveBody or sendFileBody handle");
  atomic_store(&((job_t *)j)->cancelled, 1);
  return NULL;
}

void register_socket_io(napi_env env, napi_value exports) {
  export_fn(env, exports, "receiveBody", ReceiveBody);
  export_fn(env, exports, "sendFileBody", SendFileBody);
  export_fn(env, exports, "cancelIo", CancelIo);
}
