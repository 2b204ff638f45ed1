#include "run_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <memory>

#include "config/config.h"
#include "config/listen_address.h"
#include "control/startup/appliance.h"

namespace ottscope {

int run_appliance(const RunOptions& options) {
    // Checked here, before the EAL starts, like the configuration's control.metrics_listen.
    if (options.metrics_listen) {
        if (const auto listen = parse_listen_address(*options.metrics_listen); !listen.address) {
            fmt::print(stderr, "ottscope: --metrics {}\n", listen.error);
            return 1;
        }
    }
    Config config = default_config();
    if (!options.config_path.empty()) {
        ConfigResult loaded = load_config(options.config_path, export_config_checks());
        if (!loaded.ok()) {
            for (const std::string& error : loaded.errors) fmt::print(stderr, "{}\n", error);
            return 1;
        }
        config = std::move(loaded.config);
    }
    if (options.pcaps.empty() && options.pcap_queues.empty() && config.ports.empty()) {
        fmt::print(stderr,
                   "ottscope: nothing to read: give --pcap FILE or ports in the configuration\n");
        return 1;
    }
    install_signal_handlers();
    try {
        auto appliance = std::make_unique<Appliance>(options, std::move(config));
        const int status = appliance->run();
        if (!appliance->reloads_settled()) (void)appliance.release();  // see Appliance::end_reloads
        return status;
    } catch (const std::exception& e) {
        fmt::print(stderr, "ottscope: {}\n", e.what());
        return 1;
    }
}

}  // namespace ottscope
