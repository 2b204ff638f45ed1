// The ottscope command line: run (the appliance), check-config, synth, version.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "config/config.h"
#include "control/run_command.h"
#include "synth.h"

namespace {

int check_config(const std::string& path) {
    const ottscope::ConfigResult result = ottscope::load_config(path);
    for (const std::string& error : result.errors) fmt::print(stderr, "{}\n", error);
    if (result.ok()) fmt::print("{}: ok\n", path);
    return result.ok() ? 0 : 1;
}

int run_cli(int argc, char** argv) {
    CLI::App app{"ottscope: per-application OTT traffic analytics for carrier mirror ports"};
    app.require_subcommand(1);
    app.set_version_flag("--version", OTTSCOPE_VERSION);

    ottscope::RunOptions run;
    unsigned workers = 0;
    auto* run_cmd = app.add_subcommand("run", "run the appliance on ports or captures");
    run_cmd->add_option("-c,--config", run.config_path, "configuration file (YAML)")
        ->check(CLI::ExistingFile);
    run_cmd
        ->add_option("--pcap", run.pcaps,
                     "capture file to replay through the pcap vdev (repeatable)")
        ->check(CLI::ExistingFile);
    auto* workers_option =
        run_cmd->add_option("--workers", workers, "worker lcores (default: all cores but one)")
            ->check(CLI::Range(1, 128));
    run_cmd->add_option("--flows-out", run.flows_out,
                        "write flow records as JSON Lines to FILE ('-': stdout)");
    run_cmd->add_option("--metrics", run.metrics_listen,
                        "serve /metrics and /healthz on ADDR:PORT (default 127.0.0.1:9464)");
    run_cmd->add_flag("--linger", run.linger,
                      "keep serving metrics after the captures end, until SIGTERM");
    run_cmd->add_flag("--loop", run.loop, "replay the captures forever (from memory)");
    run_cmd->add_flag("--progress", run.progress,
                      "show packets and rate on the terminal while running");
    run_cmd->add_option("--duration", run.duration_seconds, "stop after this many seconds")
        ->check(CLI::PositiveNumber);

    std::string config_file;
    auto* check_cmd = app.add_subcommand("check-config", "validate a configuration file");
    check_cmd->add_option("file", config_file, "configuration file")->required();

    ottscope::synth::SynthOptions synth;
    auto* synth_cmd = app.add_subcommand("synth", "write our synthetic demo/test capture");
    synth_cmd->add_option("--out", synth.out_path, "capture file to write")->required();
    synth_cmd->add_option("--seed", synth.seed, "random seed (same seed, same bytes)");
    synth_cmd
        ->add_option("--scale", synth.scale,
                     "copies of the scenario set, each with other subscribers")
        ->check(CLI::Range(1u, 100000u));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        fmt::print(stderr, "ottscope: {}\n", e.what());
        return 1;
    }
    if (*run_cmd) {
        if (*workers_option) run.workers = workers;
        return ottscope::run_appliance(run);
    }
    if (*check_cmd) return check_config(config_file);
    if (*synth_cmd) return ottscope::synth::write_capture(synth);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run_cli(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "ottscope: {}\n", e.what());
    }
    return 1;
}
