/* The part of <string.h> zstd's decompressor declares (bale's WebAssembly decoder has no libc). */
#ifndef BALE_WASM_STRING_H
#define BALE_WASM_STRING_H
#include <stddef.h>
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif
