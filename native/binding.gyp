{
  "targets": [
    {
      "target_name": "cofre_native",
      "sources": ["addon.c", "fs-extra.c"],
      "cflags": ["-O2"]
    }
  ]
}
