#pragma once
// One finished flow as a JSON Lines record (one object per line, DESIGN.md schema); the record
// drain formats, the JSON Lines sink writes.

#include <string>

#include "classifiers/app_catalog.h"
#include "dataplane/flow_record.h"

namespace ottscope {

// Which optional fields records carry (configuration `flow_records:`).
struct FlowRecordFields {
    bool tls = true;  // sni, alpn, ja3, ja3s, ja4, cert_subject, cert_issuer
};

std::string format_flow_record(const FlowRecord& record, const AppCatalog& catalog,
                               const std::vector<std::string>& classifier_names,
                               const std::vector<std::string>& zone_names,
                               FlowRecordFields fields = {});

}  // namespace ottscope
