/*
 * numfmt.h — number text: shortest round-trip doubles, fast integers, and
 * the number parser shared by JSON, CSV and expressions.
 */
#ifndef SL_NUMFMT_H
#define SL_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Shortest decimal text of d that reads back bit-identical (strtod); writes
 * at most 32 bytes plus NUL into out and returns the length. Integral values
 * keep a ".0" (3.0 stays a double on re-read); exponent form for very large or
 * small magnitudes ("1e+300", "5e-324"). NaN/Inf give "NaN", "Infinity",
 * "-Infinity" (JSON writers must map these to null themselves). */
int sl_format_double(double d, char out[33]);

/* Decimal text of i; returns length (at most 20). out needs 21 bytes. */
int sl_format_int(int64_t i, char out[21]);

#endif
