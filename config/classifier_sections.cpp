#include "classifier_sections.h"

#include "classifiers/registry.h"
#include "file_reader.h"
#include "log_text.h"

namespace ottscope {
namespace {

constexpr uint64_t kMaxPacketBudget = 10000;
constexpr uint64_t kMaxByteBudget = uint64_t{1} << 40;

std::string where(const ClassifierDescriptor& descriptor) {
    return "classifiers." + std::string(descriptor.name);
}

YamlLoader::Handler option_handler(YamlLoader& loader, const ClassifierDescriptor& descriptor,
                                   size_t index, ClassifierOptions& options,
                                   std::vector<YAML::Mark>& marks) {
    const OptionDeclaration& option = descriptor.options[index];
    const std::string name = where(descriptor) + "." + std::string(option.key);
    switch (option.kind) {
        case OptionKind::number:
            return loader.number(options.numbers[index], name, option.low, option.high);
        case OptionKind::flag:
            return [&loader, &options, index, name](const YAML::Node& node) {
                bool value = false;
                loader.boolean(value, name)(node);
                options.numbers[index] = value ? 1 : 0;
            };
        case OptionKind::text:
        case OptionKind::path:
        case OptionKind::file:
            return [&loader, &options, &marks, index, name](const YAML::Node& node) {
                marks[index] = node.Mark();
                loader.text(options.texts[index], name)(node);
            };
    }
    return {};
}

void load_section(YamlLoader& loader, const YAML::Node& node,
                  const ClassifierDescriptor& descriptor, ClassifierOptions& options,
                  std::vector<YAML::Mark>& marks) {
    const std::string name = where(descriptor);
    std::map<std::string, YamlLoader::Handler> handlers = {
        {"enabled", loader.boolean(options.enabled, name + ".enabled")},
        {"tcp_packet_budget",
         loader.number(options.budget.tcp_packets, "tcp_packet_budget", 1, kMaxPacketBudget)},
        {"udp_packet_budget",
         loader.number(options.budget.udp_packets, "udp_packet_budget", 1, kMaxPacketBudget)},
        {"byte_budget", loader.number(options.budget.bytes, "byte_budget", 1, kMaxByteBudget)},
    };
    for (size_t i = 0; i < descriptor.options.size(); ++i)
        handlers.emplace(std::string(descriptor.options[i].key),
                         option_handler(loader, descriptor, i, options, marks));
    loader.mapping(node, name, handlers);
}

}  // namespace

void load_classifier_sections(YamlLoader& loader, const YAML::Node& node,
                              std::vector<ClassifierOptions>& options,
                              ClassifierOptionMarks& marks) {
    const auto registry = classifier_registry();
    marks.by_classifier.resize(registry.size());
    std::map<std::string, YamlLoader::Handler> sections;
    for (size_t i = 0; i < registry.size(); ++i) {
        marks.by_classifier[i].assign(registry[i]->options.size(), YAML::Mark::null_mark());
        sections.emplace(std::string(registry[i]->name), [&, i](const YAML::Node& section) {
            load_section(loader, section, *registry[i], options[i], marks.by_classifier[i]);
        });
    }
    loader.mapping(node, "classifiers", sections);
}

void finish_classifier_options(YamlLoader& loader, const std::string& directory,
                               std::vector<ClassifierOptions>& options,
                               const ClassifierOptionMarks& marks) {
    const auto registry = classifier_registry();
    for (size_t c = 0; c < registry.size() && c < options.size(); ++c) {
        const ClassifierDescriptor& descriptor = *registry[c];
        for (size_t i = 0; i < descriptor.options.size(); ++i) {
            const OptionDeclaration& option = descriptor.options[i];
            if (option.kind != OptionKind::path && option.kind != OptionKind::file) continue;
            std::string& path = options[c].texts[i];
            if (path.empty()) continue;
            if (path[0] != '/') path = directory + "/" + path;
            if (option.kind != OptionKind::file) continue;
            std::string error;
            const YAML::Mark mark =
                c < marks.by_classifier.size() && i < marks.by_classifier[c].size()
                    ? marks.by_classifier[c][i]
                    : YAML::Mark::null_mark();
            if (!is_readable_regular_file(path, option.high, error))
                loader.error_at(mark, where(descriptor) + "." + std::string(option.key) + " " +
                                          shown_value(path) + " " + error);
        }
        if (descriptor.validate != nullptr) {
            const std::string error = descriptor.validate(options[c]);
            if (!error.empty()) loader.file_error(where(descriptor) + ": " + error);
        }
    }
}

}  // namespace ottscope
