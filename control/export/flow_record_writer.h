#pragma once
// One finished flow as a JSON Lines record (one object per line, DESIGN.md schema); the record
// drain formats, the JSON Lines sink writes.

#include <string>
#include <vector>

#include "classifiers/app_catalog.h"
#include "dataplane/flow_record.h"

namespace ottscope {

// Which classifiers' fields records carry (configuration `flow_records.<name>_fields`), by
// registry index; a classifier beyond the list has its fields on.
struct FlowRecordFields {
    std::vector<bool> by_classifier;
    [[nodiscard]] bool shown(size_t classifier) const noexcept {
        return classifier >= by_classifier.size() || by_classifier[classifier];
    }
};

std::string format_flow_record(const FlowRecord& record, const AppCatalog& catalog,
                               const std::vector<std::string>& classifier_names,
                               const std::vector<std::string>& zone_names,
                               const FlowRecordFields& fields = {});

}  // namespace ottscope
