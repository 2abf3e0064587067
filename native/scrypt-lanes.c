/*
 * scrypt's memory-hard core (ROMix, RFC 7914 §5) for several lanes at once.
 *
 * Why this is here although node:crypto has scrypt: restic's key files use p > 1 (its
 * calibration raises p until one derivation takes ~0.5 s), and OpenSSL computes the p lanes
 * one after another on one thread. The lanes are independent, so on a machine with two cores
 * the half second every command waits before it can read the repository can be halved. The
 * two PBKDF2-HMAC-SHA256 steps around the lanes stay with node:crypto (crypto/kdf.ts); only
 * ROMix, which OpenSSL does not expose per lane, is computed here. Tests compare the result
 * with node:crypto's scrypt for many parameter sets.
 *
 * scryptLanes(blocks: Uint8Array, N: number, r: number, threads: number): Promise<undefined>
 *   blocks holds p lanes of 128*r bytes (the first PBKDF2's output); each is replaced by
 *   ROMix(lane). `threads` jobs on libuv's pool take lanes in turn, each with its own
 *   128*r*N-byte table, so memory is threads tables rather than one.
 */
#include <node_api.h>
#include "addon.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ROTL(a, b) (((a) << (b)) | ((a) >> (32 - (b))))

/* Salsa20/8 core on one 64-byte block in place: B = B + rounds(B). */
static void salsa20_8(uint32_t b[16]) {
  uint32_t x[16];
  memcpy(x, b, sizeof x);
  for (int i = 0; i < 8; i += 2) {
    /* columns */
    x[4] ^= ROTL(x[0] + x[12], 7);   x[8] ^= ROTL(x[4] + x[0], 9);
    x[12] ^= ROTL(x[8] + x[4], 13);  x[0] ^= ROTL(x[12] + x[8], 18);
    x[9] ^= ROTL(x[5] + x[1], 7);    x[13] ^= ROTL(x[9] + x[5], 9);
    x[1] ^= ROTL(x[13] + x[9], 13);  x[5] ^= ROTL(x[1] + x[13], 18);
    x[14] ^= ROTL(x[10] + x[6], 7);  x[2] ^= ROTL(x[14] + x[10], 9);
    x[6] ^= ROTL(x[2] + x[14], 13);  x[10] ^= ROTL(x[6] + x[2], 18);
    x[3] ^= ROTL(x[15] + x[11], 7);  x[7] ^= ROTL(x[3] + x[15], 9);
    x[11] ^= ROTL(x[7] + x[3], 13);  x[15] ^= ROTL(x[11] + x[7], 18);
    /* rows */
    x[1] ^= ROTL(x[0] + x[3], 7);    x[2] ^= ROTL(x[1] + x[0], 9);
    x[3] ^= ROTL(x[2] + x[1], 13);   x[0] ^= ROTL(x[3] + x[2], 18);
    x[6] ^= ROTL(x[5] + x[4], 7);    x[7] ^= ROTL(x[6] + x[5], 9);
    x[4] ^= ROTL(x[7] + x[6], 13);   x[5] ^= ROTL(x[4] + x[7], 18);
    x[11] ^= ROTL(x[10] + x[9], 7);  x[8] ^= ROTL(x[11] + x[10], 9);
    x[9] ^= ROTL(x[8] + x[11], 13);  x[10] ^= ROTL(x[9] + x[8], 18);
    x[12] ^= ROTL(x[15] + x[14], 7); x[13] ^= ROTL(x[12] + x[15], 9);
    x[14] ^= ROTL(x[13] + x[12], 13); x[15] ^= ROTL(x[14] + x[13], 18);
  }
  for (int i = 0; i < 16; i++) b[i] += x[i];
}

/* BlockMix: `in` (2r blocks of 16 words) → `out`, even-indexed results first, then odd. */
static void block_mix(const uint32_t *in, uint32_t *out, uint32_t r) {
  uint32_t x[16];
  memcpy(x, in + (2 * r - 1) * 16, sizeof x);
  for (uint32_t i = 0; i < 2 * r; i++) {
    for (int k = 0; k < 16; k++) x[k] ^= in[i * 16 + k];
    salsa20_8(x);
    memcpy(out + ((i & 1) * r + i / 2) * 16, x, sizeof x);
  }
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* ROMix of one lane (128*r bytes) in place; v has room for N*32*r words, xy for 64*r. */
static void ro_mix(uint8_t *lane, uint32_t N, uint32_t r, uint32_t *v, uint32_t *xy) {
  const size_t words = 32 * (size_t)r;
  uint32_t *x = xy, *y = xy + words;
  for (size_t k = 0; k < words; k++) x[k] = le32(lane + 4 * k);
  for (uint32_t i = 0; i < N; i++) {
    memcpy(v + i * words, x, words * 4);
    block_mix(x, y, r);
    uint32_t *t = x; x = y; y = t;
  }
  for (uint32_t i = 0; i < N; i++) {
    /* Integerify: the first word of the last block; N is a power of two below 2^32. */
    const uint32_t *vj = v + (size_t)(x[(2 * r - 1) * 16] & (N - 1)) * words;
    for (size_t k = 0; k < words; k++) x[k] ^= vj[k];
    block_mix(x, y, r);
    uint32_t *t = x; x = y; y = t;
  }
  for (size_t k = 0; k < words; k++) put_le32(lane + 4 * k, x[k]);
}

typedef struct {
  uint8_t *blocks;
  uint32_t lanes, N, r;
  int next_lane; /* taken with __atomic_fetch_add by the jobs */
  int jobs_left; /* main thread only */
  int failed;    /* an errno, set by any job */
  napi_ref keep; /* keeps `blocks` alive */
  napi_deferred deferred;
} Lanes;

typedef struct {
  Lanes *all;
  napi_async_work work;
} LaneJob;

static void lanes_execute(napi_env env, void *data) {
  (void)env;
  Lanes *l = ((LaneJob *)data)->all;
  const size_t words = 32 * (size_t)l->r;
  uint32_t *v = malloc((size_t)l->N * words * 4), *xy = malloc(2 * words * 4);
  if (!v || !xy) {
    __atomic_store_n(&l->failed, ENOMEM, __ATOMIC_RELAXED);
  } else {
    for (int i; (i = __atomic_fetch_add(&l->next_lane, 1, __ATOMIC_RELAXED)) < (int)l->lanes;) {
      ro_mix(l->blocks + (size_t)i * 128 * l->r, l->N, l->r, v, xy);
    }
  }
  free(v);
  free(xy);
}

static void lanes_complete(napi_env env, napi_status status, void *data) {
  LaneJob *job = data;
  Lanes *l = job->all;
  if (status != napi_ok) l->failed = EIO;
  napi_delete_async_work(env, job->work);
  free(job);
  if (--l->jobs_left > 0) return;
  if (l->failed) {
    napi_value err, msg;
    napi_create_string_utf8(env, l->failed == ENOMEM ? "scrypt: out of memory for the lane tables" : "scrypt: a lane job failed", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, l->deferred, err);
  } else {
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, l->deferred, undef);
  }
  napi_delete_reference(env, l->keep);
  free(l);
}

static napi_value ScryptLanes(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type type;
  size_t len = 0, off;
  void *data = NULL;
  napi_value ab;
  uint32_t N = 0, r = 0, threads = 0;
  if (argc < 4 || napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &off) != napi_ok || type != napi_uint8_array ||
      napi_get_value_uint32(env, argv[1], &N) != napi_ok || napi_get_value_uint32(env, argv[2], &r) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &threads) != napi_ok) {
    napi_throw_type_error(env, NULL, "scryptLanes(blocks: Uint8Array, N: number, r: number, threads: number)");
    return NULL;
  }
  if (N < 2 || (N & (N - 1)) != 0 || r == 0 || r > (1u << 24) || threads == 0 || len == 0 || len % (128 * (size_t)r) != 0 ||
      (size_t)N > SIZE_MAX / (128 * (size_t)r)) {
    napi_throw_range_error(env, NULL, "scryptLanes: N must be a power of two ≥ 2 and blocks a whole number of 128*r-byte lanes");
    return NULL;
  }
  Lanes *l = calloc(1, sizeof *l);
  if (!l) {
    napi_throw_error(env, NULL, "scrypt: out of memory");
    return NULL;
  }
  l->blocks = data;
  l->lanes = (uint32_t)(len / (128 * (size_t)r));
  l->N = N;
  l->r = r;
  if (threads > l->lanes) threads = l->lanes;
  LaneJob *jobs[64];
  if (threads > 64) threads = 64;
  for (uint32_t t = 0; t < threads; t++) {
    jobs[t] = calloc(1, sizeof *jobs[t]);
    if (!jobs[t]) {
      while (t > 0) free(jobs[--t]);
      free(l);
      napi_throw_error(env, NULL, "scrypt: out of memory");
      return NULL;
    }
  }
  l->jobs_left = (int)threads;
  napi_create_reference(env, argv[0], 1, &l->keep);
  napi_value promise, name;
  napi_create_promise(env, &l->deferred, &promise);
  napi_create_string_utf8(env, "cofre.scryptLanes", NAPI_AUTO_LENGTH, &name);
  for (uint32_t t = 0; t < threads; t++) {
    jobs[t]->all = l;
    napi_create_async_work(env, NULL, name, lanes_execute, lanes_complete, jobs[t], &jobs[t]->work);
    napi_queue_async_work(env, jobs[t]->work);
  }
  return promise;
}

void register_scrypt_lanes(napi_env env, napi_value exports) {
  export_fn(env, exports, "scryptLanes", ScryptLanes);
}
