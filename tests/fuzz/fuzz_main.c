/*
 * fuzz_main - libFuzzer's entry point for one target: make fuzz
 * compiles this file once per target with -DFUZZ_TARGET=fuzz_NAME.
 */
#include "fuzz.h"

#ifndef FUZZ_TARGET
#error FUZZ_TARGET must name the target's entry point
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_TARGET(data, size);
	return 0;
}
