{
  "targets": [
    {
      "target_name": "vtx_mpi",
      "sources": ["native/mpi.cc"],
      "cflags_cc": ["-std=c++17", "-O2", "<!@(mpicc --showme:compile)"],
      "libraries": ["<!@(mpicc --showme:link)", "-ldl"],
      "defines": ["NAPI_VERSION=8", "OMPI_SKIP_MPICXX=1", "MPICH_SKIP_MPICXX=1"]
    }
  ]
}
