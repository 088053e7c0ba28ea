// N-API binding to MPI (OpenMPI 4.1 on Debian): the few collectives data-parallel training needs, on the JS
// thread, in place on the caller's typed arrays (no copies beyond what MPI does itself). Every MPI call returns
// its error code (MPI_ERRORS_RETURN on MPI_COMM_WORLD) and a failure becomes a JS Error with MPI's own message.
#include <dlfcn.h>
#include <mpi.h>
#include <node_api.h>

#include <string>

namespace {

bool initialized = false;

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value fail(napi_env env, const std::string& msg) {
  napi_throw_error(env, "VTX_MPI", ("vtx mpi: " + msg).c_str());
  return nullptr;
}

// Throws and returns false when an MPI call failed.
bool check(napi_env env, int code, const char* what) {
  if (code == MPI_SUCCESS) return true;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  fail(env, std::string(what) + " failed: " + std::string(text, len));
  return false;
}

bool ready(napi_env env, const char* what) {
  if (initialized) return true;
  fail(env, std::string(what) + " before init()");
  return false;
}

struct Buffer {
  void* data = nullptr;
  size_t count = 0;
  MPI_Datatype type = MPI_BYTE;
};

// A typed array argument: Float32Array (MPI_FLOAT), Float64Array (MPI_DOUBLE) or Uint8Array (MPI_BYTE).
bool buffer(napi_env env, napi_value v, Buffer* out, bool floatsOnly) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return fail(env, "expected a typed array"), false;
  napi_typedarray_type type;
  napi_get_typedarray_info(env, v, &type, &out->count, &out->data, nullptr, nullptr);
  if (type == napi_float32_array) out->type = MPI_FLOAT;
  else if (type == napi_float64_array) out->type = MPI_DOUBLE;
  else if (type == napi_uint8_array && !floatsOnly) out->type = MPI_BYTE;
  else return fail(env, floatsOnly ? "expected a Float32Array or Float64Array" : "expected a Float32Array, Float64Array or Uint8Array"), false;
  if (out->count > 0x7fffffff) return fail(env, "buffer over 2^31 elements"), false;
  return true;
}

napi_value Init(napi_env env, napi_callback_info) {
  if (initialized) return undefined(env);
  // OpenMPI loads its components with dlopen and needs libmpi's symbols global; Node opens addons RTLD_LOCAL.
  dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  int provided = 0;
  if (!check(env, MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread")) return nullptr;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  initialized = true;
  return undefined(env);
}

napi_value Finalize(napi_env env, napi_callback_info) {
  if (!initialized) return undefined(env);
  initialized = false;
  check(env, MPI_Finalize(), "MPI_Finalize");
  return undefined(env);
}

napi_value Number(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

napi_value Rank(napi_env env, napi_callback_info) {
  if (!ready(env, "rank()")) return nullptr;
  int r = 0;
  if (!check(env, MPI_Comm_rank(MPI_COMM_WORLD, &r), "MPI_Comm_rank")) return nullptr;
  return Number(env, r);
}

napi_value Size(napi_env env, napi_callback_info) {
  if (!ready(env, "size()")) return nullptr;
  int s = 0;
  if (!check(env, MPI_Comm_size(MPI_COMM_WORLD, &s), "MPI_Comm_size")) return nullptr;
  return Number(env, s);
}

napi_value Barrier(napi_env env, napi_callback_info) {
  if (!ready(env, "barrier()")) return nullptr;
  if (!check(env, MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier")) return nullptr;
  return undefined(env);
}

// broadcast(buffer, root): every rank's buffer becomes root's.
napi_value Broadcast(napi_env env, napi_callback_info info) {
  if (!ready(env, "broadcast()")) return nullptr;
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Buffer b;
  if (argc < 2 || !buffer(env, argv[0], &b, false)) return argc < 2 ? fail(env, "broadcast(buffer, root)") : nullptr;
  int root = 0;
  napi_get_value_int32(env, argv[1], &root);
  if (!check(env, MPI_Bcast(b.data, static_cast<int>(b.count), b.type, root, MPI_COMM_WORLD), "MPI_Bcast")) return nullptr;
  return undefined(env);
}

// allreduceSum(buffer): in place, every rank gets the element-wise sum over ranks.
napi_value AllreduceSum(napi_env env, napi_callback_info info) {
  if (!ready(env, "allreduceSum()")) return nullptr;
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Buffer b;
  if (argc < 1) return fail(env, "allreduceSum(buffer)");
  if (!buffer(env, argv[0], &b, true)) return nullptr;
  int code = MPI_Allreduce(MPI_IN_PLACE, b.data, static_cast<int>(b.count), b.type, MPI_SUM, MPI_COMM_WORLD);
  if (!check(env, code, "MPI_Allreduce")) return nullptr;
  return undefined(env);
}

// abort(code): ends every rank of the job (MPI_Abort), for a rank that cannot go on.
napi_value Abort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int code = 1;
  if (argc > 0) napi_get_value_int32(env, argv[0], &code);
  if (initialized) MPI_Abort(MPI_COMM_WORLD, code);
  return undefined(env);
}

napi_value Version(napi_env env, napi_callback_info) {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(text, &len);
  napi_value out;
  napi_create_string_utf8(env, text, static_cast<size_t>(len), &out);
  return out;
}

napi_value Initialized(napi_env env, napi_callback_info) {
  napi_value out;
  napi_get_boolean(env, initialized, &out);
  return out;
}

napi_value Module(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"finalize", nullptr, Finalize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"initialized", nullptr, Initialized, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rank", nullptr, Rank, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"size", nullptr, Size, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"barrier", nullptr, Barrier, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"broadcast", nullptr, Broadcast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allreduceSum", nullptr, AllreduceSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"abort", nullptr, Abort, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Module)
