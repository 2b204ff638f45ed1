// The ottscope command line: run (the appliance), ctl (its API), check-config, synth, version.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>

#include "classifiers/app_catalog.h"
#include "classifiers/ndpi/ndpi_classifier.h"
#include "config/config.h"
#include "config/default_config_path.h"
#include "config/error_list.h"
#include "config/file_reader.h"
#include "config/log_text.h"
#include "config/rules_loader.h"
#include "control/ctl_command.h"
#include "control/export/ipfix_url.h"
#include "control/run_command.h"
#include "control/synth/synth.h"

namespace {

// Ten years: a limit any run means; past it a typo (or "1e300") would print as a wall of digits.
constexpr double kMaxDurationSeconds = 10.0 * 365 * 24 * 3600;

// A rule file has apps at its top; anything else is read as a configuration. A file that
// cannot be read or parsed is left to the configuration loader, which says why, naming it.
bool is_rule_file(const std::string& path) {
    std::string error;
    const auto text = ottscope::read_regular_file(path, ottscope::kMaxYamlFileBytes, error);
    if (!text) return false;
    try {
        const YAML::Node root = YAML::Load(*text);
        return root.IsMap() && root["apps"];
    } catch (const std::exception&) {
        return false;
    }
}

// Checks a configuration and every rule file it names, or a single rule file, the way a
// reload would: names of nDPI protocols are resolved against the linked nDPI. Also what a
// start would meet: flow tables larger than the machine's memory.
std::vector<std::string> config_errors(const std::string& path, size_t& rule_file_count,
                                       size_t& apps, size_t& ports) {
    std::vector<std::string> errors;
    std::vector<std::string> rule_files;
    ottscope::NdpiSettings ndpi_settings;
    if (is_rule_file(path)) {
        rule_files.push_back(path);
    } else {
        ottscope::ConfigResult config =
            ottscope::load_config(path, ottscope::export_config_checks());
        errors = std::move(config.errors);
        ports = config.config.ports.size();
        ndpi_settings.protocols_file = ottscope::ndpi_protocols_file(config.config);
        if (errors.empty()) {
            if (std::string memory = ottscope::flow_memory_error(config, 0); !memory.empty())
                errors.push_back(std::move(memory));
            rule_files = ottscope::rule_files_of(config.config, errors);
        }
    }
    rule_file_count = rule_files.size();
    if (!errors.empty()) return errors;
    const ottscope::NdpiModule ndpi = ottscope::make_ndpi_module();
    ottscope::AppCatalog catalog(ndpi.get());
    // The protocols file first: rules may name the protocols it adds.
    std::string error;
    if (!ottscope::make_ndpi_generation(ndpi_settings, &catalog, error)) return {error};
    ottscope::RulesResult rules = ottscope::load_rules(rule_files, &catalog, 1);
    if (rules.rules) apps = rules.rules->size();
    return std::move(rules.errors);
}

// systemd's ExecCondition= reads 1 to 254 as "skip the start" and 255 as a failure.
constexpr int kConditionSkip = 1;
constexpr int kConditionFail = 255;

// With require_ports, the exit status is ExecCondition's: the service unit starts only once
// the configuration names a port, and a configuration with errors fails its start rather than
// leaving it quietly skipped.
int check_config(const std::string& path, bool require_ports) {
    size_t rule_files = 0;
    size_t apps = 0;
    size_t ports = 0;
    std::vector<std::string> errors;
    try {
        errors = config_errors(path, rule_files, apps, ports);
    } catch (const std::exception& e) {
        errors.push_back(path + ": cannot be checked: " + e.what());
    }
    ottscope::limit_errors(errors);
    // Errors are escaped where they are made; once more costs nothing and covers them all.
    for (const std::string& error : errors)
        fmt::print(stderr, "{}\n", ottscope::escape_for_log(error));
    if (!errors.empty()) return require_ports ? kConditionFail : 1;
    fmt::print("{}: ok ({} rule file{}, {} app{})\n", ottscope::escape_for_log(path), rule_files,
               rule_files == 1 ? "" : "s", apps, apps == 1 ? "" : "s");
    if (require_ports && ports == 0) {
        fmt::print("{}: no ports configured: nothing for the service to read\n",
                   ottscope::escape_for_log(path));
        return kConditionSkip;
    }
    return 0;
}

int run_cli(int argc, char** argv) {
    CLI::App app{"ottscope: per-application OTT traffic analytics for carrier mirror ports"};
    app.require_subcommand(1);
    app.set_version_flag("--version", OTTSCOPE_VERSION);

    ottscope::RunOptions run;
    unsigned workers = 0;
    auto* run_cmd = app.add_subcommand("run", "run the appliance on ports or captures");
    run_cmd
        ->add_option("-c,--config", run.config_path,
                     "configuration file (YAML; default: /etc/ottscope/ottscope.yaml, else "
                     "config/ottscope.yaml of the checkout the binary was built in, else "
                     "built-in defaults)")
        ->check(CLI::ExistingFile);
    run_cmd
        ->add_option("--pcap", run.pcaps,
                     "capture file to replay through the pcap vdev (repeatable)")
        ->check(CLI::ExistingFile);
    run_cmd
        ->add_option("--pcap-queues", run.pcap_queues,
                     "capture files FILE0,FILE1,... replayed as one port with a queue per file, "
                     "queue N read by worker N with no fan-out, as RSS on a NIC gives each "
                     "worker its queue (one file per worker)")
        ->delimiter(',')
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
        ->check(CLI::Validator(
            [](const std::string& text) -> std::string {
                // strtod takes "nan", "inf" and hex: only plain finite seconds mean a limit.
                char* end = nullptr;
                const double value = std::strtod(text.c_str(), &end);
                if (end == text.c_str() || *end != '\0' || !std::isfinite(value) || value <= 0 ||
                    value > kMaxDurationSeconds || text.find_first_of("xXnN") != std::string::npos)
                    return fmt::format(
                        "takes seconds, more than 0 and at most {:.0f}; "
                        "'{}' is not",
                        kMaxDurationSeconds, text.substr(0, 32));
                return {};
            },
            "SECONDS"));
    run_cmd->add_option("--ipfix", run.ipfix,
                        "export flow records over IPFIX to udp://HOST:PORT or tcp://HOST:PORT "
                        "(repeatable; adds to export.ipfix.collectors)");
    run_cmd->add_option(
        "--tls-keylog", run.tls_keylog,
        "TLS key log (SSLKEYLOGFILE format): decrypt the first records of flows "
        "whose secrets it holds to confirm SIP inside TLS; re-read when it changes");
    std::vector<std::string> optimisation_names;
    for (const ottscope::Optimisation& optimisation : ottscope::kOptimisations)
        optimisation_names.emplace_back(optimisation.name);
    run_cmd
        ->add_option("--without", run.without,
                     "turn an optimisation off, to measure what it is worth (repeatable; see "
                     "tests/bench/bench.py --ablation)")
        ->check(CLI::IsMember(optimisation_names));
    std::string run_output = "table";
    run_cmd->add_option("--output", run_output, "end-of-run summary: table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));

    ottscope::CtlOptions ctl;
    std::string ctl_output = "table";
    auto* ctl_cmd = app.add_subcommand("ctl", "ask a running appliance over its HTTP API");
    ctl_cmd->require_subcommand(1);
    ctl_cmd->add_option("--api", ctl.api,
                        "appliance API address HOST:PORT (default: the configuration's "
                        "control.metrics_listen, else 127.0.0.1:9464)");
    ctl_cmd
        ->add_option("-c,--config", ctl.config_path,
                     "read the API address and token from this configuration")
        ->check(CLI::ExistingFile);
    ctl_cmd->add_option("--token", ctl.token,
                        "bearer token for reload when the API is not on loopback "
                        "(default: control.api_token, or $OTTSCOPE_API_TOKEN)");
    ctl_cmd->add_option("--output", ctl_output, "table (default) or json (the API's answer)")
        ->check(CLI::IsMember({"table", "json"}));
    ctl_cmd->add_subcommand("status", "ports, queues, workers, uptime, rules, drops");
    ctl_cmd->add_subcommand("apps", "traffic per app since start");
    auto* ctl_flows = ctl_cmd->add_subcommand("flows", "the largest active flows");
    ctl_flows->add_option("--top", ctl.top, "how many (1 to 100, default 10)")
        ->check(CLI::Range(1u, 100u));
    ctl_cmd->add_subcommand("reload", "re-read the configuration (POST /-/reload)");

    std::string config_file;
    auto* check_cmd = app.add_subcommand("check-config", "validate a configuration file");
    check_cmd->add_option("file", config_file,
                          "configuration or rule file (default: the configuration run would "
                          "take: /etc/ottscope/ottscope.yaml, else the checkout's)");
    bool require_ports = false;
    check_cmd->add_flag("--require-ports", require_ports,
                        "also require a port in ports: (exit 1 without one, 255 on errors: "
                        "systemd's ExecCondition= convention)");

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
        if (run.config_path.empty()) {
            const ottscope::DefaultConfig found =
                ottscope::find_default_config(ottscope::default_config_places());
            run.config_path = found.path;
            run.config_origin = found.origin;
        }
        run.json_summary = run_output == "json";
        for (const std::string& url : run.ipfix) {
            std::string error;
            if (!ottscope::parse_ipfix_url(url, error)) {
                fmt::print(stderr, "ottscope: --ipfix: {}\n", error);
                return 1;
            }
        }
        if (run.json_summary && run.flows_out == "-") {
            fmt::print(stderr, "ottscope: --output json and --flows-out - both want stdout\n");
            return 1;
        }
        return ottscope::run_appliance(run);
    }
    if (*ctl_cmd) {
        ctl.command = ctl_cmd->get_subcommands().front()->get_name();
        ctl.json = ctl_output == "json";
        return ottscope::run_ctl(ctl);
    }
    if (*check_cmd) {
        if (config_file.empty()) {
            config_file = ottscope::find_default_config(ottscope::default_config_places()).path;
            if (config_file.empty()) {
                fmt::print(stderr,
                           "ottscope: check-config: no configuration to check: {} does not "
                           "exist and this binary is not in a checkout; give FILE\n",
                           ottscope::kSystemConfigPath);
                return 1;
            }
        }
        return check_config(config_file, require_ports);
    }
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
