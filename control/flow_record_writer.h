#pragma once
// Writes finished flows as JSON Lines (one object per flow, DESIGN.md schema) to a file or
// to standard output. Runs on the control thread only.

#include <cstdio>
#include <string>

#include "classifiers/app_catalog.h"
#include "dataplane/flow_record.h"

namespace ottscope {

// Which optional fields records carry (configuration `flow_records:`).
struct FlowRecordFields {
    bool tls = true;  // sni, alpn, ja3, ja3s, ja4, cert_subject, cert_issuer
};

class FlowRecordWriter {
public:
    // "-" is standard output; a file is replaced. Throws std::runtime_error on failure.
    // `zone_names` names the port each zone's flows were seen on (captures: pcap0, pcap1...).
    FlowRecordWriter(const std::string& path, const AppCatalog& catalog,
                     std::vector<std::string> classifier_names, std::vector<std::string> zone_names,
                     FlowRecordFields fields = {});
    ~FlowRecordWriter();
    FlowRecordWriter(const FlowRecordWriter&) = delete;
    FlowRecordWriter& operator=(const FlowRecordWriter&) = delete;

    void write(const FlowRecord& record);
    // Flushes and closes; false (with the reason in error()) when data could not be written.
    bool close();
    [[nodiscard]] uint64_t written() const noexcept { return written_; }
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

private:
    std::string path_;
    const AppCatalog& catalog_;
    std::vector<std::string> classifier_names_;
    std::vector<std::string> zone_names_;
    FlowRecordFields fields_;
    std::FILE* file_ = nullptr;
    std::string line_;
    uint64_t written_ = 0;
    std::string error_;
};

std::string format_flow_record(const FlowRecord& record, const AppCatalog& catalog,
                               const std::vector<std::string>& classifier_names,
                               const std::vector<std::string>& zone_names,
                               FlowRecordFields fields = {});

}  // namespace ottscope
