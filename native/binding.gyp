{
  "targets": [
    {
      "target_name": "cofre_native",
      "sources": ["poly1305.c"],
      "cflags": ["-O2"]
    }
  ]
}
