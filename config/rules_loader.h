#pragma once
// Reads rule files (YAML) and compiles them into an immutable RuleSet. Every problem in every
// file is reported as FILE:LINE:COL: message; nothing is compiled unless all files are clean,
// so a broken file never takes effect.

#include <memory>
#include <string>
#include <vector>

#include "classifiers/app_catalog.h"
#include "classifiers/rule_set.h"
#include "config.h"

namespace ottscope {

struct RulesResult {
    std::unique_ptr<RuleSet> rules;  // null when there were errors
    std::vector<std::string> files;  // the files read, in precedence order
    std::vector<std::string> errors;
};

// The rule files a configuration names: its patterns expanded (relative to the
// configuration's folder), sorted by name within each pattern.
std::vector<std::string> rule_files_of(const Config& config, std::vector<std::string>& errors);

// Parses and checks every file; on success interns the apps and evidence in the catalog and
// returns the compiled set. `catalog` may be null to check syntax and references only.
RulesResult load_rules(const std::vector<std::string>& files, AppCatalog* catalog,
                       uint64_t version);

}  // namespace ottscope
