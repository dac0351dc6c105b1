/*
 * fuzz_crawler.c — libFuzzer target for crawler definition files
 * (catalog/crawler.h): arbitrary bytes go through sl_crawler_def_parse.
 * Whatever parses must write back out as YAML that parses again to the
 * same text (the form `sluice crawl` stores). Never a crash, hang or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/crawler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sl_crawler_def d;
    sl_error err;
    sl_error_clear(&err);
    if (sl_crawler_def_parse("fuzz.yaml", (const char *)data, size, &d, &err) != 0) return 0;
    sl_buf y1, y2;
    sl_buf_init(&y1, SL_BUF_UNLIMITED);
    sl_buf_init(&y2, SL_BUF_UNLIMITED);
    sl_crawler_def_yaml(&d, &y1);
    sl_crawler_def back;
    if (sl_crawler_def_parse("again.yaml", y1.data, y1.len, &back, &err) != 0) abort();
    sl_crawler_def_yaml(&back, &y2);
    if (y1.len != y2.len || memcmp(y1.data, y2.data, y1.len) != 0) abort();
    char *name = sl_crawler_default_name(&d);
    free(name);
    sl_crawler_def_free(&back);
    sl_crawler_def_free(&d);
    sl_buf_free(&y1);
    sl_buf_free(&y2);
    return 0;
}
