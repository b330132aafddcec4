# Fuzzers (tests/fuzz): one libFuzzer target per parser, built with clang, ASan and UBSan.
#   make fuzz                 each target for FUZZ_TIME seconds (60), corpora kept in build/fuzz
#   make fuzz FUZZ_TIME=600 FUZZ_TARGETS=filter
#   make check-fuzz           (part of make check) each target a few seconds from its seeds
FUZZ_CC ?= clang-14
FUZZ_TIME ?= 60
FUZZ_TARGETS ?= trace_header rules sampling_answer config sql lambda_answer api filter daemon http_request
FUZZ_SMOKE_TIME := 3
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE $(CWARN) -g -O1 -fno-omit-frame-pointer -Iinclude -Irt $(DB_CFLAGS) -Itools/xraycap \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
FUZZ_RT_OBJ := $(RT_SAN_SRC:rt/%.c=$(BUILD)/fuzz/rt/%.o)
FUZZ_TOOL_OBJ := $(TOOL_LIB_SRC:tools/xraycap/%.c=$(BUILD)/fuzz/tool/%.o)
# What each target is linked with: the runtime, the tool's sources, or (api) both.
FUZZ_RT_TARGETS := trace_header rules sampling_answer config sql lambda_answer
FUZZ_TOOL_TARGETS := filter daemon http_request
# JSON inputs get the JSON dictionary.
FUZZ_DICT = $(if $(filter trace_header config sql lambda_answer http_request,$(1)),,-dict=tests/fuzz/json.dict)

$(BUILD)/fuzz/rt/%.o: rt/%.c $(RT_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/tool/%.o: tools/xraycap/%.c tools/xraycap/*.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_RT_TARGETS:%=$(BUILD)/fuzz/fuzz_%): $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_RT_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LDFLAGS) $< $(FUZZ_RT_OBJ) $(LIBS) -o $@

$(FUZZ_TOOL_TARGETS:%=$(BUILD)/fuzz/fuzz_%): $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_TOOL_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LDFLAGS) $< $(FUZZ_TOOL_OBJ) $(TOOL_LIBS) -o $@

$(BUILD)/fuzz/fuzz_api: tests/fuzz/fuzz_api.c tests/fuzz/fuzz.h $(FUZZ_RT_OBJ) $(BUILD)/fuzz/tool/doccheck.o
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LDFLAGS) $< $(FUZZ_RT_OBJ) $(BUILD)/fuzz/tool/doccheck.o $(LIBS) -o $@

FUZZ_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

# The working corpus starts from the seeds in the tree and grows in build/fuzz/corpus; what a
# run finds (crash-*, leak-*) is written to build/fuzz/findings.
fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/findings
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/fuzz/corpus/$$t && cp -n tests/fuzz/corpus/$$t/* $(BUILD)/fuzz/corpus/$$t/ 2>/dev/null; \
	  echo "== fuzz_$$t for $(FUZZ_TIME) s (log: $(BUILD)/fuzz/$$t.log)"; \
	  $(BUILD)/fuzz/fuzz_$$t $(call FUZZ_DICT,$$t) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/fuzz/findings/$$t- -close_fd_mask=1 $(BUILD)/fuzz/corpus/$$t >$(BUILD)/fuzz/$$t.log 2>&1 \
	    || { tail -40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
	  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss)' $(BUILD)/fuzz/$$t.log; \
	done

# Regressions: every seed (the reproducers of past findings among them) and a few seconds of
# mutation from them, with the tree's corpus left untouched.
check-fuzz: $(FUZZ_BIN)
	@echo "== fuzzers: $(FUZZ_SMOKE_TIME) s each from the seed corpora"
	@for t in $(FUZZ_TARGETS); do \
	  rm -rf $(BUILD)/fuzz/smoke/$$t && mkdir -p $(BUILD)/fuzz/smoke/$$t; \
	  $(BUILD)/fuzz/fuzz_$$t $(call FUZZ_DICT,$$t) -max_total_time=$(FUZZ_SMOKE_TIME) -seed=1 -timeout=20 -close_fd_mask=1 \
	    -artifact_prefix=$(BUILD)/fuzz/smoke/$$t- $(BUILD)/fuzz/smoke/$$t tests/fuzz/corpus/$$t \
	    >$(BUILD)/fuzz/smoke/$$t.log 2>&1 || { tail -40 $(BUILD)/fuzz/smoke/$$t.log; exit 1; }; \
	  printf '    %-24s %s\n' "fuzz_$$t" "$$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' $(BUILD)/fuzz/smoke/$$t.log)"; \
	done
	@tests/suite.sh fuzz-regressions --passed $(words $(FUZZ_TARGETS))
