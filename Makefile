# Wharf: build, test, run, bench.
#
#   make          build bin/wharfd and bin/wharf (installs missing packages)
#   make run      build, then start wharfd on 127.0.0.1:8080 with ./wharf-data
#   make test     build normally and under ASan/UBSan, run every test in both
#   make asan     only the sanitizer half of `make test`
#   make fuzz     run each fuzz target under libFuzzer for FUZZ_SECONDS
#   make bench    benchmarks (never part of `make test`)
#
# Objects go to build/<variant>/ so that the normal and the sanitizer builds
# live side by side; bin/ holds the normal build's programs.

CC  ?= gcc
CXX ?= g++
ifeq ($(origin CC),default)
CC := gcc
endif
ifeq ($(origin CXX),default)
CXX := g++
endif

PKGS := libmicrohttpd jansson sqlite3 libcrypto tomlplusplus libcrypt libcurl libarchive
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Werror
CFLAGS_  := -std=c17 -D_GNU_SOURCE $(WARN) -I. -MMD -MP
CXXFLAGS_ := -std=c++17 -Wall -Wextra -Wshadow -Werror -I. -MMD -MP

VARIANT ?= release
ifeq ($(VARIANT),asan)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
       -fno-sanitize-recover=undefined
else
OPT := -O2 -g
endif

O := build/$(VARIANT)

# `make V=1` shows the full command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC_C   := $(wildcard schema/*.c storage/*.c)
LIB_SRC_CXX := $(wildcard schema/*.cpp)
SERVER_SRC  := $(wildcard server/*.c)
SERVER_SRC_CXX := $(wildcard server/*.cpp)
CLIENT_SRC  := $(wildcard client/*.c)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
SQL_SRC     := $(sort $(wildcard schema/sql/*.sql))

LIB_OBJ := $(LIB_SRC_C:%.c=$(O)/%.o) $(LIB_SRC_CXX:%.cpp=$(O)/%.o) \
           $(O)/gen/sql_migrations.o
SERVER_OBJ := $(SERVER_SRC:%.c=$(O)/%.o) $(SERVER_SRC_CXX:%.cpp=$(O)/%.o)
# libwabt (validation of wasm parcels) is a static library without a .pc file.
WABT_LIBS := -lwabt
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(O)/%.o)
LIB := $(O)/libwharf.a
# The server's objects but main: unit tests and fuzz targets link them too.
SERVER_LIB_OBJ := $(filter-out $(O)/server/main.o,$(SERVER_OBJ))
# The client's likewise, for the fuzz targets of what it parses.
CLIENT_LIB_OBJ := $(filter-out $(O)/client/main.o,$(CLIENT_OBJ))

UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/fuzz/%)

.PHONY: all build deps deps-test run test asan unit fuzz bench clean \
        programs test-variant

all: deps
	@$(MAKE) --no-print-directory programs

programs: bin/wharfd bin/wharf

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

# The release build's programs are copied to bin/, which is what users run.
bin/wharfd: $(O)/bin/wharfd
	@mkdir -p bin && cp $< $@.tmp && mv -f $@.tmp $@
bin/wharf: $(O)/bin/wharf
	@mkdir -p bin && cp $< $@.tmp && mv -f $@.tmp $@

$(O)/bin/wharfd: $(SERVER_OBJ) $(LIB)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(CXX) $(OPT) -o $@ $^ $(PKG_LIBS) $(WABT_LIBS) -lpthread

$(O)/bin/wharf: $(CLIENT_OBJ) $(LIB)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(CXX) $(OPT) -o $@ $^ $(PKG_LIBS) -lpthread

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_) $(OPT) $(PKG_CFLAGS) -c -o $@ $<

$(O)/%.o: %.cpp
	@mkdir -p $(@D)
	@echo "  CXX     $<"
	$(Q)$(CXX) $(CXXFLAGS_) $(OPT) $(PKG_CFLAGS) -c -o $@ $<

# The SQL migrations are compiled into the library so that a wharfd binary
# carries the schema it needs; scripts/embed-sql.sh writes them as C strings.
$(O)/gen/sql_migrations.c: $(SQL_SRC) scripts/embed-sql.sh
	@mkdir -p $(@D)
	$(Q)scripts/embed-sql.sh $(SQL_SRC) > $@.tmp && mv $@.tmp $@

$(O)/gen/sql_migrations.o: $(O)/gen/sql_migrations.c
	$(Q)$(CC) $(CFLAGS_) $(OPT) -c -o $@ $<

$(O)/tests/%: tests/unit/%.c $(SERVER_LIB_OBJ) $(LIB)
	@mkdir -p $(@D)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CFLAGS_) $(OPT) $(PKG_CFLAGS) -o $@.o -c $<
	$(Q)$(CXX) $(OPT) -o $@ $@.o $(SERVER_LIB_OBJ) $(LIB) $(PKG_LIBS) $(WABT_LIBS) -lpthread

# Fuzz targets build two ways: here with a small driver that replays the seed
# corpus (part of `make test`), and under `make fuzz` with libFuzzer.
# They link the server's objects too (all but main), for its own parsers;
# fuzz_client_* link the client's instead (what it reads from registries).
$(O)/fuzz/fuzz_client_%: tests/fuzz/fuzz_client_%.c tests/fuzz/replay.c $(CLIENT_LIB_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_) $(OPT) $(PKG_CFLAGS) -o $@.o -c $<
	$(Q)$(CC) $(CFLAGS_) $(OPT) -o $@.replay.o -c tests/fuzz/replay.c
	$(Q)$(CXX) $(OPT) -o $@ $@.o $@.replay.o $(CLIENT_LIB_OBJ) $(LIB) $(PKG_LIBS) -lpthread

$(O)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(SERVER_LIB_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_) $(OPT) $(PKG_CFLAGS) -o $@.o -c $<
	$(Q)$(CC) $(CFLAGS_) $(OPT) -o $@.replay.o -c tests/fuzz/replay.c
	$(Q)$(CXX) $(OPT) -o $@ $@.o $@.replay.o $(SERVER_LIB_OBJ) $(LIB) $(PKG_LIBS) $(WABT_LIBS) -lpthread

# Everything one variant needs for its tests.
test-variant: $(O)/bin/wharfd $(O)/bin/wharf $(UNIT_BIN) $(FUZZ_BIN)

run: all
	mkdir -p wharf-data
	exec bin/wharfd --listen 127.0.0.1:8080 --data ./wharf-data

# `make test` builds both variants and runs the whole suite against each;
# tests/run.sh prints the closing "N passed, N failed" line.
test: deps deps-test
	@$(MAKE) --no-print-directory programs
	@$(MAKE) --no-print-directory VARIANT=release test-variant
	@$(MAKE) --no-print-directory VARIANT=asan test-variant
	@tests/run.sh build/release build/asan

asan: deps deps-test
	@$(MAKE) --no-print-directory VARIANT=asan test-variant
	@tests/run.sh build/asan

unit: deps
	@$(MAKE) --no-print-directory VARIANT=release test-variant
	@tests/run.sh --unit-only build/release

FUZZ_SECONDS ?= 60
fuzz: deps
	@scripts/deps.sh fuzz
	@tests/fuzz/run-libfuzzer.sh $(FUZZ_SECONDS)

bench: all
	@scripts/deps.sh bench
	@bench/run.sh

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
