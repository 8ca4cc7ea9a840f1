# fuzz.mk - the libFuzzer targets (GNU make; run by "make fuzz" in
# tests/, which passes the variables below).  Every source of
# libmlistd.a and libdigest.a is compiled again with clang and the
# fuzzer's coverage and the sanitizers into $(B)/obj, away from the
# normal objects; each target links its file, fuzz_util.c and
# fuzz_main.c against that archive.
#
# Passed in: top_srcdir, B (build directory), FUZZ_CC, DEFS,
# MLISTD_DIRS, WARN_CFLAGS, the directories of mlistd/flags.am, and the
# libraries' LIB_CFLAGS and LIB_LIBS (what configure found).

TARGETS = fuzz_lmtp fuzz_msg fuzz_addr fuzz_command fuzz_tmpl fuzz_dsn
SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g -O1
LIB_SRCS := $(wildcard $(top_srcdir)/mlistd/*/*.c) \
	$(wildcard $(top_srcdir)/digest/*.c)
LIB_OBJS := $(patsubst $(top_srcdir)/%.c,$(B)/obj/%.o,$(LIB_SRCS))
FUZZ_CPPFLAGS = $(DEFS) -D_GNU_SOURCE \
	$(MLISTD_DIRS:%=-I$(top_srcdir)/mlistd/%) -I$(top_srcdir)/digest \
	-DSYSCONFDIR='"$(sysconfdir)"' -DPKGDATADIR='"$(pkgdatadir)"' \
	-DLOCALSTATEDIR='"$(localstatedir)"' \
	-DTEMPLATES_DIR='"$(top_srcdir)/templates"'
FUZZ_CFLAGS = $(WARN_CFLAGS) $(LIB_CFLAGS) -pthread
FUZZ_LIBS = $(filter-out -specs=%,$(LIB_LIBS)) -lpthread -lm
UTIL_OBJ := $(B)/obj/tests/fuzz/fuzz_util.o

all: $(TARGETS:%=$(B)/%)

$(B)/obj/%.o: $(top_srcdir)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(SAN) \
		-fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(B)/obj/main_%.o: $(top_srcdir)/tests/fuzz/fuzz_main.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(SAN) \
		-DFUZZ_TARGET=$* -MMD -MP -c -o $@ $<

$(B)/libfuzz.a: $(LIB_OBJS)
	rm -f $@
	ar cr $@ $^

$(B)/fuzz_%: $(B)/obj/main_fuzz_%.o $(B)/obj/tests/fuzz/fuzz_%.o \
		$(UTIL_OBJ) $(B)/libfuzz.a
	$(FUZZ_CC) $(SAN) -fsanitize=fuzzer -o $@ $(filter %.o,$^) \
		-Wl,--start-group $(B)/libfuzz.a -Wl,--end-group $(FUZZ_LIBS)

.PHONY: all
.SECONDARY:
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
