#pragma once
// yaml-cpp resolves an alias to the node its anchor names, shared rather than copied, so a
// small file of nested aliases ("billion laughs") parses quickly into a few nodes that a walk
// visits billions of times. Every walk of ours (the loaders, their error messages) visits
// aliased nodes once per use, so the bound is on visits: counted before any conversion, with
// a walk that itself stops at the bound.

#include <yaml-cpp/yaml.h>

#include <cstddef>

namespace ottscope {

// Nodes one YAML file may hold, aliases expanded. The shipped rules have about 60 and the
// shipped configuration about 100; a rule set with the most conditions one may have
// (kMaxRuleEvidencePerSet, 16,384) takes 6 nodes per `- tls: { sni: [name] }` condition,
// about 100,000, so the bound leaves room for a few values more per condition. Walking this
// many nodes takes milliseconds.
constexpr size_t kMaxYamlNodes = 250'000;

// True when a walk of `root` that enters every alias visits at most `limit` nodes (keys,
// values and items all count).
bool within_node_budget(const YAML::Node& root, size_t limit = kMaxYamlNodes);

}  // namespace ottscope
