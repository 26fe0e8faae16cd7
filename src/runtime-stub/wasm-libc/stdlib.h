/* The part of <stdlib.h> zstd's decompressor uses (bale's WebAssembly decoder has no libc). */
#ifndef BALE_WASM_STDLIB_H
#define BALE_WASM_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void free(void *p);
#endif
