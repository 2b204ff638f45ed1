#include "config.h"

#include "classifier_sections.h"
#include "classifiers/ndpi/ndpi_classifier.h"
#include "classifiers/registry.h"
#include "classifiers/tls/tls_classifier.h"

#include "error_list.h"
#include "file_reader.h"
#include "listen_address.h"
#include "log_text.h"
#include "memory_estimate.h"
#include "yaml_loader.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <map>
#include <string_view>

namespace ottscope {
namespace {

constexpr uint64_t kMaxStreamMemoryMib = 16384;

void load_ipfix(YamlLoader& loader, const YAML::Node& node, const ConfigChecks& checks,
                Config& config) {
    loader.mapping(
        node, "export.ipfix",
        {
            {"collectors",
             [&](const YAML::Node& list) {
                 if (!list.IsSequence()) {
                     loader.error(list, "export.ipfix.collectors must be a list of URLs");
                     return;
                 }
                 for (const auto& item : list) {
                     if (!item.IsScalar()) {
                         loader.error(item, "export.ipfix.collectors[] must be a URL");
                         continue;
                     }
                     const std::string error =
                         checks.ipfix_collector ? checks.ipfix_collector(item.Scalar()) : "";
                     if (error.empty())
                         config.ipfix_collectors.push_back(item.Scalar());
                     else
                         loader.error(item, error);
                 }
             }},
            {"domain_id",
             loader.number(config.ipfix_domain_id, "export.ipfix.domain_id", 0, (1u << 24) - 1)},
            {"record_form",
             [&](const YAML::Node& form) {
                 const std::string choices =
                     "unidirectional (two records per flow, one per direction) or biflow (one "
                     "RFC 5103 record with reverse counters)";
                 if (!form.IsScalar())
                     loader.error(form, "export.ipfix.record_form must be " + choices);
                 else if (form.Scalar() == "unidirectional")
                     config.ipfix_biflow_records = false;
                 else if (form.Scalar() == "biflow")
                     config.ipfix_biflow_records = true;
                 else
                     loader.error(form, "export.ipfix.record_form is '" +
                                            shown_value(form.Scalar()) + "', must be " + choices);
             }},
            {"templates",
             [&](const YAML::Node& templates) {
                 loader.mapping(
                     templates, "export.ipfix.templates",
                     {
                         {"app_names", loader.boolean(config.ipfix_app_names,
                                                      "export.ipfix.templates.app_names")},
                         {"enterprise_elements",
                          loader.boolean(config.ipfix_enterprise_elements,
                                         "export.ipfix.templates.enterprise_elements")},
                         {"refresh_seconds",
                          loader.number(config.ipfix_template_refresh_seconds,
                                        "export.ipfix.templates.refresh_seconds", 0, 86400)},
                     });
             }},
            {"max_records_per_second",
             loader.number(config.ipfix_max_records_per_second,
                           "export.ipfix.max_records_per_second", 0, 100'000'000)},
            {"buffer_records", loader.number(config.ipfix_buffer_records,
                                             "export.ipfix.buffer_records", 1, 1u << 26)},
        });
}

// Where keys whose values are checked after the walk were written, for their messages.
struct KeyMarks {
    YAML::Mark flow_capacity = YAML::Mark::null_mark();
    ClassifierOptionMarks classifiers;
};

void load_document(YamlLoader& loader, const YAML::Node& root, const ConfigChecks& checks,
                   Config& config, KeyMarks& marks) {
    if (root.IsNull()) return;
    loader.mapping(
        root, "the configuration",
        {
            {"dataplane",
             [&](const YAML::Node& node) {
                 loader.mapping(
                     node, "dataplane",
                     {
                         {"workers", loader.number(config.workers, "dataplane.workers", 0, 128)},
                         {"fanout",
                          [&](const YAML::Node& mode) {
                              const std::string choices =
                                  "receiver (worker 0 reads single-queue ports) or dedicated (an "
                                  "lcore of its own reads them)";
                              if (!mode.IsScalar())
                                  loader.error(mode, "dataplane.fanout must be " + choices);
                              else if (mode.Scalar() == "receiver")
                                  config.fanout = FanoutMode::receiver;
                              else if (mode.Scalar() == "dedicated")
                                  config.fanout = FanoutMode::dedicated;
                              else
                                  loader.error(mode, "dataplane.fanout is '" +
                                                         shown_value(mode.Scalar()) +
                                                         "', must be " + choices);
                          }},
                         {"receiver_share",
                          loader.decimal(config.receiver_share, "dataplane.receiver_share", 0, 1)},
                         {"memory_mb",
                          loader.number(config.memory_mb, "dataplane.memory_mb", 64, 1 << 20)},
                         {"hugepages", loader.boolean(config.hugepages, "dataplane.hugepages")},
                         {"eal_args",
                          [&](const YAML::Node& list) {
                              if (!list.IsSequence()) {
                                  loader.error(list,
                                               "dataplane.eal_args must be a list of strings");
                                  return;
                              }
                              for (const auto& arg : list) {
                                  if (arg.IsScalar())
                                      config.eal_args.push_back(arg.Scalar());
                                  else
                                      loader.error(arg, "dataplane.eal_args[] must be a string");
                              }
                          }},
                     });
             }},
            {"ports",
             [&](const YAML::Node& list) {
                 if (!list.IsSequence()) {
                     loader.error(list, "ports must be a list");
                     return;
                 }
                 for (const auto& item : list) {
                     PortSettings port;
                     loader.mapping(item, "ports[]",
                                    {
                                        {"name", loader.text(port.name, "ports[].name")},
                                        {"device", loader.text(port.device, "ports[].device")},
                                        {"link", loader.text(port.link, "ports[].link")},
                                        {"zone", loader.number(port.zone, "ports[].zone", 0, 63)},
                                    });
                     if (port.device.empty()) loader.error(item, "ports[] needs a device");
                     if (std::find(std::begin(kPortLinkNames), std::end(kPortLinkNames),
                                   port.link) == std::end(kPortLinkNames)) {
                         std::string names;
                         for (const std::string_view name : kPortLinkNames)
                             names += (names.empty() ? "" : ", ") + std::string(name);
                         loader.error(item, "ports[].link must be one of " + names);
                     }
                     if (port.name.empty()) port.name = port.device;
                     config.ports.push_back(port);
                 }
             }},
            {"flow_table",
             [&](const YAML::Node& node) {
                 loader.mapping(
                     node, "flow_table",
                     {
                         {"capacity",
                          [&](const YAML::Node& capacity) {
                              marks.flow_capacity = capacity.Mark();
                              loader.number(config.flow_capacity, "flow_table.capacity", 16,
                                            1u << 28)(capacity);
                          }},
                         {"idle_timeout_seconds",
                          [&](const YAML::Node& timeouts) {
                              loader.mapping(
                                  timeouts, "flow_table.idle_timeout_seconds",
                                  {
                                      {"tcp",
                                       loader.number(config.tcp_idle_seconds, "tcp", 1, 86400)},
                                      {"tcp_embryonic",
                                       loader.number(config.tcp_embryonic_idle_seconds,
                                                     "tcp_embryonic", 1, 3600)},
                                      {"tcp_closing", loader.number(config.tcp_closing_idle_seconds,
                                                                    "tcp_closing", 1, 86400)},
                                      {"tcp_closed", loader.number(config.tcp_closed_linger_seconds,
                                                                   "tcp_closed", 1, 600)},
                                      {"udp",
                                       loader.number(config.udp_idle_seconds, "udp", 1, 86400)},
                                      {"other",
                                       loader.number(config.other_idle_seconds, "other", 1, 86400)},
                                  });
                          }},
                     });
             }},
            {"stream_reassembly",
             [&](const YAML::Node& node) {
                 loader.mapping(
                     node, "stream_reassembly",
                     {
                         {"depth_bytes",
                          loader.number(config.stream_depth_bytes, "stream_reassembly.depth_bytes",
                                        256, 1u << 20)},
                         {"max_flows", loader.number(config.stream_max_flows,
                                                     "stream_reassembly.max_flows", 0, 1u << 20)},
                         {"all_tcp",
                          loader.boolean(config.stream_all_tcp, "stream_reassembly.all_tcp")},
                     });
                 // Each flow takes two buffers of depth_bytes: keep the worst case sane.
                 const uint64_t worst_mib =
                     2ULL * config.stream_depth_bytes * config.stream_max_flows >> 20;
                 if (worst_mib > kMaxStreamMemoryMib)
                     loader.error(node, "stream_reassembly needs up to " +
                                            std::to_string(worst_mib) +
                                            " MiB per worker (2 x depth_bytes x max_flows), "
                                            "more than " +
                                            std::to_string(kMaxStreamMemoryMib));
             }},
            {"classifiers",
             [&](const YAML::Node& node) {
                 load_classifier_sections(loader, node, config.classifiers, marks.classifiers);
             }},
            {"rules",
             [&](const YAML::Node& node) {
                 config.rule_files.clear();
                 loader.mapping(node, "rules",
                                {{"files", loader.text_list(config.rule_files, "rules.files")},
                                 {"watch_files",
                                  loader.boolean(config.watch_rule_files, "rules.watch_files")}});
             }},
            {"flow_records",
             [&](const YAML::Node& node) {
                 // <name>_fields for each classifier that adds fields to the records.
                 std::map<std::string, YamlLoader::Handler> keys;
                 const auto registry = classifier_registry();
                 for (size_t i = 0; i < registry.size(); ++i) {
                     if (registry[i]->record_fields.empty()) continue;
                     const std::string key = std::string(registry[i]->name) + "_fields";
                     keys.emplace(key, loader.boolean(config.classifiers[i].record_fields,
                                                      "flow_records." + key));
                 }
                 loader.mapping(node, "flow_records", keys);
             }},
            {"control",
             [&](const YAML::Node& node) {
                 loader.mapping(
                     node, "control",
                     {
                         {"metrics_listen",
                          [&](const YAML::Node& listen) {
                              if (!listen.IsScalar()) {
                                  loader.error(listen, "control.metrics_listen must be a string");
                                  return;
                              }
                              const ListenAddressParse parsed =
                                  parse_listen_address(listen.Scalar());
                              if (parsed.address)
                                  config.metrics_listen = parsed.address->to_string();
                              else
                                  loader.error(listen, "control.metrics_listen " + parsed.error);
                          }},
                         {"api_token",
                          [&](const YAML::Node& token) {
                              if (!token.IsScalar()) {
                                  loader.error(token, "control.api_token must be a string");
                                  return;
                              }
                              const std::string& value = token.Scalar();
                              const bool printable =
                                  std::all_of(value.begin(), value.end(),
                                              [](unsigned char c) { return c > 0x20 && c < 0x7f; });
                              // Never echo the value: it is a secret.
                              if (value.size() < 16 || value.size() > 256 || !printable)
                                  loader.error(token,
                                               "control.api_token must be 16 to 256 "
                                               "printable characters without spaces");
                              else
                                  config.api_token = value;
                          }},
                     });
             }},
            {"export",
             [&](const YAML::Node& node) {
                 loader.mapping(node, "export", {{"ipfix", [&](const YAML::Node& ipfix) {
                                                      load_ipfix(loader, ipfix, checks, config);
                                                  }}});
             }},
        });
}

}  // namespace

bool ipfix_settings_differ(const Config& a, const Config& b) {
    return a.ipfix_collectors != b.ipfix_collectors || a.ipfix_domain_id != b.ipfix_domain_id ||
           a.ipfix_app_names != b.ipfix_app_names ||
           a.ipfix_enterprise_elements != b.ipfix_enterprise_elements ||
           a.ipfix_biflow_records != b.ipfix_biflow_records ||
           a.ipfix_template_refresh_seconds != b.ipfix_template_refresh_seconds ||
           a.ipfix_max_records_per_second != b.ipfix_max_records_per_second ||
           a.ipfix_buffer_records != b.ipfix_buffer_records;
}

Config default_config() {
    return Config{};
}

Config::Config() : classifiers(default_classifier_options()) {}

const ClassifierOptions& classifier_options(const Config& config, std::string_view name) {
    static const ClassifierOptions kNone{.enabled = false};
    const auto index = classifier_index(name);
    return index && *index < config.classifiers.size() ? config.classifiers[*index] : kNone;
}

std::string ndpi_protocols_file(const Config& config) {
    return classifier_options(config, "ndpi").text(ndpi_option::protocols_file);
}

std::string tls_keylog_file(const Config& config) {
    return classifier_options(config, "tls").text(tls_option::keylog_file);
}

namespace {}  // namespace

ConfigResult load_config(const std::string& path, const ConfigChecks& checks) {
    ConfigResult result;
    YamlLoader loader(path);
    KeyMarks marks;
    try {
        if (const auto root = parse_yaml_file(loader))
            load_document(loader, *root, checks, result.config, marks);
    } catch (const YAML::Exception& e) {
        loader.error_at(e.mark, e.msg);
    } catch (const std::exception& e) {
        loader.file_error(std::string("cannot be loaded: ") + e.what());
    }
    result.flow_capacity_origin = loader.shown_path();
    if (marks.flow_capacity.line >= 0) {
        std::string& origin = result.flow_capacity_origin;
        origin.append(":").append(std::to_string(marks.flow_capacity.line + 1));
        origin.append(":").append(std::to_string(marks.flow_capacity.column + 1));
    }
    const size_t slash = path.rfind('/');
    result.config.directory = slash == std::string::npos ? "." : path.substr(0, slash);
    finish_classifier_options(loader, result.config.directory, result.config.classifiers,
                              marks.classifiers);
    result.errors = std::move(loader.errors);
    limit_errors(result.errors);
    return result;
}

std::string flow_memory_error(const ConfigResult& loaded, unsigned workers) {
    const auto memory = physical_memory_bytes();
    if (!memory) return {};
    if (workers == 0) workers = loaded.config.workers;
    if (workers == 0) workers = automatic_workers();
    std::string error = flow_tables_memory_error(loaded.config.flow_capacity, workers, *memory);
    if (error.empty() || loaded.flow_capacity_origin.empty()) return error;
    return loaded.flow_capacity_origin + ": " + error;
}

}  // namespace ottscope
