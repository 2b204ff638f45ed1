#include "yaml_node_budget.h"

#include <vector>

namespace ottscope {

bool within_node_budget(const YAML::Node& root, size_t limit) {
    // An explicit stack: nesting is bounded by yaml-cpp's parser, but the walk should not
    // depend on that for its stack use.
    std::vector<YAML::Node> pending{root};
    size_t visited = 1;
    while (!pending.empty()) {
        const YAML::Node node = pending.back();
        pending.pop_back();
        if (!node.IsMap() && !node.IsSequence()) continue;
        for (const auto& item : node) {
            const size_t children = node.IsMap() ? 2 : 1;
            visited += children;
            if (visited > limit) return false;
            if (node.IsMap()) {
                pending.push_back(item.first);
                pending.push_back(item.second);
            } else {
                pending.push_back(item);
            }
        }
    }
    return visited <= limit;
}

}  // namespace ottscope
