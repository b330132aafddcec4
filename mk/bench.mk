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

bench: $(BUILD)/bench/capture_bench
	$(BUILD)/bench/capture_bench
