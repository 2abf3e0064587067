/*
 * File-system calls that node:fs lacks but a faithful backup/restore needs:
 * nanosecond timestamps on any inode (utimensat with AT_SYMLINK_NOFOLLOW),
 * extended attributes without following symlinks, and mknod for FIFOs and device nodes.
 * Each function throws an Error carrying the errno `code` (like node:fs) on failure.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/types.h>

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  napi_value msg, code, error;
  char buf[256];
  snprintf(buf, sizeof buf, "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  const char *name = err == ENOENT ? "ENOENT" : err == EPERM ? "EPERM" : err == EACCES ? "EACCES"
                   : err == ENOTSUP ? "ENOTSUP" : err == ENODATA ? "ENODATA" : err == EEXIST ? "EEXIST"
                   : err == E2BIG ? "E2BIG" : err == ERANGE ? "ERANGE" : "EIO";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}

/* Paths arrive as Buffers so names that are not valid UTF-8 survive. Returns malloc'd C string. */
static char *get_path(napi_env env, napi_value v) {
  void *data; size_t len;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "path must be a Buffer");
    return NULL;
  }
  char *p = malloc(len + 1);
  memcpy(p, data, len);
  p[len] = 0;
  return p;
}

static int64_t get_i64(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}

/* lutimesNs(path: Buffer, atimeSec, atimeNsec, mtimeSec, mtimeNsec) */
static napi_value LutimesNs(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_path(env, argv[0]);
  if (!path) return NULL;
  struct timespec ts[2];
  ts[0].tv_sec = get_i64(env, argv[1]); ts[0].tv_nsec = get_i64(env, argv[2]);
  ts[1].tv_sec = get_i64(env, argv[3]); ts[1].tv_nsec = get_i64(env, argv[4]);
  int r = utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
  int err = errno;
  free(path);
  if (r != 0) return throw_errno(env, "utimensat", err);
  return NULL;
}

/* llistxattr(path: Buffer): Buffer  (NUL-separated names) */
static napi_value Llistxattr(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_path(env, argv[0]);
  if (!path) return NULL;
  for (;;) {
    ssize_t n = llistxattr(path, NULL, 0);
    if (n < 0) { int err = errno; free(path); return throw_errno(env, "llistxattr", err); }
    void *out; napi_value buf;
    char *tmp = malloc(n > 0 ? n : 1);
    ssize_t m = llistxattr(path, tmp, n);
    if (m < 0 && errno == ERANGE) { free(tmp); continue; }
    if (m < 0) { int err = errno; free(tmp); free(path); return throw_errno(env, "llistxattr", err); }
    napi_create_buffer_copy(env, m, tmp, &out, &buf);
    free(tmp); free(path);
    return buf;
  }
}

/* lgetxattr(path: Buffer, name: string): Buffer */
static napi_value Lgetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_path(env, argv[0]);
  if (!path) return NULL;
  char name[512]; size_t nl;
  napi_get_value_string_utf8(env, argv[1], name, sizeof name, &nl);
  for (;;) {
    ssize_t n = lgetxattr(path, name, NULL, 0);
    if (n < 0) { int err = errno; free(path); return throw_errno(env, "lgetxattr", err); }
    char *tmp = malloc(n > 0 ? n : 1);
    ssize_t m = lgetxattr(path, name, tmp, n);
    if (m < 0 && errno == ERANGE) { free(tmp); continue; }
    if (m < 0) { int err = errno; free(tmp); free(path); return throw_errno(env, "lgetxattr", err); }
    void *out; napi_value buf;
    napi_create_buffer_copy(env, m, tmp, &out, &buf);
    free(tmp); free(path);
    return buf;
  }
}

/* lsetxattr(path: Buffer, name: string, value: Buffer) */
static napi_value Lsetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_path(env, argv[0]);
  if (!path) return NULL;
  char name[512]; size_t nl;
  napi_get_value_string_utf8(env, argv[1], name, sizeof name, &nl);
  void *val; size_t vl;
  napi_get_buffer_info(env, argv[2], &val, &vl);
  int r = lsetxattr(path, name, val, vl, 0);
  int err = errno;
  free(path);
  if (r != 0) return throw_errno(env, "lsetxattr", err);
  return NULL;
}

/* mknod(path: Buffer, mode: number (incl. S_IFIFO/S_IFCHR/S_IFBLK), dev: bigint-as-number) */
static napi_value Mknod(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_path(env, argv[0]);
  if (!path) return NULL;
  int64_t mode = get_i64(env, argv[1]);
  int64_t dev = get_i64(env, argv[2]);
  int r = mknod(path, (mode_t)mode, (dev_t)dev);
  int err = errno;
  free(path);
  if (r != 0) return throw_errno(env, "mknod", err);
  return NULL;
}

/*
 * fadviseWillNeed(fd: number): asks the kernel to read the whole file into the page cache
 * in the background (POSIX_FADV_WILLNEED). Check and prune then walk trees blob by blob
 * without a disk round trip per small read.
 */
static napi_value FadviseWillNeed(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t fd = get_i64(env, argv[0]);
  int err = posix_fadvise((int)fd, 0, 0, POSIX_FADV_WILLNEED);
  if (err != 0) return throw_errno(env, "posix_fadvise", err);
  return NULL;
}

void register_fs_extra(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "fadviseWillNeed", NAPI_AUTO_LENGTH, FadviseWillNeed, NULL, &fn);
  napi_set_named_property(env, exports, "fadviseWillNeed", fn);
  napi_create_function(env, "lutimesNs", NAPI_AUTO_LENGTH, LutimesNs, NULL, &fn);
  napi_set_named_property(env, exports, "lutimesNs", fn);
  napi_create_function(env, "llistxattr", NAPI_AUTO_LENGTH, Llistxattr, NULL, &fn);
  napi_set_named_property(env, exports, "llistxattr", fn);
  napi_create_function(env, "lgetxattr", NAPI_AUTO_LENGTH, Lgetxattr, NULL, &fn);
  napi_set_named_property(env, exports, "lgetxattr", fn);
  napi_create_function(env, "lsetxattr", NAPI_AUTO_LENGTH, Lsetxattr, NULL, &fn);
  napi_set_named_property(env, exports, "lsetxattr", fn);
  napi_create_function(env, "mknod", NAPI_AUTO_LENGTH, Mknod, NULL, &fn);
  napi_set_named_property(env, exports, "mknod", fn);
}
