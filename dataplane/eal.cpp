#include "eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace ottscope {
namespace {

// The CPUs this process may run on, as an EAL cpuset "(0-3)" or "(0,2,5)".
std::string allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::string cpus;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
            if (!CPU_ISSET(cpu, &set)) continue;
            if (!cpus.empty()) cpus += ",";
            cpus += std::to_string(cpu);
        }
    }
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "(" + string + ")".
    std::string cpuset = "(";
    cpuset += cpus.empty() ? std::string("0") : cpus;
    cpuset += ")";
    return cpuset;
}

}  // namespace

std::vector<std::string> eal_arguments(const EalPlan& plan) {
    std::vector<std::string> args = {"ottscope"};
    args.push_back("--file-prefix=ottscope-" + std::to_string(getpid()));
    // No secondary processes attach to ottscope, so nothing needs DPDK's shared files: without
    // this every run leaves ~15 MB of memseg arrays under /run/dpdk/<prefix>, and test suites
    // that start thousands of appliances fill the disk.
    args.push_back("--no-shconf");
    // Lcores float over the CPUs we were given: a capture run may use more lcores than a
    // small machine has cores. Deployments pin them with eal_args (-l / --lcores).
    bool lcores_given = false;
    for (const std::string& arg : plan.extra_args)
        if (arg == "-l" || arg.rfind("--lcores", 0) == 0 || arg == "-c") lcores_given = true;
    if (!lcores_given) {
        std::string lcores = "--lcores=";
        const std::string cpus = allowed_cpus();
        for (unsigned i = 0; i < plan.lcores; ++i) {
            if (i != 0) lcores += ",";
            lcores += std::to_string(i) + "@" + cpus;
        }
        args.push_back(lcores);
    }
    if (!plan.hugepages) {
        args.push_back("--no-huge");
        // Without hugepages there is no NIC DMA: only virtual devices make sense.
        args.push_back("--no-pci");
    }
    args.push_back("-m");
    args.push_back(std::to_string(plan.memory_mb));
    args.push_back("--no-telemetry");
    args.push_back("--log-level=lib.eal:error");
    args.push_back("--log-level=pmd.net.pcap:error");
    args.push_back("--log-level=user1:warning");  // rte_ip_frag reports each table it creates
    for (const std::string& vdev : plan.vdevs) args.push_back("--vdev=" + vdev);
    for (const std::string& arg : plan.extra_args) args.push_back(arg);
    return args;
}

void start_eal(const EalPlan& plan) {
    std::vector<std::string> args = eal_arguments(plan);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0)
        throw std::runtime_error(std::string("DPDK EAL did not start: ") + rte_strerror(rte_errno));
    // The per-process runtime folder (its name holds our pid) is ours alone: leave nothing
    // behind when the process ends.
    static std::string runtime_dir = rte_eal_get_runtime_dir();
    std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(runtime_dir, ignored);
    });
}

void stop_eal() noexcept {
    rte_eal_cleanup();
}

}  // namespace ottscope
