/* gemmini_host.h: gemmini.h's instruction API implemented on the host CPU.
 *
 * liftcomp's emitted C calls the names of Gemmini's gemmini.h (gemmini_extended_mvin, ...,
 * gemmini_loop_ws). On a Gemmini SoC it includes the real gemmini.h; with
 * -DLIFTCOMP_GEMMINI_HOST it includes this file instead, which executes every instruction on the
 * CPU with the functional semantics of liftcomp's simulator (targets/gemmini/sim/machine.py),
 * so tests can compile the emitted C with gcc, run it, and compare with numpy.
 *
 * Default configuration: DIM 16, int8 inputs, int32 accumulator, 16384 scratchpad rows,
 * 1024 accumulator rows, 20-bit array outputs (the OS dataflow's partial sums in the PEs wrap at
 * 20 bits; drained results are shifted by sys_shift, rounding to nearest even, and clipped). Strides given to config_ld/config_st are in bytes, as in gemmini.h;
 * loop_ws strides are in elements. Errors (out-of-range rows, cols or addresses) abort.
 */
#ifndef LIFTCOMP_GEMMINI_HOST_H
#define LIFTCOMP_GEMMINI_HOST_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM 16
#define BANK_NUM 4
#define BANK_ROWS 4096
#define ACC_ROWS 1024
#define GH_ARRAY_OUTPUT_BITS 20
#define MAX_BLOCK_LEN 4
#define MAX_BLOCK_LEN_ACC 1
#define ADDR_LEN 32
#define GARBAGE_ADDR ((uint32_t)(-1))
#define WEIGHT_STATIONARY 1
#define OUTPUT_STATIONARY 0
#define NO_ACTIVATION 0
#define RELU 1

typedef int8_t elem_t;
typedef int32_t acc_t;
typedef float scale_t;
typedef float acc_scale_t;

static elem_t gh_spad[BANK_NUM * BANK_ROWS][DIM];
static acc_t gh_acc[ACC_ROWS][DIM];
static size_t gh_ld_stride[3];
static scale_t gh_ld_scale[3] = {1.0f, 1.0f, 1.0f};
static bool gh_ld_shrunk[3];
static size_t gh_st_stride;
static int gh_st_act;
static acc_scale_t gh_st_scale = 1.0f;
static bool gh_a_transpose, gh_b_transpose;
static size_t gh_a_stride = 1;
static int gh_dataflow = WEIGHT_STATIONARY;
static unsigned gh_sys_shift;
static int64_t gh_os_psums[DIM][DIM]; /* OS: the PEs' partial sums (GH_ARRAY_OUTPUT_BITS-bit values) */
static bool gh_has_psums;
static int64_t gh_weights[DIM][DIM];
static bool gh_has_weights;
static bool gh_pending;
static uint32_t gh_pre_b, gh_pre_c;
static size_t gh_pre_b_rows, gh_pre_b_cols, gh_pre_c_rows, gh_pre_c_cols;
static int gh_fsm_sp_half, gh_fsm_acc_half;

static inline void gh_fail(const char *what) {
  fprintf(stderr, "gemmini_host: %s\n", what);
  abort();
}

static inline int64_t gh_rint_sat(float y, int64_t lo, int64_t hi) {
  float r = nearbyintf(y);
  if (r >= (float)hi) return hi; /* (float)INT32_MAX rounds up: >= keeps the clamp exact */
  if (r <= (float)lo) return lo;
  return (int64_t)r;
}

static inline bool gh_is_acc(uint32_t addr) { return (addr >> 31) & 1; }
static inline uint32_t gh_row(uint32_t addr) { return addr & 0x1FFFFFFF; }

static inline void gh_check(uint32_t row, size_t rows, size_t cols, size_t max_blocks, bool acc) {
  size_t blocks = (cols + DIM - 1) / DIM;
  size_t cap = acc ? ACC_ROWS : BANK_NUM * BANK_ROWS;
  if (rows < 1 || rows > DIM) gh_fail("rows outside [1, DIM]");
  if (cols < 1 || cols > max_blocks * DIM) gh_fail("cols too wide");
  if ((size_t)row + (blocks - 1) * DIM + rows > cap) gh_fail("local address out of range");
}

/* ------------------------------------------------------------------------ configuration -- */
#define gemmini_extended_config_ex(dataflow, sys_act, sys_shift, A_stride, A_transpose, B_transpose) \
  gh_config_ex((dataflow), (sys_shift), (A_stride), (A_transpose), (B_transpose))
/* A_stride: scratchpad rows between the A rows a WS compute streams (a strided conv's). */
static inline void gh_config_ex(int dataflow, unsigned sys_shift, size_t a_stride, bool a_t, bool b_t) {
  if (dataflow != WEIGHT_STATIONARY && dataflow != OUTPUT_STATIONARY) gh_fail("unknown dataflow");
  if (dataflow == OUTPUT_STATIONARY && b_t && !a_t) gh_fail("the OS dataflow cannot transpose B alone");
  if (dataflow == WEIGHT_STATIONARY && a_t && b_t) gh_fail("the WS dataflow cannot transpose A and B together");
  if (sys_shift > 31) gh_fail("sys_shift outside [0, 31]");
  if (a_stride < 1 || a_stride > 65535) gh_fail("A stride outside [1, 65535]");
  if (a_stride != 1 && (dataflow != WEIGHT_STATIONARY || a_t)) gh_fail("an A stride needs WS without transposing A");
  gh_a_stride = a_stride;
  gh_dataflow = dataflow;
  gh_sys_shift = sys_shift;
  gh_a_transpose = a_t;
  gh_b_transpose = b_t;
}

/* x reduced to a signed `bits`-bit two's-complement value. */
static inline int64_t gh_wrap_bits(int64_t x, unsigned bits) {
  uint64_t m = ((uint64_t)1 << bits) - 1, half = (uint64_t)1 << (bits - 1);
  return (int64_t)((((uint64_t)x + half) & m) - half);
}

/* Arithmetic right shift rounding to nearest, ties to even. */
static inline int64_t gh_rounding_shift(int64_t x, unsigned s) {
  if (s == 0) return x;
  int64_t half = (x >> (s - 1)) & 1;
  int64_t rest = (x & (((int64_t)1 << (s - 1)) - 1)) != 0;
  int64_t odd = (x >> s) & 1;
  return (x >> s) + (half & (rest | odd));
}

#define gemmini_extended3_config_ld(stride, scale, shrunk, id) gh_config_ld((stride), (scale), (shrunk), (id))
#define gemmini_extended_config_ld(stride, scale) gh_config_ld((stride), (scale), false, 0)
static inline void gh_config_ld(size_t stride, scale_t scale, bool shrunk, int id) {
  gh_ld_stride[id] = stride;
  gh_ld_scale[id] = scale;
  gh_ld_shrunk[id] = shrunk;
}

#define gemmini_extended_config_st(stride, acc_act, acc_scale) gh_config_st((stride), (acc_act), (acc_scale))
static inline void gh_config_st(size_t stride, int act, acc_scale_t scale) {
  gh_st_stride = stride;
  gh_st_act = act;
  gh_st_scale = scale;
}

/* ------------------------------------------------------------------------ data movement -- */
/* Element (r, c) of a DRAM matrix with a row stride in bytes. */
static inline const void *gh_at(const void *base, size_t stride, size_t r, size_t c, size_t esz) {
  return (const char *)base + r * stride + c * esz;
}

static inline void gh_mvin_id(const void *dram, uint32_t addr, size_t cols, size_t rows, int id, size_t stride_override,
                       bool use_override) {
  size_t stride = use_override ? stride_override : gh_ld_stride[id];
  scale_t scale = gh_ld_scale[id];
  uint32_t row = gh_row(addr);
  if (!gh_is_acc(addr)) {
    gh_check(row, rows, cols, MAX_BLOCK_LEN, false);
    for (size_t r = 0; r < rows; r++)
      for (size_t c = 0; c < cols; c++) {
        /* DRAM address 0: Gemmini's ZeroWriter writes zero rows. */
        int64_t x = dram ? *(const elem_t *)gh_at(dram, stride, r, c, sizeof(elem_t)) : 0;
        if (scale != 1.0f) x = gh_rint_sat((float)x * scale, -128, 127);
        gh_spad[row + (c / DIM) * DIM + r][c % DIM] = (elem_t)x;
      }
    return;
  }
  bool accumulate = (addr >> 30) & 1;
  bool shrunk = gh_ld_shrunk[id];
  gh_check(row, rows, cols, MAX_BLOCK_LEN_ACC, true);
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++) {
      int64_t x = !dram ? 0 : shrunk ? *(const elem_t *)gh_at(dram, stride, r, c, 1)
                                 : *(const acc_t *)gh_at(dram, stride, r, c, sizeof(acc_t));
      if (scale != 1.0f) x = gh_rint_sat((float)x * scale, INT32_MIN, INT32_MAX);
      acc_t *dst = &gh_acc[row + (c / DIM) * DIM + r][c % DIM];
      *dst = accumulate ? (acc_t)((uint32_t)*dst + (uint32_t)x) : (acc_t)x;
    }
}

#define gemmini_extended_mvin(dram, addr, cols, rows) gh_mvin_id((dram), (addr), (cols), (rows), 0, 0, false)
#define gemmini_extended_mvin2(dram, addr, cols, rows) gh_mvin_id((dram), (addr), (cols), (rows), 1, 0, false)
#define gemmini_extended_mvin3(dram, addr, cols, rows) gh_mvin_id((dram), (addr), (cols), (rows), 2, 0, false)

/* Up to MAX_BLOCK_LEN blocks of int8 per row (block b from the DIM rows at row + b*DIM); full int32
 * rows one block at a time, as Gemmini's StoreController. */
static inline void gh_mvout(void *dram, uint32_t addr, size_t cols, size_t rows, size_t stride) {
  uint32_t row = gh_row(addr);
  if (!gh_is_acc(addr)) {
    gh_check(row, rows, cols, MAX_BLOCK_LEN, false);
    for (size_t r = 0; r < rows; r++)
      for (size_t c = 0; c < cols; c++)
        *(elem_t *)gh_at(dram, stride, r, c, 1) = gh_spad[row + (c / DIM) * DIM + r][c % DIM];
    return;
  }
  bool full = (addr >> 29) & 1;
  gh_check(row, rows, cols, full ? MAX_BLOCK_LEN_ACC : MAX_BLOCK_LEN, true);
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++) {
      int64_t x = gh_acc[row + (c / DIM) * DIM + r][c % DIM];
      if (full) {
        *(acc_t *)gh_at(dram, stride, r, c, sizeof(acc_t)) = (acc_t)x;
        continue;
      }
      if (gh_st_scale != 1.0f) x = gh_rint_sat((float)x * gh_st_scale, INT32_MIN, INT32_MAX);
      if (gh_st_act == RELU && x < 0) x = 0;
      *(elem_t *)gh_at(dram, stride, r, c, 1) = (elem_t)(x > 127 ? 127 : (x < -128 ? -128 : x));
    }
}
#define gemmini_extended_mvout(dram, addr, cols, rows) gh_mvout((void *)(dram), (addr), (cols), (rows), gh_st_stride)

/* ------------------------------------------------------------------------ execute -- */
static inline void gh_preload(uint32_t b, uint32_t c, size_t b_cols, size_t b_rows, size_t c_cols, size_t c_rows) {
  if (b_rows < 1 || b_rows > DIM || b_cols < 1 || b_cols > DIM || c_rows < 1 || c_rows > DIM || c_cols < 1 ||
      c_cols > DIM)
    gh_fail("preload sizes outside [1, DIM]");
  gh_pre_b = b;
  gh_pre_c = c;
  gh_pre_b_rows = b_rows;
  gh_pre_b_cols = b_cols;
  gh_pre_c_rows = c_rows;
  gh_pre_c_cols = c_cols;
  gh_pending = true;
}
#define gemmini_extended_preload(BD, C, BD_cols, BD_rows, C_cols, C_rows) \
  gh_preload((BD), (C), (BD_cols), (BD_rows), (C_cols), (C_rows))

static inline void gh_compute_os(bool preloaded, uint32_t a, uint32_t b, size_t a_cols, size_t a_rows, size_t b_cols,
                                 size_t b_rows);

static inline void gh_compute(bool preloaded, uint32_t a, uint32_t bd, size_t a_cols, size_t a_rows, size_t bd_cols,
                              size_t bd_rows) {
  if (!gh_pending) gh_fail("compute without a preceding preload");
  if (gh_dataflow == OUTPUT_STATIONARY) {
    gh_compute_os(preloaded, a, bd, a_cols, a_rows, bd_cols, bd_rows);
    return;
  }
  if (bd != GARBAGE_ADDR) gh_fail("in WS the compute's BD address must be GARBAGE");
  if (a_rows < 1 || a_rows > DIM || a_cols < 1 || a_cols > DIM) gh_fail("compute A sizes outside [1, DIM]");
  gh_pending = false;
  if (preloaded) {
    memset(gh_weights, 0, sizeof gh_weights);
    if (gh_pre_b != GARBAGE_ADDR) {
      uint32_t br = gh_row(gh_pre_b);
      for (size_t k = 0; k < gh_pre_b_rows; k++)
        for (size_t j = 0; j < gh_pre_b_cols; j++)
          gh_weights[k][j] = gh_b_transpose ? gh_spad[br + j][k] : gh_spad[br + k][j];
    }
    gh_has_weights = true;
  } else if (!gh_has_weights) {
    gh_fail("compute_accumulated before any compute_preloaded");
  }
  if (gh_pre_c == GARBAGE_ADDR) return;
  int64_t res[DIM][DIM];
  memset(res, 0, sizeof res);
  if (a != GARBAGE_ADDR) {
    uint32_t ar = gh_row(a);
    for (size_t i = 0; i < a_rows; i++)
      for (size_t j = 0; j < DIM; j++) {
        int64_t s = 0;
        for (size_t k = 0; k < a_cols; k++)
          s += (int64_t)(gh_a_transpose ? gh_spad[ar + k][i] : gh_spad[ar + i * gh_a_stride][k]) * gh_weights[k][j];
        res[i][j] = s;
      }
  }
  uint32_t cr = gh_row(gh_pre_c);
  bool acc = gh_is_acc(gh_pre_c);
  bool accumulate = (gh_pre_c >> 30) & 1;
  for (size_t i = 0; i < gh_pre_c_rows; i++)
    for (size_t j = 0; j < gh_pre_c_cols; j++) {
      if (acc) {
        acc_t *dst = &gh_acc[cr + i][j];
        *dst = accumulate ? (acc_t)((uint32_t)*dst + (uint32_t)res[i][j]) : (acc_t)res[i][j];
      } else {
        int64_t x = res[i][j];
        gh_spad[cr + i][j] = (elem_t)(x > 127 ? 127 : (x < -128 ? -128 : x));
      }
    }
}

/* OS: A and B stream from the scratchpad into the PEs' partial sums, which compute_preloaded first
 * resets to the preloaded D (int8 scratchpad rows, GARBAGE: zeros); a named C receives the sums
 * shifted and clipped to the array's output width (accumulator: sign-extended int32). */
static inline void gh_compute_os(bool preloaded, uint32_t a, uint32_t b, size_t a_cols, size_t a_rows, size_t b_cols,
                                 size_t b_rows) {
  if (a_rows < 1 || a_rows > DIM || a_cols < 1 || a_cols > DIM || b_rows < 1 || b_rows > DIM || b_cols < 1 ||
      b_cols > DIM)
    gh_fail("compute sizes outside [1, DIM]");
  if (a == GARBAGE_ADDR && b != GARBAGE_ADDR) gh_fail("OS compute with a GARBAGE A and a real B");
  gh_pending = false;
  if (preloaded) {
    memset(gh_os_psums, 0, sizeof gh_os_psums);
    if (gh_pre_b != GARBAGE_ADDR) {
      uint32_t dr = gh_row(gh_pre_b);
      if (gh_is_acc(gh_pre_b)) gh_fail("OS preloads D from the scratchpad only");
      gh_check(dr, gh_pre_b_rows, gh_pre_b_cols, 1, false);
      for (size_t i = 0; i < gh_pre_b_rows; i++)
        for (size_t j = 0; j < gh_pre_b_cols; j++) gh_os_psums[i][j] = gh_spad[dr + i][j];
    }
    gh_has_psums = true;
  } else if (!gh_has_psums) {
    gh_fail("compute_accumulated before any compute_preloaded");
  }
  if (a != GARBAGE_ADDR && b != GARBAGE_ADDR) {
    uint32_t ar = gh_row(a), br = gh_row(b);
    gh_check(ar, gh_a_transpose ? a_cols : a_rows, DIM, 1, false);
    gh_check(br, gh_b_transpose ? b_cols : b_rows, DIM, 1, false);
    size_t kk = a_cols < b_rows ? a_cols : b_rows;
    for (size_t i = 0; i < a_rows; i++)
      for (size_t j = 0; j < b_cols; j++) {
        int64_t s = gh_os_psums[i][j];
        for (size_t k = 0; k < kk; k++)
          s += (int64_t)(gh_a_transpose ? gh_spad[ar + k][i] : gh_spad[ar + i][k]) *
               (int64_t)(gh_b_transpose ? gh_spad[br + j][k] : gh_spad[br + k][j]);
        gh_os_psums[i][j] = gh_wrap_bits(s, GH_ARRAY_OUTPUT_BITS);
      }
  }
  if (gh_pre_c == GARBAGE_ADDR) return;
  const int64_t hi = ((int64_t)1 << (GH_ARRAY_OUTPUT_BITS - 1)) - 1, lo = -hi - 1;
  uint32_t cr = gh_row(gh_pre_c);
  bool acc = gh_is_acc(gh_pre_c);
  bool accumulate = (gh_pre_c >> 30) & 1;
  for (size_t i = 0; i < gh_pre_c_rows; i++)
    for (size_t j = 0; j < gh_pre_c_cols; j++) {
      int64_t x = gh_rounding_shift(gh_os_psums[i][j], gh_sys_shift);
      x = x > hi ? hi : (x < lo ? lo : x);
      if (acc) {
        acc_t *dst = &gh_acc[cr + i][j];
        *dst = accumulate ? (acc_t)((uint32_t)*dst + (uint32_t)x) : (acc_t)x;
      } else {
        gh_spad[cr + i][j] = (elem_t)(x > 127 ? 127 : (x < -128 ? -128 : x));
      }
    }
}

#define gemmini_extended_compute_preloaded(A, BD, A_cols, A_rows, BD_cols, BD_rows) \
  gh_compute(true, (A), (BD), (A_cols), (A_rows), (BD_cols), (BD_rows))
#define gemmini_extended_compute_accumulated(A, BD, A_cols, A_rows, BD_cols, BD_rows) \
  gh_compute(false, (A), (BD), (A_cols), (A_rows), (BD_cols), (BD_rows))

/* ------------------------------------------------------------------------ loop_ws FSM -- */
/* As gemmini.h's sp_tiled_matmul_ws, on the half of the scratchpad/accumulator the FSM owns. */
static inline void gemmini_loop_ws(size_t I, size_t J, size_t K, size_t pad_I, size_t pad_J, size_t pad_K,
                            const elem_t *A, const elem_t *B, const acc_t *D, void *C, size_t A_stride,
                            size_t B_stride, size_t D_stride, size_t C_stride, bool A_transpose,
                            bool B_transpose, bool full_C, bool low_D, bool ex_accumulate, int act,
                            int a_spad_id, int b_spad_id, bool is_resadd) {
  (void)low_D; (void)act; (void)a_spad_id; (void)b_spad_id;
  if (A_transpose || B_transpose || is_resadd) gh_fail("loop_ws: transposes and resadd are not implemented");
  if (gh_dataflow != WEIGHT_STATIONARY) gh_fail("loop_ws issues WS sequences: config_ex WS first");
  const size_t half_sp = BANK_NUM * BANK_ROWS / 2, half_acc = ACC_ROWS / 2;
  if ((I * K + K * J) * DIM > half_sp || I * J * DIM > half_acc) gh_fail("loop_ws tile too large");
  const uint32_t a_start = gh_fsm_sp_half * half_sp;
  const uint32_t b_start = a_start + half_sp - K * J * DIM;
  const uint32_t c_start = gh_fsm_acc_half * half_acc;
  gh_fsm_sp_half ^= 1;
  if (C != NULL) gh_fsm_acc_half ^= 1;
  const uint32_t ACC = 1u << 31, ACCUM = 1u << 30, FULL = 1u << 29;
#define GH_ROWS_I(i) (DIM - ((i) == I - 1 ? pad_I : 0))
#define GH_ROWS_K(k) (DIM - ((k) == K - 1 ? pad_K : 0))
#define GH_COLS_J(j) (DIM - ((j) == J - 1 ? pad_J : 0))
  /* The sub-machines' orders of LoopMatmul.scala (the simulator's loop_ws); the interleaving of A
   * and B loads does not change any result, so A's come first here. */
  if (D != NULL)
    for (size_t j = 0; j < J; j += MAX_BLOCK_LEN_ACC) {
      size_t blocks = J - j < MAX_BLOCK_LEN_ACC ? J - j : MAX_BLOCK_LEN_ACC;
      size_t cols = blocks * DIM - (j + blocks >= J ? pad_J : 0);
      for (size_t i = 0; i < I; i++) {
        bool saved = gh_ld_shrunk[2];
        gh_ld_shrunk[2] = false;
        gh_mvin_id(D + i * DIM * D_stride + j * DIM, ACC | (c_start + (i * J + j) * DIM), cols, GH_ROWS_I(i), 2,
                   D_stride * sizeof(acc_t), true);
        gh_ld_shrunk[2] = saved;
      }
    }
  for (size_t k = 0; k < K; k += MAX_BLOCK_LEN) {
    size_t blocks = K - k < MAX_BLOCK_LEN ? K - k : MAX_BLOCK_LEN;
    size_t cols = blocks * DIM - (k + blocks >= K ? pad_K : 0);
    for (size_t i = 0; i < I; i++)
      gh_mvin_id(A + i * DIM * A_stride + k * DIM, a_start + (i * K + k) * DIM, cols, GH_ROWS_I(i), 0, A_stride,
                 true);
  }
  for (size_t k = 0; k < K; k++)
    for (size_t j = 0; j < J; j += MAX_BLOCK_LEN) {
      size_t blocks = J - j < MAX_BLOCK_LEN ? J - j : MAX_BLOCK_LEN;
      size_t cols = blocks * DIM - (j + blocks >= J ? pad_J : 0);
      gh_mvin_id(B + k * DIM * B_stride + j * DIM, b_start + (k * J + j) * DIM, cols, GH_ROWS_K(k), 1, B_stride,
                 true);
    }
  bool accumulate_always = D != NULL || ex_accumulate;
  for (size_t k = 0; k < K; k++)
    for (size_t j = 0; j < J; j++)
      for (size_t i = 0; i < I; i++) {
        uint32_t c_addr = ACC | ((accumulate_always || k > 0) ? ACCUM : 0) | (c_start + (i * J + j) * DIM);
        gh_preload(i == 0 ? b_start + (k * J + j) * DIM : GARBAGE_ADDR, c_addr, GH_COLS_J(j), GH_ROWS_K(k),
                   GH_COLS_J(j), GH_ROWS_I(i));
        gh_compute(i == 0, a_start + (i * K + k) * DIM, GARBAGE_ADDR, GH_ROWS_K(k), GH_ROWS_I(i), DIM, DIM);
      }
  if (C != NULL) {
    /* Up to MAX_BLOCK_LEN blocks of an int8 row per mvout; full int32 rows one block at a time. */
    const size_t c_blocks = full_C ? 1 : MAX_BLOCK_LEN;
    const size_t esz = full_C ? sizeof(acc_t) : sizeof(elem_t);
    for (size_t j = 0; j < J; j += c_blocks) {
      size_t blocks = J - j < c_blocks ? J - j : c_blocks;
      size_t cols = blocks * DIM - (j + blocks >= J ? pad_J : 0);
      for (size_t i = 0; i < I; i++)
        gh_mvout((char *)C + (i * DIM * C_stride + j * DIM) * esz,
                 ACC | (full_C ? FULL : 0) | (c_start + (i * J + j) * DIM), cols, GH_ROWS_I(i), C_stride * esz);
    }
  }
#undef GH_ROWS_I
#undef GH_ROWS_K
#undef GH_COLS_J
}

#define gemmini_fence() ((void)0)
#define gemmini_flush(skip) ((void)(skip))

/* ------------------------------------------------------------------------ loop_conv_ws FSM -- */
/* As LoopConv.scala's sub-machines (LdBias, LdInput, LdWeight, Execute, StC; the simulator's
 * Machine.loop_conv_ws) without pooling, dilation, transposes or downsampling, which must be off.
 * Local layout: input rows from the loop's scratchpad half (one row per pixel, DIM channels, channel
 * blocks batches*irows*icols rows apart), weights at the end of that half (one row per (krow, kcol,
 * kch), DIM output channels, blocks krows*kcols*kchs apart), outputs in the accumulator half (one row
 * per pixel, blocks batches*orows*ocols apart), which advances after a loop that stores. */
static inline void gh_loop_conv_ws(int batch_size, int in_row_dim, int in_col_dim, int in_channels, int out_channels,
                            int out_row_dim, int out_col_dim, int pool_out_row_dim, int pool_out_col_dim, int stride,
                            int padding, int kernel_dim, int kernel_dilation, int pool_size, int pool_stride,
                            int pool_padding, int batches, int porows, int pocols, int pochs, int krows, int kcols,
                            int kchs, int lpad, int rpad, int upad, int dpad, int plpad, int prpad, int pupad,
                            int pdpad, int orows, int ocols, const elem_t *weights, elem_t *output, const acc_t *bias,
                            const elem_t *input, bool no_bias, bool no_pool, bool downsample, bool wrot180,
                            bool input_dilated, int act, bool trans_output_1203, bool trans_weight_1203,
                            bool trans_weight_0132, bool trans_input_3120, int max_pixels_per_row, int in_stride,
                            int weight_stride, int out_stride, bool dw, int a_spad_id, int b_spad_id) {
  (void)batch_size; (void)out_channels; (void)pool_out_row_dim; (void)pool_out_col_dim; (void)padding;
  (void)pool_padding; (void)act; (void)a_spad_id; (void)b_spad_id;
  if (!no_pool || pool_size != 1 || pool_stride != 1 || plpad || prpad || pupad || pdpad || downsample || wrot180 ||
      input_dilated || trans_output_1203 || trans_weight_1203 || trans_weight_0132 || trans_input_3120 || dw ||
      kernel_dilation != 1 || max_pixels_per_row != 1)
    gh_fail("loop_conv_ws: pooling, dilation, transposes, downsampling and depthwise are not implemented");
  if (stride < 1 || (size_t)stride != gh_a_stride) gh_fail("loop_conv_ws: stride needs config_ex's A stride = stride");
  if (gh_dataflow != WEIGHT_STATIONARY || gh_a_transpose || gh_b_transpose)
    gh_fail("loop_conv_ws issues WS sequences without transposes: config_ex WS first");
  if (orows != porows || ocols != pocols) gh_fail("loop_conv_ws: orows/ocols must equal porows/pocols without pooling");
  const int irows = orows * stride + krows - 1, icols = ocols * stride + kcols - 1;
  const int irows_un = irows - upad - dpad, icols_un = icols - lpad - rpad;
  if (irows_un < 0 || icols_un < 0) gh_fail("loop_conv_ws: pads exceed the input window");
  const int a_bank = batches * irows * icols, b_bank = krows * kcols * kchs, c_bank = batches * orows * ocols;
  const int half_sp = BANK_NUM * BANK_ROWS / 2, half_acc = ACC_ROWS / 2;
  const int b_rows = ((pochs + DIM - 1) / DIM) * b_bank;
  if (((kchs + DIM - 1) / DIM) * a_bank + b_rows > half_sp || ((pochs + DIM - 1) / DIM) * c_bank > half_acc)
    gh_fail("loop_conv_ws tile too large");
  const uint32_t a_start = gh_fsm_sp_half * half_sp, b_start = a_start + half_sp - b_rows;
  const uint32_t c_start = gh_fsm_acc_half * half_acc;
  gh_fsm_sp_half ^= 1;
  if (output != NULL) gh_fsm_acc_half ^= 1;
  const uint32_t ACC = 1u << 31, ACCUM = 1u << 30;
#define GH_C_ADDR(b, orow, ocol, och) \
  (c_start + ((och) / DIM) * c_bank + (b) * orows * ocols + (orow) * ocols + (ocol))
  /* LdBias (int32 rows of the bias repeated per pixel, or zero rows), one DIM block at a time. */
  if (bias != NULL)
    for (int b = 0; b < batches; b++)
      for (int orow = 0; orow < orows; orow++)
        for (int ocol = 0; ocol < ocols; ocol += DIM)
          for (int och = 0; och < pochs; och += DIM) {
            int I = ocols - ocol < DIM ? ocols - ocol : DIM, J = pochs - och < DIM ? pochs - och : DIM;
            bool saved = gh_ld_shrunk[2];
            gh_ld_shrunk[2] = false;
            gh_mvin_id(no_bias ? NULL : bias + och, ACC | GH_C_ADDR(b, orow, ocol, och), J, I, 2, 0, true);
            gh_ld_shrunk[2] = saved;
          }
  /* LdInput: zero rows outside the image; channel blocks of one pixel go to rows a_bank apart. */
  for (int b = 0; b < batches; b++)
    for (int irow = -upad; irow < irows_un + dpad; irow++)
      for (int icol = -lpad; icol < icols_un + rpad;) {
        int I = icol < 0 ? (-icol < DIM ? -icol : DIM)
                         : icol >= icols_un ? (icols_un + rpad - icol < DIM ? icols_un + rpad - icol : DIM)
                                            : (icols_un - icol < DIM ? icols_un - icol : DIM);
        bool zeros = irow < 0 || irow >= irows_un || icol < 0 || icol >= icols_un;
        for (int ich = 0; ich < kchs; ich += DIM) {
          uint32_t addr = a_start + (ich / DIM) * a_bank + b * irows * icols + (irow + upad) * icols + icol + lpad;
          const elem_t *src = zeros ? NULL : input + ((b * in_row_dim + irow) * in_col_dim + icol) * in_stride + ich;
          gh_mvin_id(src, addr, kchs - ich < DIM ? kchs - ich : DIM, I, 0, in_stride, true);
        }
        icol += I;
      }
  /* LdWeight. */
  for (int och = 0; och < pochs; och += DIM)
    for (int krow = 0; krow < krows; krow++)
      for (int kcol = 0; kcol < kcols; kcol++)
        for (int kch = 0; kch < kchs; kch += DIM) {
          uint32_t addr = b_start + (och / DIM) * b_bank + krow * kcols * kchs + kcol * kchs + kch;
          const elem_t *src = weights + ((krow * kernel_dim + kcol) * in_channels + kch) * weight_stride + och;
          gh_mvin_id(src, addr, pochs - och < DIM ? pochs - och : DIM, kchs - kch < DIM ? kchs - kch : DIM, 1,
                     weight_stride, true);
        }
  /* Execute: every preload accumulates (the bias or zero rows came first). */
  for (int och = 0; och < pochs; och += DIM)
    for (int krow = 0; krow < krows; krow++)
      for (int kcol = 0; kcol < kcols; kcol++)
        for (int kch = 0; kch < kchs; kch += DIM) {
          const int J = pochs - och < DIM ? pochs - och : DIM, K = kchs - kch < DIM ? kchs - kch : DIM;
          const uint32_t b_addr = b_start + (och / DIM) * b_bank + krow * kcols * kchs + kcol * kchs + kch;
          bool new_weights = true;
          for (int b = 0; b < batches; b++)
            for (int orow = 0; orow < orows; orow++)
              for (int ocol = 0; ocol < ocols; ocol += DIM) {
                const int I = ocols - ocol < DIM ? ocols - ocol : DIM;
                const uint32_t a_addr = a_start + (kch / DIM) * a_bank + b * irows * icols +
                                        (orow * stride + krow) * icols + ocol * stride + kcol;
                gh_preload(new_weights ? b_addr : GARBAGE_ADDR, ACC | ACCUM | GH_C_ADDR(b, orow, ocol, och), J, K, J, I);
                gh_compute(new_weights, a_addr, GARBAGE_ADDR, K, I, J, I);
                new_weights = false;
              }
        }
  /* StC: int8 through config_st's scale and activation. */
  if (output != NULL)
    for (int b = 0; b < batches; b++)
      for (int orow = 0; orow < orows; orow++)
        for (int ocol = 0; ocol < ocols; ocol += DIM)
          for (int och = 0; och < pochs; och += DIM)
            gh_mvout(output + ((b * out_row_dim + orow) * out_col_dim + ocol) * out_stride + och,
                     ACC | GH_C_ADDR(b, orow, ocol, och), pochs - och < DIM ? pochs - och : DIM,
                     ocols - ocol < DIM ? ocols - ocol : DIM, out_stride);
#undef GH_C_ADDR
}
#define gemmini_loop_conv_ws(...) gh_loop_conv_ws(__VA_ARGS__)
#define gemmini_loop_conv_ws(...) gh_loop_conv_ws(__VA_ARGS__)

/* ------------------------------------------------------------------------ tiled_conv_auto -- */
/* gemmini.h's library convolution (no pooling, dilation, transposes or downsampling): the tile
 * choice of tiled_conv_stride_auto (gh_tiled_conv_tiles: shrink the largest of batches, porows,
 * pocols, pochs, krows, kcols, kchs, channels by DIM, never pocols below DIM while porows > 1, until
 * the tiles fit half the scratchpad and accumulator; then grow pocols, then any argument, while they
 * fit; liftcomp's conv.library_conv_schedule makes the same choice), then tiled_conv's loops: one
 * loop_conv_ws per tile, the bias (or zero rows) on the first kernel tile, the output on the last. */
static inline void gh_conv_tile_rows(const int a[7], int stride, int *sp, int *acc) {
  const int irows = a[1] * stride + a[4] - 1, icols = a[2] * stride + a[5] - 1;
  const int in_banks = (a[6] + DIM - 1) / DIM, out_banks = (a[3] + DIM - 1) / DIM;
  *sp = in_banks * a[0] * irows * icols + out_banks * a[5] * a[4] * a[6];
  *acc = out_banks * a[0] * a[1] * a[2];
}

static inline bool gh_conv_tile_fits(const int a[7], int stride) {
  int sp, acc;
  gh_conv_tile_rows(a, stride, &sp, &acc);
  return sp <= BANK_NUM * BANK_ROWS / 2 && acc <= ACC_ROWS / 2;
}

static inline void gh_tiled_conv_tiles(int args[7], int stride) {
  int max_args[7];
  memcpy(max_args, args, sizeof max_args);
  while (!gh_conv_tile_fits(args, stride)) {
    int max_val = -1, max_idx = -1;
    for (int i = 0; i < 7; i++)
      if (!(i == 2 && args[i] <= DIM && args[1] > 1) && args[i] > max_val) {
        max_val = args[i];
        max_idx = i;
      }
    if (max_idx == 3 || max_idx == 6) {
      args[max_idx] = args[max_idx] % DIM ? (args[max_idx] / DIM) * DIM : args[max_idx] - DIM;
      if (args[max_idx] <= 0) args[max_idx] = 1;
    } else {
      args[max_idx]--;
    }
  }
  for (;;) {
    int cand[7];
    memcpy(cand, args, sizeof cand);
    cand[2]++;
    if (cand[2] > max_args[2] || !gh_conv_tile_fits(cand, stride)) break;
    args[2]++;
  }
  for (bool grown = true; grown;) {
    grown = false;
    for (int i = 0; i < 7; i++) {
      int cand[7];
      memcpy(cand, args, sizeof cand);
      cand[i]++;
      if (cand[i] <= max_args[i] && gh_conv_tile_fits(cand, stride)) {
        args[i]++;
        grown = true;
      }
    }
  }
}

static inline void tiled_conv_auto(int batch_size, int in_row_dim, int in_col_dim, int in_channels, int out_channels,
                                   int out_row_dim, int out_col_dim, int stride, int input_dilation,
                                   int kernel_dilation, int padding, int kernel_dim, bool wrot180,
                                   bool trans_output_1203, bool trans_input_3120, bool trans_weight_1203,
                                   bool trans_weight_0132, const elem_t *input, const elem_t *weights,
                                   const acc_t *bias, elem_t *output, int act, acc_scale_t scale, int pool_size,
                                   int pool_stride, int pool_padding, int tiled_conv_type) {
  (void)pool_size; (void)pool_padding;
  if (input_dilation != 1 || kernel_dilation != 1 || wrot180 || trans_output_1203 || trans_input_3120 ||
      trans_weight_1203 || trans_weight_0132 || pool_stride != 0 || tiled_conv_type != WEIGHT_STATIONARY)
    gh_fail("tiled_conv_auto: only WS without pooling, dilation or transposes is implemented");
  int args[7] = {batch_size, out_row_dim, out_col_dim, out_channels, kernel_dim, kernel_dim, in_channels};
  gh_tiled_conv_tiles(args, stride);
  const int batches = args[0], porows = args[1], pocols = args[2], pochs = args[3];
  const int krows = args[4], kcols = args[5], kchs = args[6];
  const bool no_bias = bias == NULL;
  if (no_bias) bias = (const acc_t *)1; /* as gemmini.h: LdBias then writes zero rows */
  gemmini_extended_config_st(out_channels * sizeof(elem_t), act, scale);
  gemmini_extended_config_ex(WEIGHT_STATIONARY, 0, 0, stride, false, false);
  for (int b = 0; b < batch_size; b += batches)
    for (int orow = 0; orow < out_row_dim; orow += porows)
      for (int ocol = 0; ocol < out_col_dim; ocol += pocols)
        for (int poch = 0; poch < out_channels; poch += pochs)
          for (int krow = 0; krow < kernel_dim; krow += krows)
            for (int kcol = 0; kcol < kernel_dim; kcol += kcols)
              for (int kch = 0; kch < in_channels; kch += kchs) {
                const int batches_ = batch_size - b < batches ? batch_size - b : batches;
                const int porows_ = out_row_dim - orow < porows ? out_row_dim - orow : porows;
                const int pocols_ = out_col_dim - ocol < pocols ? out_col_dim - ocol : pocols;
                const int pochs_ = out_channels - poch < pochs ? out_channels - poch : pochs;
                const int krows_ = kernel_dim - krow < krows ? kernel_dim - krow : krows;
                const int kcols_ = kernel_dim - kcol < kcols ? kernel_dim - kcol : kcols;
                const int kchs_ = in_channels - kch < kchs ? in_channels - kch : kchs;
                const int irow = orow * stride + krow - padding, icol = ocol * stride + kcol - padding;
                const int irows_ = porows_ * stride + krows_ - 1, icols_ = pocols_ * stride + kcols_ - 1;
                const int lpad = icol < 0 ? -icol : 0, upad = irow < 0 ? -irow : 0;
                const int rpad = icol + icols_ > in_col_dim ? icol + icols_ - in_col_dim : 0;
                const int dpad = irow + irows_ > in_row_dim ? irow + irows_ - in_row_dim : 0;
                elem_t *out = output + ((b * out_row_dim + orow) * out_col_dim + ocol) * out_channels + poch;
                if (krow + krows < kernel_dim || kcol + kcols < kernel_dim || kch + kchs < in_channels) out = NULL;
                const acc_t *bias_ = (krow > 0 || kcol > 0 || kch > 0) ? NULL : bias + poch;
                const elem_t *w = weights + ((krow * kernel_dim + kcol) * in_channels + kch) * out_channels + poch;
                const elem_t *in = input + ((b * in_row_dim + irow + upad) * in_col_dim + icol + lpad) * in_channels + kch;
                gh_loop_conv_ws(batch_size, in_row_dim, in_col_dim, in_channels, out_channels, out_row_dim,
                                out_col_dim, out_row_dim, out_col_dim, stride, padding, kernel_dim, 1, 1, 1, 0,
                                batches_, porows_, pocols_, pochs_, krows_, kcols_, kchs_, lpad, rpad, upad, dpad, 0,
                                0, 0, 0, porows_, pocols_, w, out, bias_, in, no_bias, true, false, false, false, act,
                                false, false, false, false, 1, in_channels, out_channels, out_channels, false, 0, 0);
              }
  gemmini_fence();
}


#endif /* LIFTCOMP_GEMMINI_HOST_H */
