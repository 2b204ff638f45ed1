#include "config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <string_view>

namespace ottscope {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

class Loader {
public:
    explicit Loader(std::string path) : path_(std::move(path)) {}

    void error(const YAML::Node& node, const std::string& message) {
        const YAML::Mark mark = node.Mark();
        errors.push_back(path_ + ":" + std::to_string(mark.line + 1) + ":" +
                         std::to_string(mark.column + 1) + ": " + message);
    }

    // Visits the keys of a mapping; unknown keys are errors with a suggestion.
    using Handler = std::function<void(const YAML::Node&)>;
    void mapping(const YAML::Node& node, const std::string& where,
                 const std::map<std::string, Handler>& handlers) {
        if (!node.IsMap()) {
            error(node, where + " must be a mapping");
            return;
        }
        for (const auto& item : node) {
            const auto key = item.first.as<std::string>();
            const auto handler = handlers.find(key);
            if (handler != handlers.end()) {
                handler->second(item.second);
                continue;
            }
            std::string best;
            size_t best_distance = 3;
            for (const auto& [name, unused] : handlers) {
                const size_t d = edit_distance(key, name);
                if (d < best_distance) {
                    best_distance = d;
                    best = name;
                }
            }
            error(item.first, "unknown key '" + key + "' in " + where +
                                  (best.empty() ? "" : " (did you mean '" + best + "'?)"));
        }
    }

    template <typename T>
    Handler number(T& target, const std::string& name, uint64_t low, uint64_t high) {
        return [this, &target, name, low, high](const YAML::Node& node) {
            uint64_t value = 0;
            try {
                if (!node.IsScalar()) throw YAML::BadConversion(node.Mark());
                const std::string& text = node.Scalar();
                if (text.empty() || text[0] == '-') throw YAML::BadConversion(node.Mark());
                value = node.as<uint64_t>();
            } catch (const YAML::Exception&) {
                error(node, name + " must be a whole number from " + std::to_string(low) + " to " +
                                std::to_string(high));
                return;
            }
            if (value < low || value > high) {
                error(node, name + " is " + std::to_string(value) + ", must be from " +
                                std::to_string(low) + " to " + std::to_string(high));
                return;
            }
            target = static_cast<T>(value);
        };
    }

    Handler text(std::string& target, const std::string& name) {
        return [this, &target, name](const YAML::Node& node) {
            if (!node.IsScalar()) {
                error(node, name + " must be a string");
                return;
            }
            target = node.Scalar();
        };
    }

    Handler boolean(bool& target, const std::string& name) {
        return [this, &target, name](const YAML::Node& node) {
            try {
                target = node.as<bool>();
            } catch (const YAML::Exception&) {
                error(node, name + " must be true or false");
            }
        };
    }

    std::vector<std::string> errors;

private:
    std::string path_;
};

void load_document(Loader& loader, const YAML::Node& root, Config& config) {
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
                              for (const auto& arg : list)
                                  config.eal_args.push_back(arg.as<std::string>());
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
                     if (port.link != "ethernet" && port.link != "raw-ip")
                         loader.error(item, "ports[].link must be ethernet or raw-ip");
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
                          loader.number(config.flow_capacity, "flow_table.capacity", 16, 1u << 28)},
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
            {"classifiers",
             [&](const YAML::Node& node) {
                 loader.mapping(node, "classifiers",
                                {
                                    {"ndpi",
                                     [&](const YAML::Node& ndpi) {
                                         loader.mapping(
                                             ndpi, "classifiers.ndpi",
                                             {
                                                 {"tcp_packet_budget",
                                                  loader.number(config.ndpi_tcp_packet_budget,
                                                                "tcp_packet_budget", 1, 10000)},
                                                 {"udp_packet_budget",
                                                  loader.number(config.ndpi_udp_packet_budget,
                                                                "udp_packet_budget", 1, 10000)},
                                             });
                                     }},
                                });
             }},
            {"control",
             [&](const YAML::Node& node) {
                 loader.mapping(node, "control",
                                {
                                    {"metrics_listen",
                                     loader.text(config.metrics_listen, "control.metrics_listen")},
                                });
             }},
        });
}

}  // namespace

Config default_config() {
    return Config{};
}

ConfigResult load_config(const std::string& path) {
    ConfigResult result;
    std::ifstream file(path);
    if (!file) {
        result.errors.push_back(path + ":1:1: cannot open the configuration file");
        return result;
    }
    Loader loader(path);
    try {
        const YAML::Node root = YAML::Load(file);
        load_document(loader, root, result.config);
    } catch (const YAML::Exception& e) {
        loader.errors.push_back(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    result.errors = std::move(loader.errors);
    return result;
}

}  // namespace ottscope
