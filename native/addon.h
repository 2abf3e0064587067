/* What the addon's source files share. */
#ifndef COFRE_ADDON_H
#define COFRE_ADDON_H
#include <node_api.h>

/* exports[name] = a JS function calling cb. */
void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb);

void register_fs_extra(napi_env env, napi_value exports);
void register_scrypt_lanes(napi_env env, napi_value exports);
void register_socket_io(napi_env env, napi_value exports);

#endif
