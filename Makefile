# sluice — plain Makefile.
#
#   make            build build/sluice (optimised)
#   make asan       build build/asan/sluice and the tests with ASan + UBSan
#   make check      bootstrap, build, run every test (also under ASan+UBSan)
#   make demo       bootstrap, build, run the AppLogs example job
#   make fuzz       long libFuzzer runs (FUZZ_SECONDS per target, default 300)
#   make bench      run the benchmarks in bench/ (downloads peers from npm)
#   make docs       regenerate docs/job-reference.md from the option tables
#   make format     clang-format the tree

CC      ?= gcc
CLANG   ?= clang
PKGS    := yaml-0.1 libzstd zlib
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
INC     := -Isrc -I/usr/include/lua5.4
LIBS    := -lpcre2-8 -lsqlite3 -lcurl -lcrypto -lexpat -lyaml -lavro -ldeflate -lzstd -lbz2 -lsnappy -lz -l:liblua5.4.a -lpthread -lm
OPT     ?= -O2 -g
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRC_ALL := $(sort $(wildcard src/*/*.c))
SRC_MAIN := src/cli/main.c
SRC_LIB := $(filter-out $(SRC_MAIN),$(SRC_ALL))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

REL_OBJ  := $(SRC_LIB:src/%.c=build/obj/%.o)
ASAN_OBJ := $(SRC_LIB:src/%.c=build/asan/obj/%.o)
UNIT_REL := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
UNIT_ASAN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
DEFS    := -DSL_VERSION='"$(VERSION)"'

.PHONY: all asan check demo fuzz bench docs format clean bootstrap tests test-bins

all: build/sluice

bootstrap:
	@scripts/bootstrap.sh

build/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/asan/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(ASAN_FLAGS) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/libsluice.a: $(REL_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/asan/libsluice.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/sluice: src/cli/main.c build/libsluice.a
	$(CC) $(CSTD) $(WARN) $(OPT) $(DEFS) $(INC) $< build/libsluice.a $(LIBS) -o $@

build/asan/sluice: src/cli/main.c build/asan/libsluice.a
	$(CC) $(CSTD) $(WARN) $(ASAN_FLAGS) $(DEFS) $(INC) $< build/asan/libsluice.a $(LIBS) -o $@

build/tests/%: tests/unit/%.c build/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(DEFS) $(INC) -Itests -MMD -MP $< build/libsluice.a $(LIBS) -lcmocka -o $@

build/asan/tests/%: tests/unit/%.c build/asan/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(ASAN_FLAGS) $(DEFS) $(INC) -Itests -MMD -MP $< build/asan/libsluice.a $(LIBS) -lcmocka -o $@

# libFuzzer targets: clang; the library is compiled once with coverage
# instrumentation (fuzzer-no-link) and linked into every target.
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJ := $(SRC_LIB:src/%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CLANG) $(CSTD) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/fuzz/libsluice.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libsluice.a
	@mkdir -p $(dir $@)
	$(CLANG) $(CSTD) $(FUZZ_FLAGS) -fsanitize=fuzzer $(DEFS) $(INC) -Itests $< build/fuzz/libsluice.a $(LIBS) -o $@

asan: build/asan/sluice $(UNIT_ASAN)

test-bins: build/sluice build/asan/sluice $(UNIT_REL) $(UNIT_ASAN) $(FUZZ_BIN)

check: bootstrap
	@$(MAKE) --no-print-directory -j2 test-bins
	@tests/run.sh

demo: bootstrap
	@$(MAKE) --no-print-directory -j2 build/sluice
	@examples/applogs/demo.sh

fuzz: bootstrap
	@$(MAKE) --no-print-directory -j2 $(FUZZ_BIN)
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run.sh

bench: bootstrap build/sluice
	@bench/run.sh

docs: build/sluice
	build/sluice help --markdown > docs/job-reference.md

format:
	clang-format -i $(SRC_ALL) $(UNIT_SRC) $(FUZZ_SRC)

clean:
	rm -rf build

-include $(REL_OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) $(UNIT_REL:=.d) $(UNIT_ASAN:=.d)
