# Tools and samples. `make XRAY=0` builds the samples with tracing compiled out.

$(BUILD)/xraycap: $(TOOL_SRC) tools/xraycap/*.h include/xray_capture/version.h | $(BUILD)/rt
	$(CC) $(CFLAGS) -std=c11 -D_GNU_SOURCE $(CWARN) -Iinclude $(TOOL_SRC) $(TOOL_LIBS) -o $@

ifeq ($(XRAY),0)
SAMPLE_CFLAGS := -DXRAY_COMPILED_OUT
# Only the Lambda Runtime API loop can come from the library (xray_lambda_run_untraced).
SAMPLE_LIBS := $(BUILD)/libxraycap.a -lcjson -lcurl
SAMPLE_DEPS := $(BUILD)/libxraycap.a
else
SAMPLE_CFLAGS := $(PLUGIN_FLAGS)
SAMPLE_LIBS := $(BUILD)/libxraycap.a $(LIBS)
SAMPLE_DEPS := $(BUILD)/libxraycap.a $(PLUGIN_DEP)
endif

# Compiled-out samples live apart, so switching XRAY always rebuilds them.
SAMPLE_DIR := $(BUILD)/samples$(if $(filter 0,$(XRAY)),-off,)

# (--as-needed: a sample depends on the libraries it calls, not on every one libxraycap can trace)
$(SAMPLE_DIR)/%: samples/%/main.c include/xray_capture.h $(SAMPLE_DEPS)
	mkdir -p $(SAMPLE_DIR)
	$(CC) $(CFLAGS) -std=c11 $(CWARN) -Iinclude $(SAMPLE_CFLAGS) $< -Wl,--as-needed $(SAMPLE_LIBS) -o $@

# The seed's sample1 (samples/common/seed.c) is run by manual, users-api and lambda.
SEED := samples/common/seed.c samples/common/seed.h
$(SAMPLE_DIR)/manual: samples/manual/main.c $(SEED) include/xray_capture.h $(SAMPLE_DEPS)
	mkdir -p $(SAMPLE_DIR)
	$(CC) $(CFLAGS) -std=c11 $(CWARN) -Iinclude $(SAMPLE_CFLAGS) $< samples/common/seed.c \
	  -Wl,--as-needed $(SAMPLE_LIBS) -o $@

# users-api is an HTTP server (libmicrohttpd, its requests traced by the middleware) whose
# libcurl, libpq and hiredis calls, and MHD_queue_response, are traced by patching.
$(SAMPLE_DIR)/users-api: samples/users-api/main.c samples/common/aws_store.c samples/common/aws_store.h \
                         $(SEED) include/xray_capture.h $(SAMPLE_DEPS)
	mkdir -p $(SAMPLE_DIR)
	$(CC) $(CFLAGS) -std=c11 $(CWARN) -Iinclude $(DB_CFLAGS) $(SAMPLE_CFLAGS) \
	  $(if $(filter 0,$(XRAY)),,-fplugin-arg-xraycap-patch=curl,pq,redis,mhd) $< samples/common/aws_store.c \
	  samples/common/seed.c \
	  -Wl,--as-needed $(SAMPLE_LIBS) -lmicrohttpd -lcurl -lpq -lhiredis -o $@

# The Lambda sample stores the user as users-api does (the seed's sample3).
$(SAMPLE_DIR)/lambda: samples/lambda/main.c samples/common/aws_store.c samples/common/aws_store.h \
                      $(SEED) include/xray_capture.h $(SAMPLE_DEPS)
	mkdir -p $(SAMPLE_DIR)
	$(CC) $(CFLAGS) -std=c11 $(CWARN) -Iinclude $(SAMPLE_CFLAGS) $(if $(filter 0,$(XRAY)),,-fplugin-arg-xraycap-patch=curl) \
	  $< samples/common/aws_store.c samples/common/seed.c -Wl,--as-needed $(SAMPLE_LIBS) -lcjson -lcurl -o $@

# The Lambda sample as a provided.al2023 function: build/lambda/function.zip (docs: samples/lambda).
lambda-package: $(BUILD)/samples/lambda
	tools/lambda_package.sh $(BUILD)/samples/lambda $(BUILD)/lambda

SAMPLES := $(patsubst samples/%/main.c,$(SAMPLE_DIR)/%,$(wildcard samples/*/main.c))
samples: $(SAMPLES)
all: $(BUILD)/xraycap samples

demo: deps all lambda-package $(BUILD)/npm/.installed
	@bash tools/demo.sh
