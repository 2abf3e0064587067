/*
 * receiveBody: the rest of an upload's body, read straight from the connection's socket
 * into the temp file on a thread of its own, with SHA-256 computed on the way.
 *
 * Why: through node:http every 64 KiB socket read becomes a fresh Buffer copy, a JS
 * callback, a stream push and an event; for a pack upload those layers cost about as much
 * CPU as the kernel's own work. Here one thread reads up to 1 MiB per call, hashes it while
 * it is in cache (OpenSSL's SHA-256, the same code node:crypto runs) and writes it with one
 * write(). The caller has stopped Node from reading the socket before calling this.
 *
 * The socket is dup()ed, so Node closing its handle (a shutdown deadline, a destroyed
 * connection) can never make this thread read a recycled descriptor; cancelReceive() makes
 * it stop within POLL_MS. Only the completion callback, on the JS thread, frees the job.
 */
#include <node_api.h>
#include "addon.h"
#include <openssl/evp.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (1 << 20)
/* How often a thread waiting for data looks at its cancel flag. */
#define POLL_MS 100
/* Data waiting in the buffer is hashed and written before blocking for more once it is this big. */
#define FLUSH_WHEN_IDLE (64 << 10)

typedef struct {
  int sock; /* our dup of the connection */
  int file; /* borrowed: the caller closes it after the callback */
  uint64_t remaining;
  int64_t idle_ms;
  int hash;
  unsigned char *prefix; /* body bytes Node had already read */
  size_t prefix_len;
  atomic_int cancelled;
  /* results */
  uint64_t received; /* socket bytes, prefix not included */
  int err;           /* errno; ECONNRESET also for a body that ended early */
  unsigned char digest[32];
  napi_threadsafe_function tsfn;
} job_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* Hashes and stores one block; returns 0 or an errno. */
static int consume(job_t *j, EVP_MD_CTX *md, const unsigned char *p, size_t n) {
  if (n == 0) return 0;
  if (md != NULL && !EVP_DigestUpdate(md, p, n)) return EIO;
  return write_all(j->file, p, n);
}

/* Fills the buffer from the socket; returns the byte count, 0 with *err set on failure. */
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
      j->received += (uint64_t)n;
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
    if (atomic_load(&j->cancelled)) {
      *err = ECANCELED;
      return len;
    }
    if (now_ms() - last_data > j->idle_ms) {
      *err = ETIMEDOUT;
      return len;
    }
    struct pollfd pfd = {.fd = j->sock, .events = POLLIN};
    poll(&pfd, 1, POLL_MS);
  }
  return len;
}

static void *run(void *arg) {
  job_t *j = arg;
  EVP_MD_CTX *md = NULL;
  unsigned char *buf = malloc(BUF_SIZE);
  if (buf == NULL) j->err = ENOMEM;
  if (!j->err && j->hash) {
    md = EVP_MD_CTX_new();
    if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) j->err = EIO;
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
  close(j->sock);
  j->sock = -1;
  /* call_done may free j before the call below returns. */
  napi_threadsafe_function tsfn = j->tsfn;
  napi_call_threadsafe_function(tsfn, j, napi_tsfn_blocking);
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  return NULL;
}

/* On the JS thread: done(errno, receivedBytes, digest | null), then the job is freed. */
static void call_done(napi_env env, napi_value done, void *context, void *data) {
  (void)context;
  job_t *j = data;
  if (env != NULL) {
    napi_value argv[3], undefined;
    napi_create_int32(env, j->err, &argv[0]);
    napi_create_double(env, (double)j->received, &argv[1]);
    if (j->hash && !j->err) {
      void *out;
      napi_create_buffer_copy(env, 32, j->digest, &out, &argv[2]);
    } else {
      napi_get_null(env, &argv[2]);
    }
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, done, 3, argv, NULL);
  }
  free(j->prefix);
  free(j);
}

static napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, "ERR_COFRE_NATIVE", msg);
  return NULL;
}

/*
 * receiveBody(socketFd, fileFd, prefix: Uint8Array, remaining, hash: boolean, idleMs, done)
 * → handle for cancelReceive. Throws (nothing started) if the socket cannot be dup()ed.
 */
static napi_value ReceiveBody(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7)
    return throw_error(env, "receiveBody expects (socketFd, fileFd, prefix, remaining, hash, idleMs, done)");
  int32_t sock, file;
  double remaining, idle_ms;
  bool hash;
  void *prefix;
  size_t prefix_len;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_value_int32(env, argv[0], &sock) != napi_ok || napi_get_value_int32(env, argv[1], &file) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &t, &prefix_len, &prefix, &ab, &off) != napi_ok || t != napi_uint8_array ||
      napi_get_value_double(env, argv[3], &remaining) != napi_ok || napi_get_value_bool(env, argv[4], &hash) != napi_ok ||
      napi_get_value_double(env, argv[5], &idle_ms) != napi_ok || remaining < 0 || idle_ms <= 0)
    return throw_error(env, "receiveBody: bad arguments");

  job_t *j = calloc(1, sizeof *j);
  if (j == NULL) return throw_error(env, "receiveBody: out of memory");
  j->file = file;
  j->remaining = (uint64_t)remaining;
  j->idle_ms = (int64_t)idle_ms;
  j->hash = hash;
  j->prefix_len = prefix_len;
  j->prefix = malloc(prefix_len > 0 ? prefix_len : 1);
  j->sock = dup(sock);
  if (j->prefix == NULL || j->sock < 0) {
    if (j->sock >= 0) close(j->sock);
    free(j->prefix);
    free(j);
    return throw_error(env, "receiveBody: cannot take over the socket");
  }
  memcpy(j->prefix, prefix, prefix_len);

  napi_value name;
  napi_create_string_utf8(env, "cofre.receiveBody", NAPI_AUTO_LENGTH, &name);
  pthread_t tid;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (napi_create_threadsafe_function(env, argv[6], NULL, name, 0, 1, NULL, NULL, NULL, call_done, &j->tsfn) != napi_ok ||
      pthread_create(&tid, &attr, run, j) != 0) {
    pthread_attr_destroy(&attr);
    if (j->tsfn != NULL) napi_release_threadsafe_function(j->tsfn, napi_tsfn_abort);
    close(j->sock);
    free(j->prefix);
    free(j);
    return throw_error(env, "receiveBody: cannot start a thread");
  }
  pthread_attr_destroy(&attr);
  napi_value handle;
  napi_create_external(env, j, NULL, NULL, &handle);
  return handle;
}

/* cancelReceive(handle): only valid before done() has run (the caller tracks that). */
static napi_value CancelReceive(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *j = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_external(env, argv[0], &j) != napi_ok || j == NULL)
    return throw_error(env, "cancelReceive expects a receiveBody handle");
  atomic_store(&((job_t *)j)->cancelled, 1);
  return NULL;
}

void register_socket_receive(napi_env env, napi_value exports) {
  export_fn(env, exports, "receiveBody", ReceiveBody);
  export_fn(env, exports, "cancelReceive", CancelReceive);
}
