/* What the addon's source files share. */
#ifndef COFRE_ADDON_H
#define COFRE_ADDON_H
#include <node_api.h>
#include <openssl/evp.h>

/* exports[name] = a JS function calling cb. */
void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb);

/* Throws an Error with code ERR_COFRE_NATIVE; returns NULL for `return throw_error(...)`. */
napi_value throw_error(napi_env env, const char *msg);

/* OpenSSL's SHA-256, fetched once when the addon loads (EVP objects are thread-safe). */
extern EVP_MD *sha256_md;

void register_fs_extra(napi_env env, napi_value exports);
void register_scrypt_lanes(napi_env env, napi_value exports);
void register_socket_io(napi_env env, napi_value exports);

#endif
