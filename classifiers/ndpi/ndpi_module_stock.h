#pragma once
// nDPI detection modules built ahead of need. A module takes about 15 ms to build and needs
// neither DPDK nor the catalog, so the appliance orders its modules (the catalog's and one
// per worker) before it starts DPDK, has them built on its start-up thread, and takes them
// once the EAL is up. Where no MSR device is readable the EAL sleeps 100 ms to measure the
// TSC: the modules are built inside that wait instead of one after another after it.

#include <mutex>
#include <string>
#include <vector>

#include "ndpi_classifier.h"

namespace ottscope {

class NdpiModuleStock {
public:
    // One module per entry, each loading that protocols file (empty: none).
    explicit NdpiModuleStock(std::vector<std::string> protocols_files);

    // Builds every module ordered, on the calling thread; later calls, and calls made while
    // another thread builds, wait for that build.
    void build();
    // A module built for `protocols_file` (built here first if no thread has built the order
    // yet). Null when none is left for that file or its build failed: the caller then builds
    // its own, which words the error where such failures are reported.
    [[nodiscard]] NdpiModule take(const std::string& protocols_file);

private:
    struct Built {
        std::string protocols_file;
        NdpiModule module;
    };

    std::once_flag once_;
    std::vector<std::string> protocols_files_;
    std::vector<Built> built_;
};

}  // namespace ottscope
