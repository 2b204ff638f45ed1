#pragma once
// The `classifiers:` section, read from the registry's declarations: one sub-section per
// registered classifier (classifiers.<name>), with the keys every classifier has (enabled,
// tcp_packet_budget, udp_packet_budget, byte_budget) and the options it declares. Nothing
// here knows any one classifier.

#include <string>
#include <vector>

#include "classifiers/descriptor.h"
#include "yaml_loader.h"

namespace ottscope {

// Where each classifier's file and path options were written, for messages after the walk.
struct ClassifierOptionMarks {
    std::vector<std::vector<YAML::Mark>> by_classifier;  // [registry index][option index]
};

void load_classifier_sections(YamlLoader& loader, const YAML::Node& node,
                              std::vector<ClassifierOptions>& options,
                              ClassifierOptionMarks& marks);

// After the walk: resolves path and file options against `directory` and checks file options
// and each descriptor's own validation, as located errors.
void finish_classifier_options(YamlLoader& loader, const std::string& directory,
                               std::vector<ClassifierOptions>& options,
                               const ClassifierOptionMarks& marks);

}  // namespace ottscope
