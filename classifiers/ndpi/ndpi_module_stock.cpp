#include "ndpi_module_stock.h"

#include <algorithm>

namespace ottscope {

NdpiModuleStock::NdpiModuleStock(std::vector<std::string> protocols_files)
    : protocols_files_(std::move(protocols_files)) {}

void NdpiModuleStock::build() {
    std::call_once(once_, [this] {
        built_.reserve(protocols_files_.size());
        for (const std::string& file : protocols_files_) {
            std::string ignored;  // a failed build is built again, and reported, by its taker
            built_.push_back(Built{file, make_ndpi_module(file, ignored)});
        }
    });
}

NdpiModule NdpiModuleStock::take(const std::string& protocols_file) {
    build();
    const auto found = std::find_if(built_.begin(), built_.end(), [&](const Built& entry) {
        return entry.module != nullptr && entry.protocols_file == protocols_file;
    });
    return found != built_.end() ? std::move(found->module) : NdpiModule{};
}

}  // namespace ottscope
