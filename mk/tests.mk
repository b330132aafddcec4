# What the separate test programs share (tests/common/support.c: a free port, the CUnit run).
SUPPORT := tests/common/support.c tests/common/support.h

# Unit tests: one CUnit runner built three ways — plain, ASan+UBSan, and TSan (threads only).
UNIT_SRC := $(wildcard tests/unit/*.c)
# The daemon's document check (the schema's limits) judges what the tests receive.
CHECK_SRC := tools/xraycap/doccheck.c
# The seed's example is the samples' own (samples/common/seed.c).
UNIT_MAIN := $(filter-out tests/unit/env_probe.c tests/unit/lambda_probe.c tests/unit/crash_probe.c,$(UNIT_SRC)) \
             $(CHECK_SRC) samples/common/seed.c
TEST_CFLAGS := -std=c11 -D_GNU_SOURCE $(CWARN) -g -O1 -Iinclude -Irt $(DB_CFLAGS) -DROOT='"$(CURDIR)"' -DPROBE='"$(BUILD)/tests/env_probe"' \
               -DLAMBDA_PROBE='"$(BUILD)/tests/lambda_probe"' -DCRASH_PROBE='"$(BUILD)/tests/crash_probe"'
TEST_LIBS := -lcunit $(LIBS)
ASAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
TSAN := -fsanitize=thread

$(BUILD)/tests/unit: $(UNIT_MAIN) tests/unit/*.h $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $(UNIT_MAIN) $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@

$(BUILD)/tests/env_probe: tests/unit/env_probe.c $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $< $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@

# The sanitizer builds compile the runtime sources along with the tests (not the --wrap shims,
# which only link where --wrap is given).
RT_SAN_SRC := $(filter-out rt/lib/wrap_%.c,$(RT_SRC))
$(BUILD)/tests/unit-asan: $(UNIT_MAIN) tests/unit/*.h $(RT_SRC) $(RT_HDR) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $(ASAN) $(UNIT_MAIN) $(RT_SAN_SRC) $(TEST_LIBS) -o $@

$(BUILD)/tests/unit-tsan: $(UNIT_MAIN) tests/unit/*.h $(RT_SRC) $(RT_HDR) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $(TSAN) $(UNIT_MAIN) $(RT_SAN_SRC) $(TEST_LIBS) -o $@

$(BUILD)/tests/crash_probe: tests/unit/crash_probe.c $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $< $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@

$(BUILD)/tests/lambda_probe: tests/unit/lambda_probe.c $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $< $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@

check-unit: $(BUILD)/tests/unit $(BUILD)/tests/unit-asan $(BUILD)/tests/unit-tsan $(BUILD)/tests/env_probe \
            $(BUILD)/tests/lambda_probe $(BUILD)/tests/crash_probe
	@tests/suite.sh unit $(BUILD)/tests/unit
	@ASAN_OPTIONS=detect_leaks=1 tests/suite.sh unit-asan+ubsan $(BUILD)/tests/unit-asan
	@TSAN_OPTIONS=halt_on_error=1 tests/suite.sh unit-tsan $(BUILD)/tests/unit-tsan threads process sampling_remote stream emitters fold middleware

# The same samples with tracing compiled out must build warning-free and need no runtime.
check-off:
	@tests/suite.sh compiled-out sh -c '$(MAKE) --no-print-directory XRAY=0 samples && \
	  for s in $(patsubst samples/%/main.c,$(BUILD)/samples-off/%,$(wildcard samples/*/main.c)); do \
	    if nm $$s | grep -E " (__xraycap_|xray_begin|xray_end|xrc_emit|xrc_open)"; then \
	      echo "$$s still contains tracing code"; exit 1; fi; done'

# Local AWS stand-ins for the end-to-end test and the demo. An unreachable registry is not an
# error here: the e2e test then says it is skipped.
$(BUILD)/npm/.installed:
	@mkdir -p $(BUILD)/npm
	@if npm install --prefix $(BUILD)/npm --no-audit --no-fund --loglevel=error dynalite@4 s3rver@3 \
	    >$(BUILD)/npm/install.log 2>&1; then touch $@; \
	  else echo "npm install dynalite s3rver failed (see $(BUILD)/npm/install.log); e2e test skipped"; fi

$(BUILD)/tests/e2e-users-api: tests/e2e/users_api.c tests/unit/listener.c tests/unit/fake_http.c $(CHECK_SRC) $(SUPPORT) $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) tests/e2e/users_api.c tests/unit/listener.c $(CHECK_SRC) tests/common/support.c \
	  tests/unit/fake_http.c $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@

$(BUILD)/tests/e2e-xray-api: tests/e2e/xray_api.c $(SUPPORT) $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $< tests/common/support.c $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@

# OTLP straight to X-Ray's endpoint, against a stand-in that checks signatures with botocore
# and decodes protobuf with python3-protobuf (tests/e2e/otlp_endpoint.py).
$(BUILD)/tests/e2e-otlp-aws: tests/e2e/otlp_aws.c tests/unit/fake_http.c samples/common/seed.c $(SUPPORT) \
                             $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $< tests/unit/fake_http.c samples/common/seed.c tests/common/support.c \
	  $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@

check-e2e: $(BUILD)/tests/e2e-otlp-aws $(BUILD)/tests/e2e-users-api $(BUILD)/samples/users-api $(BUILD)/samples/lambda lambda-package $(BUILD)/npm/.installed \
           $(BUILD)/tests/e2e-xray-api
	@tests/suite.sh e2e-users-api $(BUILD)/tests/e2e-users-api
	@tests/suite.sh e2e-xray-api $(BUILD)/tests/e2e-xray-api
	@tests/suite.sh e2e-otlp-aws $(BUILD)/tests/e2e-otlp-aws

$(BUILD)/tests/tool: tests/tool/test_tool.c $(TOOL_LIB_SRC) $(SUPPORT) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) tests/tool/test_tool.c $(TOOL_LIB_SRC) tests/common/support.c \
	  -lcunit $(TOOL_LIBS) -o $@

# The daemon left running: retention, full and read-only stores, kill -9, counts, serve's load.
$(BUILD)/tests/daemon-life: tests/tool/test_daemon_life.c $(TOOL_LIB_SRC) $(SUPPORT) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) tests/tool/test_daemon_life.c $(TOOL_LIB_SRC) tests/common/support.c \
	  -lcunit $(TOOL_LIBS) -o $@

check-tool: $(BUILD)/tests/tool $(BUILD)/tests/daemon-life $(BUILD)/xraycap $(BUILD)/samples/capture \
            $(BUILD)/samples/manual
	@tests/suite.sh tool $(BUILD)/tests/tool
	@tests/suite.sh daemon-life $(BUILD)/tests/daemon-life

$(BUILD)/tests/viewer: tests/e2e/viewer.c $(SUPPORT) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $< tests/common/support.c -lcunit -o $@

check-viewer: $(BUILD)/tests/viewer $(BUILD)/xraycap $(BUILD)/samples/capture
	@tests/suite.sh viewer $(BUILD)/tests/viewer

# The runtime's layers: includes point only down (docs/design.md).
check-layers:
	@tests/suite.sh layers tests/layers/check_layers.sh

# Every C, shell, Make and CMake block of the READMEs and docs/ works as pasted.
DOC_SNIPPET_PAGES := README.md $(wildcard docs/*.md) samples/lambda/README.md
check-docs: all $(BUILD)/xraycap
	@tests/suite.sh docs tests/docs/snippets.sh $(DOC_SNIPPET_PAGES)

# make install into a temporary prefix, then pkg-config and find_package(xraycap) as users do.
check-install: all
	@tests/suite.sh install tests/install/run.sh

# Database clients against servers the tests start (tests/db): each client,
# tests/db/NAME_prog.c, built the ways a user turns tracing on (GCC plugin patch=LIB, Clang
# plugin, --wrap link, explicit xray_* calls) and once more with the runtime under ASan+UBSan;
# tests/db/test_NAME.c runs them and checks what they send.
DB_PROG_FLAGS := -std=c11 $(CWARN) -O2 -Iinclude $(DB_CFLAGS)
DB_TEST_SRC := tests/db/db_harness.c tests/unit/listener.c $(CHECK_SRC) tests/common/support.c
DB_WAYS := gcc clang wrap explicit asan

# $(call db_client,NAME,LIB): the five builds of NAME's client and its test program.
define db_client
$(BUILD)/tests/$(1)-gcc: tests/db/$(1)_prog.c $(BUILD)/libxraycap.a $(BUILD)/xraycap.so | $(BUILD)/tests
	$$(CC) $$(DB_PROG_FLAGS) -fplugin=$$(BUILD)/xraycap.so -fplugin-arg-xraycap-patch=$(2) $$< $$(BUILD)/libxraycap.a $$(LIBS) -o $$@
$(BUILD)/tests/$(1)-clang: tests/db/$(1)_prog.c $(BUILD)/libxraycap.a $(BUILD)/xraycap-clang.so | $(BUILD)/tests
	clang-14 $$(DB_PROG_FLAGS) $$(CLANG_FLAGS) -fplugin-arg-xraycap-patch=$(2) $$< $$(BUILD)/libxraycap.a $$(LIBS) -o $$@
$(BUILD)/tests/$(1)-wrap: tests/db/$(1)_prog.c $(BUILD)/libxraycap.a | $(BUILD)/tests
	$$(CC) $$(DB_PROG_FLAGS) $$< $$(PATCH_LDFLAGS) $$(BUILD)/libxraycap.a $$(LIBS) -o $$@
$(BUILD)/tests/$(1)-explicit: tests/db/$(1)_prog.c $(BUILD)/libxraycap.a | $(BUILD)/tests
	$$(CC) $$(DB_PROG_FLAGS) -DEXPLICIT $$< $$(BUILD)/libxraycap.a $$(LIBS) -o $$@
$(BUILD)/tests/$(1)-asan: tests/db/$(1)_prog.c $$(RT_SRC) $$(RT_HDR) | $(BUILD)/tests
	$$(CC) $$(TEST_CFLAGS) $$(ASAN) -DEXPLICIT $$< $$(RT_SAN_SRC) $$(LIBS) -o $$@
$(BUILD)/tests/$(1): tests/db/test_$(1).c $$(DB_TEST_SRC) tests/db/db_harness.h tests/unit/listener.h \
                     $(BUILD)/libxraycap.a $(foreach w,$(DB_WAYS),$(BUILD)/tests/$(1)-$(w)) | $(BUILD)/tests
	$$(CC) $$(TEST_CFLAGS) $$< $$(DB_TEST_SRC) $$(BUILD)/libxraycap.a $$(TEST_LIBS) -o $$@
endef
$(eval $(call db_client,pq,pq))
$(eval $(call db_client,redis,redis))
$(eval $(call db_client,mysql,mysql))

# Run-time interposition: calls made inside a shared library of "someone else's" (vendor.c),
# seen through libxraycap-patch.so linked first, or preloaded; and with the plugin patching
# the program's own calls as well (nothing twice).
INTERPOSE_RPATH := -Wl,-rpath,$(CURDIR)/$(BUILD):$(CURDIR)/$(BUILD)/tests
# (kept even where the linker drops libraries nothing refers to: the program's own calls may
# all be patched by the plugin, and it is the vendor library's calls that need it)
INTERPOSE_FIRST := -Wl,--push-state,--no-as-needed -lxraycap-patch -Wl,--pop-state
$(BUILD)/tests/libvendor.so: tests/db/vendor.c | $(BUILD)/tests
	$(CC) $(DB_PROG_FLAGS) -fPIC -shared $< -lcurl -lpq -lhiredis -lmariadb -o $@
$(BUILD)/tests/interpose-linked: tests/db/interpose_prog.c $(BUILD)/tests/libvendor.so $(BUILD)/libxraycap-patch.so
	$(CC) $(DB_PROG_FLAGS) $< -L$(BUILD) -L$(BUILD)/tests $(INTERPOSE_FIRST) -lxraycap -lvendor -lcurl -lpq -lhiredis -lmariadb $(INTERPOSE_RPATH) -o $@
$(BUILD)/tests/interpose-shared: tests/db/interpose_prog.c $(BUILD)/tests/libvendor.so $(BUILD)/libxraycap.so
	$(CC) $(DB_PROG_FLAGS) $< -L$(BUILD) -L$(BUILD)/tests -lxraycap -lvendor -lpq -lhiredis -lmariadb $(INTERPOSE_RPATH) -o $@
$(BUILD)/tests/interpose-plugin: tests/db/interpose_prog.c $(BUILD)/tests/libvendor.so $(BUILD)/libxraycap-patch.so $(BUILD)/xraycap.so
	$(CC) $(DB_PROG_FLAGS) -fplugin=$(BUILD)/xraycap.so -fplugin-arg-xraycap-patch=all $< -L$(BUILD) -L$(BUILD)/tests \
	  $(INTERPOSE_FIRST) -lxraycap -lvendor -lcurl -lpq -lhiredis -lmariadb $(INTERPOSE_RPATH) -o $@

INTERPOSE_BIN := $(BUILD)/tests/interpose-linked $(BUILD)/tests/interpose-shared $(BUILD)/tests/interpose-plugin

check-postgresql: $(BUILD)/tests/pq $(INTERPOSE_BIN)
	@tests/suite.sh postgresql $(BUILD)/tests/pq
check-redis: $(BUILD)/tests/redis $(INTERPOSE_BIN)
	@tests/suite.sh redis $(BUILD)/tests/redis
check-mysql: $(BUILD)/tests/mysql $(INTERPOSE_BIN)
	@tests/suite.sh mysql $(BUILD)/tests/mysql

# The packaged Lambda function, run as Lambda runs it (tests/e2e/lambda_package.c).
$(BUILD)/tests/lambda-package: tests/e2e/lambda_package.c tests/unit/fake_http.c tests/unit/listener.c $(CHECK_SRC) \
                               $(SUPPORT) $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $< tests/unit/fake_http.c tests/unit/listener.c $(CHECK_SRC) tests/common/support.c \
	  $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@
# local-api's Lambda: cold starts, Lambda's own subsegments, environments in parallel.
$(BUILD)/tests/barrier_function: tests/e2e/barrier_function.c $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $< $(BUILD)/libxraycap.a $(CORE_LIBS) -o $@
$(BUILD)/tests/local-api: tests/e2e/local_api.c tests/unit/listener.c tests/unit/fake_http.c $(CHECK_SRC) \
                          $(SUPPORT) $(BUILD)/libxraycap.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $< tests/unit/listener.c tests/unit/fake_http.c $(CHECK_SRC) tests/common/support.c \
	  $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@

check-lambda: $(BUILD)/tests/lambda-package lambda-package $(BUILD)/tests/local-api $(BUILD)/tests/barrier_function \
              $(BUILD)/xraycap
	@tests/suite.sh lambda-package $(BUILD)/tests/lambda-package
	@tests/suite.sh local-api $(BUILD)/tests/local-api

# Each suite prints one line (its output is in build/check/NAME.log); the last line totals them.
check: deps check-layers all check-unit check-plugin check-off check-tool check-fuzz check-install check-docs check-postgresql check-redis check-mysql check-lambda check-e2e check-viewer check-demo
	@tests/totals.sh

# The README's first command, as a new user runs it: it must end with the seed's trace shown,
# DynamoDB, S3, PostgreSQL and Redis in its map, and the Lambda path's services (or, where npm cannot install the stand-ins,
# with the standalone samples' traces).
check-demo:
	@tests/suite.sh demo $(MAKE) --no-print-directory demo
	@if grep -q 'standalone samples instead' build/check/demo.log; then grep -q 'document(s) received' build/check/demo.log; \
	 else grep -q -- '-> DynamoDB ' build/check/demo.log && grep -q 'xray_function_sample3' build/check/demo.log && \
	   { grep -q 'no PostgreSQL server here' build/check/demo.log || grep -q -- '-> postgres@127.0.0.1 ' build/check/demo.log; } && \
	   { grep -q 'no Redis server here' build/check/demo.log || grep -q -- '-> redis@127.0.0.1:' build/check/demo.log; } && \
	   grep -q -- '-> users (AWS::Lambda::Function)' build/check/demo.log; fi \
	 || { echo "make demo showed no trace:"; tail -30 build/check/demo.log; exit 1; }

# Plugin matrix: compiles the programs in tests/plugin/progs at every level with the plugin.
# The Clang rows use the flags users are told to use (pkg-config --variable=clang_flags).
CLANG_FLAGS = -fplugin=$(CURDIR)/$(BUILD)/xraycap-clang.so -fpass-plugin=$(CURDIR)/$(BUILD)/xraycap-clang.so -D__XRAYCAP__=1
$(BUILD)/tests/plugin-matrix: tests/plugin/matrix.c tests/unit/listener.c tests/unit/listener.h tests/unit/fake_http.c $(CHECK_SRC) $(BUILD)/libxraycap.a include/xray_capture/patched.h | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -DWITH_CLANG -DCLANG_PLUGIN_FLAGS='"$(CLANG_FLAGS)"' \
	  -DPATCH_LDFLAGS='"$(PATCH_LDFLAGS)"' \
	  tests/plugin/matrix.c tests/unit/listener.c tests/unit/fake_http.c $(CHECK_SRC) $(BUILD)/libxraycap.a $(TEST_LIBS) -o $@

check-plugin: $(BUILD)/tests/plugin-matrix $(BUILD)/xraycap.so $(BUILD)/xraycap-clang.so $(BUILD)/libxraycap.a
	@tests/suite.sh plugin-matrix $(BUILD)/tests/plugin-matrix
