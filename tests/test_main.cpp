// GoogleTest main for tests that need DPDK memory (rte_hash, rings): starts the EAL once,
// without hugepages or PCI, under a file prefix of its own so test programs run in parallel.

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    std::vector<std::string> args = {"ottscope-test",
                                     "--no-huge",
                                     "--no-pci",
                                     "-m",
                                     "256",
                                     "--no-telemetry",
                                     "--log-level=lib.eal:error",
                                     "--no-shconf",
                                     "--file-prefix=ottscope-test-" + std::to_string(getpid()),
                                     "--lcores=0@(0)"};
    std::vector<char*> eal_argv;
    for (auto& arg : args) eal_argv.push_back(arg.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        fprintf(stderr, "cannot start the DPDK EAL for tests\n");
        return 1;
    }
    const int result = RUN_ALL_TESTS();
    // The runtime folder is named after our pid: nobody else will ever use or remove it.
    const std::string runtime_dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    std::error_code ignored;
    std::filesystem::remove_all(runtime_dir, ignored);
    return result;
}
