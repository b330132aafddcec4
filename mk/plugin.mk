# The GCC plugin. Built with the compiler it will run in: a plugin is tied to one GCC version.
GCC_PLUGIN_DIR := $(shell $(CXX) -print-file-name=plugin)
PLUGIN_CXXFLAGS := -std=c++17 -shared -fPIC -fno-rtti -O2 -g $(WARN) -Wno-unused-parameter \
                   -I$(GCC_PLUGIN_DIR)/include

ifeq ($(XRAY),0)
PLUGIN_FLAGS :=
PLUGIN_DEP :=
plugin:
else
PLUGIN_FLAGS := -fplugin=$(BUILD)/xraycap.so
PLUGIN_DEP := $(BUILD)/xraycap.so
plugin: $(BUILD)/xraycap.so
endif

$(BUILD)/xraycap.so: plugin/gcc/xraycap_plugin.cc plugin/naming.h plugin/patch_table.h include/xray_capture/patched.h include/xray_capture/version.h | $(BUILD)/rt
	$(CXX) $(PLUGIN_CXXFLAGS) $< -o $@

# The Clang plugin (attribute plugin and LLVM pass plugin in one object).
LLVM_CONFIG ?= llvm-config-14
CLANGXX ?= clang++-14
CLANG_PLUGIN_CXXFLAGS = -shared -fPIC -fno-rtti -O2 -g $(WARN) -Wno-unused-parameter \
                        $(filter-out -fno-exceptions -std=%,$(shell $(LLVM_CONFIG) --cxxflags)) -std=c++17

$(BUILD)/xraycap-clang.so: plugin/clang/xraycap_clang.cc plugin/naming.h plugin/patch_table.h include/xray_capture/patched.h include/xray_capture/version.h | $(BUILD)/rt
	$(CLANGXX) $(CLANG_PLUGIN_CXXFLAGS) $< -o $@

ifneq ($(XRAY),0)
plugin: $(BUILD)/xraycap-clang.so
endif
