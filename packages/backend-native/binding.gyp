{
  "targets": [
    {
      "target_name": "vtx_native",
      "sources": ["native/addon.cc", "native/attention.cc", "native/attention_avx512.cc", "native/conv.cc", "native/fused.cc", "native/gemm.cc", "native/gemm_avx512.cc", "native/group_norm.cc", "native/kernels.cc", "native/linear.cc", "native/loss.cc", "native/peak.cc", "native/pool.cc"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": [
        "-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-fexceptions",
        "<!@(node scripts/cpu-flags.cjs)"
      ],
      "libraries": ["-ldl"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
