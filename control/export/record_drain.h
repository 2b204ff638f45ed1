#pragma once
// The one thread that empties the workers' flow-record rings and hands each record to the
// sinks: the JSON Lines writer (which has its own thread and a bounded backlog) and the IPFIX
// exporters (non-blocking sockets, pumped here). It does nothing else: reloads, key-log reads,
// the API and signals run elsewhere, so none of them can hold records up, and nothing it
// feeds can hold it up, so the rings keep draining and the workers never find them full
// for long.

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/flow_record.h"

struct rte_ring;

namespace ottscope {

class IpfixExportSet;
class JsonLinesSink;

struct RecordDrainOutputs {
    JsonLinesSink* jsonl = nullptr;
    std::function<std::string(const FlowRecord&)> format_jsonl;
    IpfixExportSet* ipfix = nullptr;
};

class RecordDrain {
public:
    RecordDrain(std::vector<rte_ring*> rings, RecordDrainOutputs outputs);
    ~RecordDrain();
    RecordDrain(const RecordDrain&) = delete;
    RecordDrain& operator=(const RecordDrain&) = delete;

    // Runs until `producers_done` is set and every ring is empty.
    void start(const std::atomic<bool>& producers_done);
    void join();

private:
    bool drain_once();

    std::vector<rte_ring*> rings_;
    RecordDrainOutputs outputs_;
    std::thread thread_;
};

}  // namespace ottscope
