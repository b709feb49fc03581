# The native kernels addon (Node-API, plain C). Built by scripts/build-engine.mjs through
# node-gyp; no flag here targets a particular CPU: the x86 kernels carry their own target
# attributes and run only where the CPU reports the instruction set. -ffp-contract=off: no
# multiply-add is fused unless the source says so (fmaf, _mm*_fmadd_ps), so each instruction set
# rounds as written; -fno-trapping-math and -fno-math-errno change no result, they only let the
# element-wise loops (clamps, square roots) vectorize.
{
  "targets": [
    {
      "target_name": "crystalline_kernels",
      "sources": ["src/addon.c", "src/gemm.c", "src/matmul.c", "src/isa-x86.c", "src/isa-neon.c"],
      "cflags_c": ["-std=gnu11", "-O3", "-ffp-contract=off", "-fno-trapping-math", "-fno-math-errno"],
      "xcode_settings": {"OTHER_CFLAGS": ["-std=gnu11", "-O3", "-ffp-contract=off", "-fno-trapping-math", "-fno-math-errno"]}
    }
  ]
}
