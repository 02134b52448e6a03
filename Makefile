# infoplane: one Makefile. Objects in build/ (build/san/ for the sanitizer variant).
#   make            build/infoplane, build/libinfoplane.a and build/libinfoplane.so (the estimators for
#                   Python, framework/capi/capi.h; not in the san and fuzz variants)
#   make test       install missing packages, build, run the test suite (plain, ASan+UBSan, valgrind)
#   make demo       install missing packages, build, run the demo experiment
#   make bench      speed against PyTorch/NumPy on this machine
#   make estimators build/verify_estimators, the estimator-verification experiment (experiments/estimators/run.sh)
#   make experiments-quick  the quick (smoke-test) sweeps of experiments/tishby, mnist_fnn, mnist_cnn into
#                   EXP_OUT (default /tmp/infoplane-experiments-quick); the full ones: experiments/*/README.md
#   make fuzz       libFuzzer targets (clang, ASan+UBSan) over the parsers, FUZZ_SECONDS each
#   make VARIANT=san|debug|release|fuzz

VARIANT ?= release
JOBS ?= $(shell nproc 2>/dev/null || echo 2) # parallel compile jobs of make test, demo and docs-figures
PKGS := hdf5 yaml-0.1 openblas lapacke zlib
CC ?= cc
WARN := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wno-unused-parameter -Werror=implicit-function-declaration
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(VARIANT),san)
  BUILD := build/san
  OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDOPT := -fsanitize=address,undefined
else ifeq ($(VARIANT),fuzz)
  # libFuzzer needs clang's coverage instrumentation; the library is built with it too.
  CC := clang
  BUILD := build/fuzz
  OPT := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDOPT := -fsanitize=fuzzer,address,undefined
else ifeq ($(VARIANT),debug)
  BUILD := build/debug
  OPT := -O0 -g
  LDOPT :=
else
  BUILD := build
  OPT := -O2 -g -march=x86-64-v2
  LDOPT :=
endif

# The release and debug objects are position-independent, so the same objects make the executable
# and build/libinfoplane.so (the Python module's estimators give the command line's numbers because
# they are the same code; no second compilation). Debian's gcc makes PIE objects anyway; no
# semantic interposition keeps the calls inside the library direct.
ifneq ($(filter $(VARIANT),release debug),)
  PIC := -fPIC -fno-semantic-interposition
  SO := $(BUILD)/libinfoplane.so
endif

CFLAGS += -std=c11 -D_GNU_SOURCE $(OPT) $(PIC) $(WARN) $(PKG_CFLAGS) -Iframework -MMD -MP
LDLIBS += $(PKG_LIBS) -lm -lpthread

LIB_SRC := $(wildcard framework/core/*.c framework/config/*.c framework/data/*.c framework/nn/*.c \
             framework/train/*.c framework/record/*.c framework/estimate/*.c framework/plot/*.c \
             framework/sweep/*.c models/*.c)
CLI_SRC := $(wildcard framework/cli/*.c)
CAPI_SRC := $(wildcard framework/capi/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
CAPI_OBJ := $(CAPI_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/framework/cli/estimator_args.o \
            $(BUILD)/obj/framework/cli/estimate_common.o
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/%)

.PHONY: all tests benches fuzzers test demo bench fuzz deps clean estimators experiments-quick docs-figures
all: $(BUILD)/infoplane $(BUILD)/libinfoplane.a $(SO)

# Objects are rebuilt when the compiler flags change (e.g. -fPIC added): $(BUILD)/.cflags holds them.
FLAGS_STAMP := $(BUILD)/.cflags
$(shell mkdir -p $(BUILD) && (echo '$(CC) $(CFLAGS)' | cmp -s - $(FLAGS_STAMP) || echo '$(CC) $(CFLAGS)' >$(FLAGS_STAMP)))

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libinfoplane.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# -z defs: every symbol resolved now, not when Python loads it.
$(BUILD)/libinfoplane.so: $(CAPI_OBJ) $(LIB_OBJ)
	$(CC) -shared -Wl,-z,defs -o $@ $(CAPI_OBJ) $(LIB_OBJ) $(LDLIBS)

$(BUILD)/infoplane: $(CLI_OBJ) $(BUILD)/libinfoplane.a
	$(CC) $(LDOPT) -o $@ $(CLI_OBJ) $(BUILD)/libinfoplane.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(BUILD)/libinfoplane.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDOPT) -Itests $< -o $@ $(BUILD)/libinfoplane.a $(LDLIBS) -lcmocka

tests: $(TEST_BIN)

# Benchmark programs (bench/); they share tests/ipnet_manifest.h with the PyTorch cross-check.
$(BUILD)/bench_%: bench/bench_%.c $(BUILD)/libinfoplane.a
	$(CC) $(CFLAGS) $(LDOPT) -Ibench -Itests $< -o $@ $(BUILD)/libinfoplane.a $(LDLIBS)

benches: $(BENCH_BIN)

$(BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_common.h $(BUILD)/libinfoplane.a
	$(CC) $(CFLAGS) $(LDOPT) $< -o $@ $(BUILD)/libinfoplane.a $(LDLIBS)

fuzzers: $(FUZZ_BIN)

# SPEC 6.1, every estimator on the paper's synthetic data (experiments/estimators/README.md).
VERIFY_SRC := $(wildcard experiments/estimators/*.c)
$(BUILD)/verify_estimators: $(VERIFY_SRC) experiments/estimators/verify.h $(BUILD)/libinfoplane.a
	$(CC) $(CFLAGS) $(LDOPT) -Iexperiments/estimators $(VERIFY_SRC) -o $@ $(BUILD)/libinfoplane.a $(LDLIBS)

estimators: $(BUILD)/verify_estimators

# The quick settings of experiments/ (a smoke test of the pipeline, ~1 min; tests/test_experiments.c
# runs the same). Sweeps resume, so a second call only redoes the aggregate.
EXP_OUT ?= /tmp/infoplane-experiments-quick
experiments-quick: all
	@for e in tishby mnist_fnn mnist_cnn; do \
	    $(BUILD)/infoplane sweep experiments/$$e/quick.yaml -j 2 --out $(EXP_OUT)/$$e || exit 1; \
	done

deps:
	@scripts/install-deps.sh

# The README's test command: packages, then the suite in three builds. Exit status is the suite's.
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all tests
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=san all tests
	@scripts/run-tests.sh

# The pictures of docs/tutorial.md, made by running its commands (scripts/docs-figures.sh).
docs-figures: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@scripts/docs-figures.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all benches
	@scripts/bench.sh

# Each fuzz target for FUZZ_SECONDS (default 600) from its seed corpus in tests/fuzz/; crashes
# are kept in build/fuzz/crashes/TARGET/ (docs/robustness.md).
fuzz: deps
	@FUZZ=1 scripts/install-deps.sh
	@$(MAKE) --no-print-directory VARIANT=fuzz fuzzers
	@scripts/fuzz.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(CAPI_OBJ:.o=.d) $(TEST_BIN:=.d) $(BENCH_BIN:=.d) $(FUZZ_BIN:=.d)
