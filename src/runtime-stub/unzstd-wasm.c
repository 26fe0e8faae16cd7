/*
 * bale's payload decoder for Node.js without a built-in zstd (Node 20 up to 22.14):
 * zstd's own decompressor, compiled from the zstd sources of the zstd-napi package
 * to a small WebAssembly module with no imports, which the archive's extractor and
 * `bale extract` / `verify` instantiate. Node >= 22.15 decodes with zlib's zstd instead.
 *
 * Memory: one instance decodes one payload. malloc is a bump allocator over the
 * module's linear memory (grown on demand, never reused, so fresh bytes are zero);
 * the JS side allocates the input and output buffers with bale_malloc and throws
 * the instance away afterwards.
 *
 * Exports (sizes and pointers are 32-bit):
 *   bale_malloc(n) -> ptr | 0
 *   bale_decompress(dst, cap, src, n) -> size | error code   (every frame, one call)
 *   bale_stream_init() -> 0 | error code                     (then bale_stream_step…)
 *   bale_stream_step(src, n, pos, dst, cap) -> hint | error code; bale_in_pos(), bale_out_pos()
 *   bale_is_error(code) -> 0/1; bale_error_name(code) -> NUL-terminated string
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stddef.h>
#include <stdint.h>
#include "zstd.h"

extern unsigned char __heap_base;
static uintptr_t heap_top = 0;

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))

EXPORT(bale_malloc) void *malloc(size_t n) {
  if (heap_top == 0) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + 15) & ~(uintptr_t)15;
  if (n > (size_t)-1 - p) return NULL;
  uintptr_t end = p + n;
  uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    size_t pages = (size_t)((end - have + 65535u) / 65536u);
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return NULL;
  }
  heap_top = end;
  return (void *)p;
}
/* Fresh memory is zero: the allocator never hands out a byte twice. */
void *calloc(size_t n, size_t size) { return size && n > (size_t)-1 / size ? NULL : malloc(n * size); }
void free(void *p) { (void)p; }

/* With bulk memory these lower to memory.copy / memory.fill; defined for any call the compiler keeps. */
void *memcpy(void *restrict d, const void *restrict s, size_t n) { __builtin_memcpy(d, s, n); return d; }
void *memmove(void *d, const void *s, size_t n) { __builtin_memmove(d, s, n); return d; }
void *memset(void *d, int c, size_t n) { __builtin_memset(d, c, n); return d; }
int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n--; x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

EXPORT(bale_decompress) size_t bale_decompress(void *dst, size_t cap, const void *src, size_t n) {
  return ZSTD_decompress(dst, cap, src, n);
}

static ZSTD_DStream *stream;
static size_t in_pos, out_pos;

EXPORT(bale_stream_init) size_t bale_stream_init(void) {
  stream = ZSTD_createDStream();
  if (!stream) return (size_t)-ZSTD_error_memory_allocation;
  return ZSTD_initDStream(stream) > 0 ? 0 : (size_t)-ZSTD_error_init_missing;
}

EXPORT(bale_stream_step) size_t bale_stream_step(const void *src, size_t n, size_t pos, void *dst, size_t cap) {
  ZSTD_inBuffer in = {src, n, pos};
  ZSTD_outBuffer out = {dst, cap, 0};
  size_t r = ZSTD_decompressStream(stream, &out, &in);
  in_pos = in.pos;
  out_pos = out.pos;
  return r;
}
EXPORT(bale_in_pos) size_t bale_in_pos(void) { return in_pos; }
EXPORT(bale_out_pos) size_t bale_out_pos(void) { return out_pos; }
EXPORT(bale_is_error) unsigned bale_is_error(size_t code) { return ZSTD_isError(code); }
EXPORT(bale_error_name) const char *bale_error_name(size_t code) { return ZSTD_getErrorName(code); }
