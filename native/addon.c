/*
 * Poly1305 one-shot MAC through the OpenSSL that Node itself links.
 *
 * Why native: restic's MAC is Poly1305-AES and node:crypto exposes no standalone
 * Poly1305. Pure JS runs at ~240 MB/s and would be the backup's bottleneck;
 * OpenSSL's assembly implementation runs at >10 GB/s. We do not implement the
 * algorithm here, we only call OpenSSL's EVP_MAC "POLY1305".
 */
#include <node_api.h>
#include <openssl/evp.h>

static EVP_MAC *poly_mac = NULL;

static napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, "ERR_COFRE_NATIVE", msg);
  return NULL;
}

/* poly1305(key: Uint8Array(32), message: Uint8Array, out: Uint8Array(16)) */
static napi_value Poly1305(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3)
    return throw_error(env, "poly1305 expects (key, message, out)");
  void *key, *msg, *out;
  size_t key_len, msg_len, out_len;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, argv[0], &t, &key_len, &key, &ab, &off) != napi_ok || key_len != 32)
    return throw_error(env, "poly1305 key must be a 32-byte Uint8Array");
  if (napi_get_typedarray_info(env, argv[1], &t, &msg_len, &msg, &ab, &off) != napi_ok)
    return throw_error(env, "poly1305 message must be a Uint8Array");
  if (napi_get_typedarray_info(env, argv[2], &t, &out_len, &out, &ab, &off) != napi_ok || out_len != 16)
    return throw_error(env, "poly1305 output must be a 16-byte Uint8Array");
  EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(poly_mac);
  if (ctx == NULL) return throw_error(env, "EVP_MAC_CTX_new failed");
  size_t written = 0;
  int ok = EVP_MAC_init(ctx, key, key_len, NULL) &&
           (msg_len == 0 || EVP_MAC_update(ctx, msg, msg_len)) &&
           EVP_MAC_final(ctx, out, &written, out_len) && written == 16;
  EVP_MAC_CTX_free(ctx);
  if (!ok) return throw_error(env, "OpenSSL Poly1305 failed");
  return NULL;
}

void register_fs_extra(napi_env env, napi_value exports);

NAPI_MODULE_INIT() {
  poly_mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
  if (poly_mac == NULL) {
    napi_throw_error(env, "ERR_COFRE_NATIVE", "OpenSSL has no POLY1305 MAC");
    return NULL;
  }
  napi_value fn;
  napi_create_function(env, "poly1305", NAPI_AUTO_LENGTH, Poly1305, NULL, &fn);
  napi_set_named_property(env, exports, "poly1305", fn);
  register_fs_extra(env, exports);
  return exports;
}
