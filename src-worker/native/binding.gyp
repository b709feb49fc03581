# The native kernels addon (Node-API, plain C). Built by scripts/build-engine.mjs through
# node-gyp; no flag here targets a particular CPU: the x86 micro-kernels carry their own target
# attributes and run only where the CPU reports the instruction set.
{
  "targets": [
    {
      "target_name": "crystalline_kernels",
      "sources": ["src/addon.c", "src/gemm.c", "src/matmul.c", "src/isa-x86.c", "src/isa-neon.c"],
      "cflags_c": ["-std=gnu11", "-O3", "-ffp-contract=off"],
      "xcode_settings": {"OTHER_CFLAGS": ["-std=gnu11", "-O3", "-ffp-contract=off"]}
    }
  ]
}
