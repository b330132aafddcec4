# Benchmarks: ratios against baselines measured in the same run (never asserted in tests).
BENCH_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 $(WARN) -Iinclude

CLANG ?= clang-14
$(BUILD)/bench/capture_bench: bench/capture_bench.c bench/target.c $(BUILD)/libxraycap.a $(BUILD)/xraycap.so $(BUILD)/xraycap-clang.so
	mkdir -p $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) -DTARGET=target_plain -c bench/target.c -o $(BUILD)/bench/t_plain.o
	$(CC) $(BENCH_CFLAGS) -DTARGET=target_off -DXRAY_COMPILED_OUT -c bench/target.c -o $(BUILD)/bench/t_off.o
	$(CC) $(BENCH_CFLAGS) -DTARGET=target_captured -fplugin=$(BUILD)/xraycap.so -c bench/target.c -o $(BUILD)/bench/t_captured.o
	$(CC) $(BENCH_CFLAGS) -DTARGET=target_instrumented -finstrument-functions -c bench/target.c -o $(BUILD)/bench/t_instr.o
	$(CLANG) $(BENCH_CFLAGS) -DTARGET=target_clang_plain -c bench/target.c -o $(BUILD)/bench/t_clang_plain.o
	$(CLANG) $(BENCH_CFLAGS) -DTARGET=target_clang_captured $(CLANG_FLAGS) -c bench/target.c -o $(BUILD)/bench/t_clang_captured.o
	$(CLANG) $(BENCH_CFLAGS) -DTARGET=target_clang_instrumented -finstrument-functions -c bench/target.c -o $(BUILD)/bench/t_clang_instr.o
	$(CC) $(BENCH_CFLAGS) bench/capture_bench.c $(BUILD)/bench/t_*.o $(BUILD)/libxraycap.a $(LIBS) -o $@

bench: $(BUILD)/bench/capture_bench $(BUILD)/bench/emit_bench $(BUILD)/npm-bench/.installed $(BUILD)/bench/db_bench \
       $(BUILD)/bench/caller_bench $(BUILD)/bench/throw_bench $(BUILD)/bench/otlp_bench $(BUILD)/bench/daemon_bench \
       $(BUILD)/bench/console_bench $(BUILD)/xraycap
	$(BUILD)/bench/capture_bench
	$(BUILD)/bench/caller_bench
	$(BUILD)/bench/throw_bench
	$(BUILD)/bench/emit_bench
	$(BUILD)/bench/otlp_bench
	$(BUILD)/bench/db_bench
	$(BUILD)/bench/daemon_bench
	$(BUILD)/bench/console_bench

# The daemon left running: sustained ingest, pruning while receiving (DAEMON_BENCH_SECONDS).
$(BUILD)/bench/daemon_bench: bench/daemon_bench.c tools/xraycap/store.c tools/xraycap/store.h $(SUPPORT)
	mkdir -p $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) -DROOT='"$(CURDIR)"' $< tools/xraycap/store.c tests/common/support.c -lcunit \
	  $(TOOL_LIBS) -o $@

# The console over 10,000 traces: serve's pages and the terminal views (CONSOLE_BENCH_TRACES).
$(BUILD)/bench/console_bench: bench/console_bench.c tools/xraycap/store.c tools/xraycap/store.h $(SUPPORT)
	mkdir -p $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) -DROOT='"$(CURDIR)"' $< tools/xraycap/store.c tests/common/support.c -lcunit \
	  $(TOOL_LIBS) -o $@

# A traced database call against the untraced one, on servers of its own (tests/db).
$(BUILD)/bench/db_bench: bench/db_bench.c $(BUILD)/libxraycap.a
	mkdir -p $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) $(DB_CFLAGS) -DROOT='"$(CURDIR)"' $< $(BUILD)/libxraycap.a $(LIBS) -o $@

# Emission throughput; the Node.js SDK is measured beside it when npm can install it.
$(BUILD)/bench/emit_bench: bench/emit_bench.c tests/unit/fake_http.c $(BUILD)/libxraycap.a
	mkdir -p $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) -Irt -DROOT='"$(CURDIR)"' bench/emit_bench.c tests/unit/fake_http.c \
	  $(BUILD)/libxraycap.a $(LIBS) -o $@

# OTLP bodies: JSON, protobuf, protobuf + gzip, per span.
$(BUILD)/bench/otlp_bench: bench/otlp_bench.c $(BUILD)/libxraycap.a
	mkdir -p $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) -Irt $< $(BUILD)/libxraycap.a $(CORE_LIBS) -o $@

$(BUILD)/npm-bench/.installed:
	@mkdir -p $(BUILD)/npm-bench
	@if npm install --prefix $(BUILD)/npm-bench --no-audit --no-fund --loglevel=error aws-xray-sdk-core@3 \
	    >$(BUILD)/npm-bench/install.log 2>&1; then touch $@; \
	  else echo "npm install aws-xray-sdk-core failed (see $(BUILD)/npm-bench/install.log); the Node.js rows are skipped"; fi

# What the working thread pays: segments of annotated subsegments, errors (docs/performance.md).
$(BUILD)/bench/caller_bench: bench/caller_bench.c $(BUILD)/libxraycap.a
	mkdir -p $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) -DROOT='"$(CURDIR)"' $< $(BUILD)/libxraycap.a $(CORE_LIBS) -o $@

$(BUILD)/bench/throw_bench: bench/throw_bench.cc $(BUILD)/libxraycap.a $(BUILD)/xraycap.so
	mkdir -p $(BUILD)/bench
	$(CXX) -std=c++17 -O2 $(WARN) -Iinclude -fplugin=$(BUILD)/xraycap.so $< $(BUILD)/libxraycap.a $(CORE_LIBS) -o $@
