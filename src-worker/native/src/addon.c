// The Node-API face of the native kernels. For each instruction set this CPU runs it exports an
// object of kernels with the WebAssembly exports' names and parameters, preceded by the base
// address of the memory they work in: buffers are byte offsets into the engine's shared
// WebAssembly.Memory, so the kernels read and write the engine's buffers in place, no copies.
// The JavaScript side (src-worker/native/native-kernels.ts) checks every offset against the
// buffer it stands for before calling, as it does for the WebAssembly kernels.
#define NAPI_VERSION 8
#include <node_api.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "gemm.h"
#include "matmul.h"

#if !(defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))) && !defined(__aarch64__)
/* No micro-kernel for this CPU or compiler: the addon loads and offers nothing; wasm runs. */
const Isa *const *supported_isas(void) {
  static const Isa *const none[] = {NULL};
  return none;
}
#endif

/* The most arguments a kernel takes (adamw_update: the base and 14). */
enum { MAX_ARGS = 16 };

/* A call's arguments: the instruction set (the function's data), this thread's scratch, the
 * memory's base address, and the JavaScript values after it. */
typedef struct Call {
  napi_env env;
  const Isa *isa;
  GemmScratch *scratch;
  uint8_t *base;
  napi_value argv[MAX_ARGS];
  int failed;
} Call;

static int begin(napi_env env, napi_callback_info info, size_t arity, Call *call) {
  size_t argc = MAX_ARGS;
  void *data = NULL;
  call->env = env;
  call->failed = 0;
  if (napi_get_cb_info(env, info, &argc, call->argv, NULL, &data) != napi_ok) return 0;
  // argc is the count the caller gave, even past MAX_ARGS (of which only MAX_ARGS were stored).
  if (argc != arity + 1 || argc > MAX_ARGS) {
    napi_throw_type_error(env, NULL, "native kernel called with the wrong number of arguments");
    return 0;
  }
  double base;
  if (napi_get_value_double(env, call->argv[0], &base) != napi_ok ||
      napi_get_instance_data(env, (void **)&call->scratch) != napi_ok || call->scratch == NULL) {
    napi_throw_type_error(env, NULL, "native kernel: bad memory base address");
    return 0;
  }
  call->isa = data;
  call->base = (uint8_t *)(uintptr_t)base;
  return 1;
}

/* Argument i (after the base) as a buffer: a byte offset into the memory; 0 means none. */
static float *buffer(Call *call, int i) {
  uint32_t offset = 0;
  if (napi_get_value_uint32(call->env, call->argv[i + 1], &offset) != napi_ok) call->failed = 1;
  return offset == 0 ? NULL : (float *)(call->base + offset);
}

/* Argument i as a dimension: an integer the kernels' int arithmetic holds. */
static int dim(Call *call, int i) {
  double x = -1;
  napi_get_value_double(call->env, call->argv[i + 1], &x);
  if (!(x >= 0 && x <= INT_MAX && x == (double)(int)x)) {
    call->failed = 1;
    return 0;
  }
  return (int)x;
}

/* Argument i as a float scalar (a learning rate, a coefficient). */
static float scalar(Call *call, int i) {
  double x = 0;
  if (napi_get_value_double(call->env, call->argv[i + 1], &x) != napi_ok) call->failed = 1;
  return (float)x;
}

/* After reading the arguments: throws and returns 0 when one of them was not what it must be. */
static int checked(Call *call) {
  if (call->failed) napi_throw_range_error(call->env, NULL, "native kernel: an offset or dimension is out of range");
  return !call->failed;
}

// Each function below takes (base, ...the WebAssembly export's parameters).

static napi_value matmul_forward_js(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(env, info, 7, &c)) return NULL;
  float *out = buffer(&c, 0), *inp = buffer(&c, 1), *weight = buffer(&c, 2), *bias = buffer(&c, 3);
  const int N = dim(&c, 4), C = dim(&c, 5), OC = dim(&c, 6);
  if (checked(&c)) matmul_forward(c.isa, c.scratch, out, inp, weight, bias, N, C, OC);
  return NULL;
}

static napi_value matmul_backward_js(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(env, info, 9, &c)) return NULL;
  float *dinp = buffer(&c, 0), *dweight = buffer(&c, 1), *dbias = buffer(&c, 2);
  float *dout = buffer(&c, 3), *inp = buffer(&c, 4), *weight = buffer(&c, 5);
  const int N = dim(&c, 6), C = dim(&c, 7), OC = dim(&c, 8);
  if (checked(&c)) matmul_backward(c.isa, c.scratch, dinp, dweight, dbias, dout, inp, weight, N, C, OC);
  return NULL;
}

static napi_value matmul_transposed_forward_js(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(env, info, 6, &c)) return NULL;
  float *out = buffer(&c, 0), *inp = buffer(&c, 1), *weight = buffer(&c, 2);
  const int N = dim(&c, 3), C = dim(&c, 4), OC = dim(&c, 5);
  if (checked(&c)) matmul_transposed_forward(c.isa, c.scratch, out, inp, weight, N, C, OC);
  return NULL;
}

static napi_value matmul_transposed_backward_js(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(env, info, 8, &c)) return NULL;
  float *dinp = buffer(&c, 0), *dweight = buffer(&c, 1), *dout = buffer(&c, 2);
  float *inp = buffer(&c, 3), *weight = buffer(&c, 4);
  const int N = dim(&c, 5), C = dim(&c, 6), OC = dim(&c, 7);
  if (checked(&c)) matmul_transposed_backward(c.isa, c.scratch, dinp, dweight, dout, inp, weight, N, C, OC);
  return NULL;
}

static napi_value gelu_forward_js(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(env, info, 3, &c)) return NULL;
  float *out = buffer(&c, 0), *inp = buffer(&c, 1);
  const int n = dim(&c, 2);
  if (checked(&c)) c.isa->gelu_forward(out, inp, n);
  return NULL;
}

static napi_value gelu_backward_js(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(env, info, 4, &c)) return NULL;
  float *dinp = buffer(&c, 0), *inp = buffer(&c, 1), *dout = buffer(&c, 2);
  const int n = dim(&c, 3);
  if (checked(&c)) c.isa->gelu_backward(dinp, inp, dout, n);
  return NULL;
}

static napi_value adamw_update_js(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(env, info, 14, &c)) return NULL;
  float *params = buffer(&c, 0), *grads = buffer(&c, 1), *m = buffer(&c, 2), *v = buffer(&c, 3);
  const int n = dim(&c, 4);
  const float lr = scalar(&c, 5), beta1 = scalar(&c, 6), oneMinusBeta1 = scalar(&c, 7), beta2 = scalar(&c, 8);
  const float oneMinusBeta2 = scalar(&c, 9), eps = scalar(&c, 10), weightDecay = scalar(&c, 11);
  const float c1 = scalar(&c, 12), c2 = scalar(&c, 13);
  if (checked(&c))
    c.isa->adamw(params, grads, m, v, n, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, c1, c2);
  return NULL;
}

/* address(view): the address of a typed array's first element (of a SharedArrayBuffer too), as a
 * number: exact, since user-space addresses fit in 53 bits. */
static napi_value address_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value view;
  napi_value result = NULL;
  void *data = NULL;
  bool is_typed = false;
  if (napi_get_cb_info(env, info, &argc, &view, NULL, NULL) != napi_ok) return NULL;
  if (argc != 1 || napi_is_typedarray(env, view, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, view, NULL, NULL, &data, NULL, NULL) != napi_ok) {
    napi_throw_type_error(env, NULL, "address: expected a typed array");
    return NULL;
  }
  napi_create_double(env, (double)(uintptr_t)data, &result);
  return result;
}

static void free_scratch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  gemm_scratch_free(data);
  free(data);
}

static napi_value init(napi_env env, napi_value exports) {
  // Each environment (the main thread, every worker) gets its own packing scratch.
  GemmScratch *scratch = calloc(1, sizeof *scratch);
  if (scratch == NULL || !gemm_scratch_init(scratch)) {
    free(scratch);
    napi_throw_error(env, NULL, "native kernels: out of memory for the packing scratch");
    return NULL;
  }
  napi_set_instance_data(env, scratch, free_scratch, NULL);

  static const struct {
    const char *name;
    napi_callback fn;
  } kernels[] = {
      {"matmul_forward", matmul_forward_js},
      {"matmul_backward", matmul_backward_js},
      {"matmul_transposed_forward", matmul_transposed_forward_js},
      {"matmul_transposed_backward", matmul_transposed_backward_js},
      {"gelu_forward", gelu_forward_js},
      {"gelu_backward", gelu_backward_js},
      {"adamw_update", adamw_update_js},
  };
  napi_value isas, names, fn;
  napi_create_object(env, &isas);
  napi_create_array(env, &names);
  uint32_t n = 0;
  for (const Isa *const *isa = supported_isas(); *isa != NULL; isa++, n++) {
    napi_value table, name;
    napi_create_object(env, &table);
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
      napi_create_function(env, kernels[k].name, NAPI_AUTO_LENGTH, kernels[k].fn, (void *)*isa, &fn);
      napi_set_named_property(env, table, kernels[k].name, fn);
    }
    napi_set_named_property(env, isas, (*isa)->name, table);
    napi_create_string_utf8(env, (*isa)->name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, names, n, name);
  }
  napi_set_named_property(env, exports, "kernels", isas);
  napi_set_named_property(env, exports, "isas", names);
  napi_create_function(env, "address", NAPI_AUTO_LENGTH, address_js, NULL, &fn);
  napi_set_named_property(env, exports, "address", fn);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
