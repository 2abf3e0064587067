/*
 * restic's crypto primitives through the OpenSSL that Node itself links.
 *
 * Why native: restic's MAC is Poly1305-AES and node:crypto exposes no standalone
 * Poly1305. Pure JS runs at ~240 MB/s and would be the backup's bottleneck;
 * OpenSSL's assembly implementation runs at >10 GB/s. AES-256-CTR and SHA-256 exist in
 * node:crypto, but every call there allocates a cipher object and fresh output buffers
 * (measured: ~1.2 GB/s for AES-CTR and a large share of all garbage in backup, restore
 * and check); here they write into buffers the caller owns (OpenSSL: ~7 GB/s). This file
 * implements no algorithm, it only calls OpenSSL's EVP interfaces; the one algorithm in
 * the addon is scrypt's ROMix in scrypt-lanes.c, which OpenSSL does not expose per lane.
 */
#include <node_api.h>
#include "addon.h"
#include <openssl/evp.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* Fetched once per process (worker threads share them; EVP objects are thread-safe). */
static EVP_MAC *poly_mac = NULL;
static EVP_CIPHER *aes256ctr = NULL;
static EVP_CIPHER *aes128ecb = NULL;
EVP_MD *sha256_md = NULL;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void) {
  poly_mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
  aes256ctr = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
  aes128ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
  sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, "ERR_COFRE_NATIVE", msg);
  return NULL;
}

static int bytes_arg(napi_env env, napi_value v, void **data, size_t *len) {
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  return napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) == napi_ok && t == napi_uint8_array;
}

/* EVP_*Update takes an int length: feed big inputs in pieces. */
#define EVP_STEP (1 << 30)

/* aesCtr(key: 32 bytes, iv: 16 bytes, src: Uint8Array, dst: Uint8Array(src.length)); dst may be src. */
static napi_value AesCtr(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4)
    return throw_error(env, "aesCtr expects (key, iv, src, dst)");
  void *key, *iv, *src, *dst;
  size_t key_len, iv_len, src_len, dst_len;
  if (!bytes_arg(env, argv[0], &key, &key_len) || key_len != 32) return throw_error(env, "aesCtr key must be a 32-byte Uint8Array");
  if (!bytes_arg(env, argv[1], &iv, &iv_len) || iv_len != 16) return throw_error(env, "aesCtr iv must be a 16-byte Uint8Array");
  if (!bytes_arg(env, argv[2], &src, &src_len)) return throw_error(env, "aesCtr src must be a Uint8Array");
  if (!bytes_arg(env, argv[3], &dst, &dst_len) || dst_len != src_len) return throw_error(env, "aesCtr dst must be a Uint8Array of the source's length");
  /* In place is fine; a partial overlap would corrupt the output. */
  const unsigned char *s = src, *d = dst;
  if (s != d && s < d + dst_len && d < s + src_len) return throw_error(env, "aesCtr src and dst overlap");
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return throw_error(env, "EVP_CIPHER_CTX_new failed");
  int ok = EVP_EncryptInit_ex2(ctx, aes256ctr, key, iv, NULL);
  for (size_t pos = 0; ok && pos < src_len; pos += EVP_STEP) {
    int n = (int)(src_len - pos < EVP_STEP ? src_len - pos : EVP_STEP), outl = 0;
    ok = EVP_EncryptUpdate(ctx, (unsigned char *)dst + pos, &outl, (const unsigned char *)src + pos, n) && outl == n;
  }
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return throw_error(env, "OpenSSL AES-256-CTR failed");
  return NULL;
}

/*
 * poly1305Aes(macK: 16 bytes, macR: 16 bytes, nonce: 16 bytes, message, out: 16 bytes):
 * restic's Poly1305-AES, one-time key = r || AES-128_k(nonce). (OpenSSL's Poly1305
 * clamps r itself.)
 */
static napi_value Poly1305Aes(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5)
    return throw_error(env, "poly1305Aes expects (macK, macR, nonce, message, out)");
  void *k, *r, *nonce, *msg, *out;
  size_t k_len, r_len, nonce_len, msg_len, out_len;
  if (!bytes_arg(env, argv[0], &k, &k_len) || k_len != 16) return throw_error(env, "poly1305Aes k must be 16 bytes");
  if (!bytes_arg(env, argv[1], &r, &r_len) || r_len != 16) return throw_error(env, "poly1305Aes r must be 16 bytes");
  if (!bytes_arg(env, argv[2], &nonce, &nonce_len) || nonce_len != 16) return throw_error(env, "poly1305Aes nonce must be 16 bytes");
  if (!bytes_arg(env, argv[3], &msg, &msg_len)) return throw_error(env, "poly1305Aes message must be a Uint8Array");
  if (!bytes_arg(env, argv[4], &out, &out_len) || out_len != 16) return throw_error(env, "poly1305Aes output must be 16 bytes");
  unsigned char one_time[32];
  memcpy(one_time, r, 16);
  EVP_CIPHER_CTX *ectx = EVP_CIPHER_CTX_new();
  int outl = 0;
  int ok = ectx != NULL && EVP_EncryptInit_ex2(ectx, aes128ecb, k, NULL, NULL) && EVP_CIPHER_CTX_set_padding(ectx, 0) &&
           EVP_EncryptUpdate(ectx, one_time + 16, &outl, nonce, 16) && outl == 16;
  EVP_CIPHER_CTX_free(ectx);
  if (!ok) return throw_error(env, "OpenSSL AES-128 (Poly1305-AES nonce) failed");
  EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(poly_mac);
  if (ctx == NULL) return throw_error(env, "EVP_MAC_CTX_new failed");
  size_t written = 0;
  ok = EVP_MAC_init(ctx, one_time, 32, NULL);
  for (size_t pos = 0; ok && pos < msg_len; pos += EVP_STEP)
    ok = EVP_MAC_update(ctx, (const unsigned char *)msg + pos, msg_len - pos < EVP_STEP ? msg_len - pos : EVP_STEP);
  ok = ok && EVP_MAC_final(ctx, out, &written, out_len) && written == 16;
  EVP_MAC_CTX_free(ctx);
  memset(one_time, 0, sizeof one_time);
  if (!ok) return throw_error(env, "OpenSSL Poly1305 failed");
  return NULL;
}

/* sha256Hex(data: Uint8Array): string — one call, no Hash object, hex made here. */
static napi_value Sha256Hex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  size_t len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || !bytes_arg(env, argv[0], &data, &len))
    return throw_error(env, "sha256Hex expects a Uint8Array");
  unsigned char md[32];
  unsigned int md_len = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx != NULL && EVP_DigestInit_ex2(ctx, sha256_md, NULL);
  for (size_t pos = 0; ok && pos < len; pos += EVP_STEP)
    ok = EVP_DigestUpdate(ctx, (const unsigned char *)data + pos, len - pos < EVP_STEP ? len - pos : EVP_STEP);
  ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) && md_len == 32;
  EVP_MD_CTX_free(ctx);
  if (!ok) return throw_error(env, "OpenSSL SHA-256 failed");
  static const char digits[] = "0123456789abcdef";
  char hex[64];
  for (int i = 0; i < 32; i++) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  napi_value result;
  napi_create_string_latin1(env, hex, 64, &result);
  return result;
}

void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

/*
 * Backup, restore and check pass megabyte buffers between threads by the thousand. glibc
 * serves them from per-thread arenas once its adaptive mmap threshold has grown past their
 * size, and a buffer freed on another thread then stays in its arena as fragmentation
 * (measured: ~50 MB of RSS in a 1 GB backup). A fixed threshold sends every allocation of
 * 256 KiB or more straight to mmap, so freed buffers go back to the kernel.
 */
static void tune_allocator(void) {
#ifdef M_MMAP_THRESHOLD
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
}

/*
 * setMallocTrimThreshold(bytes): free memory at the top of the heap is handed back to the
 * kernel only once it exceeds `bytes`. With the mmap threshold fixed (above), glibc keeps
 * the trim threshold at 128 KiB, which suits short commands but not a server that frees
 * many megabytes of request buffers at every garbage collection and then faults the same
 * memory in again (see the server's cli.ts).
 */
static napi_value SetMallocTrimThreshold(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int64(env, argv[0], &bytes) != napi_ok ||
      bytes < 0 || bytes > INT32_MAX)
    return throw_error(env, "setMallocTrimThreshold expects a byte count up to 2^31-1");
#ifdef M_TRIM_THRESHOLD
  mallopt(M_TRIM_THRESHOLD, (int)bytes);
#endif
  return NULL;
}

static void init_once(void) {
  fetch_algorithms();
  tune_allocator();
}

NAPI_MODULE_INIT() {
  pthread_once(&fetch_once, init_once);
  if (poly_mac == NULL || aes256ctr == NULL || aes128ecb == NULL || sha256_md == NULL) {
    napi_throw_error(env, "ERR_COFRE_NATIVE", "Node's OpenSSL lacks POLY1305, AES-256-CTR, AES-128-ECB or SHA256");
    return NULL;
  }
  export_fn(env, exports, "poly1305Aes", Poly1305Aes);
  export_fn(env, exports, "aesCtr", AesCtr);
  export_fn(env, exports, "sha256Hex", Sha256Hex);
  export_fn(env, exports, "setMallocTrimThreshold", SetMallocTrimThreshold);
  register_fs_extra(env, exports);
  register_scrypt_lanes(env, exports);
  register_socket_io(env, exports);
  return exports;
}
