/*
 * File-system calls that node:fs lacks but a faithful backup/restore needs:
 * nanosecond timestamps on any inode (utimensat with AT_SYMLINK_NOFOLLOW),
 * extended attributes without following symlinks, and mknod for FIFOs and device nodes.
 * Each function throws an Error carrying the errno `code` (like node:fs) on failure.
 * scanDir lists a directory and lstats every entry in one thread-pool job.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include "addon.h"
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/types.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/*
 * scanDir(path: Buffer): Promise<[names, stats, errno]>. Reads the directory and
 * fstatat(AT_SYMLINK_NOFOLLOW)s each entry on libuv's thread pool: one round trip per
 * directory instead of one per file (node:fs), which is most of what a backup of
 * unchanged files costs. names: the entry names, each followed by a NUL (not sorted).
 * stats: SCAN_FIELDS int64 per entry: errno of its lstat (0 = ok), dev, ino, mode, nlink,
 * uid, gid, rdev, size, then atime, mtime, ctime in nanoseconds since the epoch. When the
 * directory itself cannot be read, names and stats are null and errno says why.
 */
#define SCAN_FIELDS 12
#define NS(ts) ((int64_t)(ts).tv_sec * 1000000000 + (ts).tv_nsec)

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  int err;
  char *names;
  size_t names_len, names_cap;
  int64_t *stats;
  size_t count, stats_cap; /* entries; bytes allocated */
} ScanDir;

static int reserve(void **buf, size_t *cap, size_t need) {
  if (need <= *cap) return 1;
  size_t c = *cap ? *cap * 2 : 4096;
  while (c < need) c *= 2;
  void *p = realloc(*buf, c);
  if (!p) return 0;
  *buf = p;
  *cap = c;
  return 1;
}

static void scan_execute(napi_env env, void *data) {
  (void)env;
  ScanDir *s = data;
  DIR *d = opendir(s->path);
  if (!d) {
    s->err = errno;
    return;
  }
  int dfd = dirfd(d);
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      s->err = errno;
      break;
    }
    const char *n = e->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    size_t len = strlen(n) + 1;
    if (!reserve((void **)&s->names, &s->names_cap, s->names_len + len) ||
        !reserve((void **)&s->stats, &s->stats_cap, (s->count + 1) * SCAN_FIELDS * sizeof(int64_t))) {
      s->err = ENOMEM;
      break;
    }
    memcpy(s->names + s->names_len, n, len);
    s->names_len += len;
    int64_t *f = s->stats + s->count * SCAN_FIELDS;
    s->count++;
    struct stat st;
    if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      memset(f, 0, SCAN_FIELDS * sizeof(int64_t));
      f[0] = errno;
      continue;
    }
    f[0] = 0; f[1] = (int64_t)st.st_dev; f[2] = (int64_t)st.st_ino; f[3] = st.st_mode;
    f[4] = (int64_t)st.st_nlink; f[5] = st.st_uid; f[6] = st.st_gid; f[7] = (int64_t)st.st_rdev;
    f[8] = st.st_size;
    f[9] = NS(st.st_atim); f[10] = NS(st.st_mtim); f[11] = NS(st.st_ctim);
  }
  closedir(d);
}

static void scan_complete(napi_env env, napi_status status, void *data) {
  ScanDir *s = data;
  napi_value result, names, stats, err, ab;
  napi_get_null(env, &names);
  napi_get_null(env, &stats);
  int code = status == napi_ok ? s->err : EIO;
  if (code == 0) {
    napi_create_buffer_copy(env, s->names_len, s->names_len ? s->names : "", NULL, &names);
    void *abdata;
    size_t bytes = s->count * SCAN_FIELDS * sizeof(int64_t);
    napi_create_arraybuffer(env, bytes, &abdata, &ab);
    if (bytes) memcpy(abdata, s->stats, bytes);
    napi_create_typedarray(env, napi_bigint64_array, s->count * SCAN_FIELDS, ab, 0, &stats);
  }
  napi_create_int32(env, code, &err);
  napi_create_array_with_length(env, 3, &result);
  napi_set_element(env, result, 0, names);
  napi_set_element(env, result, 1, stats);
  napi_set_element(env, result, 2, err);
  napi_resolve_deferred(env, s->deferred, result);
  napi_delete_async_work(env, s->work);
  free(s->path);
  free(s->names);
  free(s->stats);
  free(s);
}

static napi_value ScanDirFn(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_path(env, argv[0]);
  if (!path) return NULL;
  ScanDir *s = calloc(1, sizeof *s);
  if (!s) {
    free(path);
    return throw_errno(env, "scandir", ENOMEM);
  }
  s->path = path;
  napi_value promise, name;
  napi_create_promise(env, &s->deferred, &promise);
  napi_create_string_utf8(env, "cofre.scanDir", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, scan_execute, scan_complete, s, &s->work);
  napi_queue_async_work(env, s->work);
  return promise;
}

/*
 * preallocate(fd: number, length: number): fallocate(fd, 0, 0, length), so the file is
 * `length` bytes long and its blocks are allocated in one call. Writing into allocated
 * blocks skips the file system's per-block delayed-allocation bookkeeping (on ext4 that
 * was a third of the CPU time of a buffered write). Throws ENOTSUP where the file system
 * or platform cannot do it; never falls back to writing zeros as posix_fallocate does.
 */
static napi_value Preallocate(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t fd = get_i64(env, argv[0]), len = get_i64(env, argv[1]);
#ifdef __linux__
  if (fallocate((int)fd, 0, 0, (off_t)len) != 0) return throw_errno(env, "fallocate", errno == EOPNOTSUPP ? ENOTSUP : errno);
  return NULL;
#else
  (void)fd; (void)len;
  return throw_errno(env, "fallocate", ENOTSUP);
#endif
}

/*
 * lowerThreadPriority(nice): raises the nice value of the calling thread only (Linux keeps
 * one per thread; setpriority on the thread id). Pool workers call it so that, when the
 * cores are contended, the main thread, which feeds them all, runs first. No-op elsewhere.
 */
static napi_value LowerThreadPriority(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t nice = get_i64(env, argv[0]);
#ifdef __linux__
  pid_t tid = (pid_t)syscall(SYS_gettid);
  int now = getpriority(PRIO_PROCESS, (id_t)tid);
  if (nice > now) setpriority(PRIO_PROCESS, (id_t)tid, (int)nice);
#else
  (void)nice;
#endif
  return NULL;
}

void register_fs_extra(napi_env env, napi_value exports) {
  export_fn(env, exports, "lowerThreadPriority", LowerThreadPriority);
  export_fn(env, exports, "scanDir", ScanDirFn);
  export_fn(env, exports, "preallocate", Preallocate);
  export_fn(env, exports, "fadviseWillNeed", FadviseWillNeed);
  export_fn(env, exports, "lutimesNs", LutimesNs);
  export_fn(env, exports, "llistxattr", Llistxattr);
  export_fn(env, exports, "lgetxattr", Lgetxattr);
  export_fn(env, exports, "lsetxattr", Lsetxattr);
  export_fn(env, exports, "mknod", Mknod);
}
