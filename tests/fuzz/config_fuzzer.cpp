// libFuzzer target for the configuration and rule loaders: first byte picks which, the rest is
// the file. Whatever the text, loading returns (errors or a result), never crashes, and every
// error names the file with a line and a column.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "classifiers/app_catalog.h"
#include "classifiers/ndpi/ndpi_classifier.h"
#include "config/config.h"
#include "config/rules_loader.h"
#include "control/export/ipfix_url.h"

namespace {

void check(bool holds) {
    if (!holds) __builtin_trap();
}

const std::string& scratch_path() {
    static const std::string path =
        "/tmp/ottscope-config-fuzz-" + std::to_string(getpid()) + ".yaml";
    return path;
}

// Every error names the file, but for the count of those left out (config/error_list.h), last;
// none spans two lines.
void check_located(const std::vector<std::string>& errors) {
    for (size_t i = 0; i < errors.size(); ++i) {
        const std::string& error = errors[i];
        check(error.find('\n') == std::string::npos);
        if (i + 1 == errors.size() && error.starts_with("... and ")) continue;
        check(error.rfind(scratch_path() + ":", 0) == 0);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope;
    if (size < 1) return 0;
    static const NdpiModule ndpi = make_ndpi_module();
    static AppCatalog catalog(ndpi.get());
    std::FILE* file = std::fopen(scratch_path().c_str(), "wb");
    if (file == nullptr) return 0;
    std::fwrite(data + 1, 1, size - 1, file);
    std::fclose(file);
    if (data[0] % 2 == 0) {
        const ConfigResult result = load_config(scratch_path(), export_config_checks());
        check_located(result.errors);
    } else {
        // Without interning (catalog null) the catalog's bounded tables do not fill up
        // across millions of inputs; names are still resolved against nDPI's.
        const RulesResult result = load_rules({scratch_path()}, nullptr, 1);
        check_located(result.errors);
        check(result.rules == nullptr);
        static_cast<void>(catalog);
    }
    return 0;
}
