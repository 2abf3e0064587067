{
  "targets": [
    {
      "target_name": "cofre_native",
      "sources": ["addon.c", "fs-extra.c", "scrypt-lanes.c", "socket-io.c"],
      "cflags": ["-O3"]
    }
  ]
}
