#include "worker.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <sched.h>

#include "flow_headers.h"
#include "packet_decoder.h"

namespace ottscope {
namespace {
constexpr size_t kLinearBufferSize = 65536;
constexpr unsigned kExpiryBudgetPerBurst = 8;
// Gauges (flow entries, classifier state bytes) refreshed this often: a scrape every few
// seconds reads them, and the state-bytes walk is a virtual call per classifier.
constexpr uint64_t kHousekeepingPerSecond = 1000;
// Spin this many empty polls before yielding the core: a dedicated core never gets here
// under load, a shared one (tests, small VMs) stops burning cycles it could give away.
constexpr unsigned kIdlePollsBeforeYield = 256;
// Flow-table slots a top-flows scan looks at per loop iteration, only while one is asked for:
// a few microseconds after a burst, more when there was nothing to receive.
constexpr uint32_t kSnapshotSlotsPerBurst = 256;
constexpr uint32_t kSnapshotSlotsPerIdlePoll = 1024;

uint64_t tsc_now_us() noexcept {
    static const uint64_t hz = rte_get_tsc_hz();
    return rte_get_tsc_cycles() / (hz / 1'000'000);
}
}  // namespace

Worker::Worker(WorkerSetup setup)
    : setup_(std::move(setup)),
      counters_(*setup_.counters),
      poller_(setup_.queues, setup_.pool),
      table_("flows_w" + std::to_string(setup_.index), setup_.flow_capacity, setup_.timeouts,
             static_cast<int>(rte_socket_id())),
      top_flows_(setup_.top_flows),
      fragments_(setup_.fragment_limits, static_cast<int>(rte_socket_id())),
      classifiers_(make_worker_classifiers(setup_.classifier_settings, setup_.classifier_options,
                                           setup_.counters->classifiers)),
      slots_(setup_.flow_capacity, classifiers_.size()),
      streams_(setup_.stream, setup_.counters->stream),
      linear_(new uint8_t[kLinearBufferSize]) {
    if (setup_.dispatch) dispatcher_.emplace(std::move(*setup_.dispatch));
    const auto registry = classifier_registry();
    for (size_t i = 0; i < classifiers_.size(); ++i) {
        budgets_.push_back(i < setup_.classifier_options.size()
                               ? setup_.classifier_options[i].budget
                               : registry[i]->budget);
        reads_stream_.push_back(classifiers_[i] != nullptr &&
                                (setup_.stream.all_tcp || classifiers_[i]->wants_stream()));
    }
}

Worker::~Worker() = default;

int Worker::launch(void* worker) noexcept {
    static_cast<Worker*>(worker)->run();
    return 0;
}

uint16_t Worker::receive(rte_mbuf** mbufs, bool stopping, bool& dispatched) noexcept {
    dispatched = false;
    if (setup_.input_ring != nullptr) {
        const unsigned n = rte_ring_dequeue_burst(
            setup_.input_ring, reinterpret_cast<void**>(mbufs), kBurstSize, nullptr);
        if (n != 0) return static_cast<uint16_t>(n);
    }
    // Once told to stop, a worker takes no new packets from its queues but still empties
    // its ring: those packets were received already and must be counted.
    if (dispatcher_) {
        const uint16_t own = dispatcher_->poll(mbufs, stopping, counters_, dispatched);
        if (own != 0) return own;
    }
    if (!poller_.empty() && !stopping) return poller_.receive(mbufs, kBurstSize);
    return 0;
}

// After a stop the fan-out may still be placing its last burst in the ring: those packets
// were received and must be counted, so a worker leaves only once the fan-out is done and
// the ring is empty.
bool Worker::fanout_finished() const noexcept {
    return setup_.input_ring == nullptr || (setup_.input_done->load(std::memory_order_acquire) &&
                                            rte_ring_empty(setup_.input_ring));
}

// The receiver worker leaves only once it has placed (or, stopping, discarded) every packet
// it read for others; until then the others wait for its `done` and keep their rings open.
bool Worker::dispatch_finished() const noexcept {
    return !dispatcher_ || dispatcher_->finished();
}

bool Worker::input_exhausted() const noexcept {
    const bool ring_done =
        setup_.input_ring == nullptr ||
        (setup_.input_done->load(std::memory_order_acquire) && rte_ring_empty(setup_.input_ring));
    const bool queues_done = poller_.empty() || poller_.finished();
    return ring_done && queues_done && dispatch_finished();
}

// Between bursts: reports a quiescent state, then takes the current generation, handing it to
// the classifiers only when it changed (one pointer compare per loop otherwise).
void Worker::take_generation() noexcept {
    if (setup_.generations == nullptr) return;
    setup_.generations->quiescent(setup_.index);
    const Generation* generation = setup_.generations->current();
    if (generation != adopted_) [[unlikely]] {
        adopted_ = generation;
        if (generation != nullptr)
            for (const auto& classifier : classifiers_)
                if (classifier) classifier->adopt(*generation, setup_.index);
    }
    rules_ = generation != nullptr ? generation->rules.get() : nullptr;
}

// What does not need to follow every burst: the gauges the control side reads.
void Worker::housekeeping() noexcept {
    counters_.flow_entries.set(table_.size());
    update_state_bytes();
}

// One loop shape, as DPDK's l3fwd: take the generation, read the stop flag once, receive a
// burst, process it; housekeeping when its TSC interval has passed, not per burst.
void Worker::run() noexcept {
    std::array<rte_mbuf*, kBurstSize> mbufs{};
    unsigned idle_polls = 0;
    const uint64_t housekeeping_cycles = rte_get_tsc_hz() / kHousekeepingPerSecond;
    uint64_t next_housekeeping = 0;
    if (setup_.generations != nullptr) setup_.generations->worker_online(setup_.index);
    for (;;) {
        // Also reached while the receiver worker waits for room in a ring (it never waits
        // inside a burst), so a publication is not held up by a busy receiver.
        take_generation();
        const bool stopping = setup_.stop->load(std::memory_order_relaxed);
        const uint64_t start = rte_get_tsc_cycles();
        if (start >= next_housekeeping) [[unlikely]] {
            housekeeping();
            next_housekeeping = start + housekeeping_cycles;
        }
        bool dispatched = false;
        const uint16_t received = receive(mbufs.data(), stopping, dispatched);
        // A burst the receiver worker only placed in other rings is work all the same.
        if (received != 0 || dispatched) [[likely]] {
            idle_polls = 0;
            const uint64_t now_us = tsc_now_us();
            process_burst(mbufs.data(), received, now_us);
            rte_pktmbuf_free_bulk(mbufs.data(), received);  // skips fragments kept (nullptr)
            // Fragments first: a first fragment given up on (2 s) still joins its flow, which
            // may be about to time out itself (a closed TCP flow lingers 10 s).
            fragments_.expire(latest_now_us(), counters_);
            inspect_salvaged();
            expire(kExpiryBudgetPerBurst);
            top_flows_.step(table_, kSnapshotSlotsPerBurst);
            const uint64_t spent = rte_get_tsc_cycles() - start;
            counters_.busy_cycles.add(spent);
            counters_.total_cycles.add(spent);
            continue;
        }
        if (input_exhausted() || (stopping && fanout_finished() && dispatch_finished()))
            [[unlikely]]
            break;
        expire(kExpiryBudgetPerBurst);
        top_flows_.step(table_, kSnapshotSlotsPerIdlePoll);
        if (++idle_polls > kIdlePollsBeforeYield) {
            sched_yield();
        } else {
            rte_pause();
        }
        counters_.total_cycles.add(rte_get_tsc_cycles() - start);
    }
    fragments_.flush(counters_);  // first fragments of incomplete datagrams join their flows
    inspect_salvaged();
    for (uint32_t slot = table_.any(); slot != kNoSlot; slot = table_.any())
        end_flow(slot, FlowEnd::shutdown);
    counters_.flow_entries.set(0);
    update_state_bytes();
    rules_ = nullptr;
    if (setup_.generations != nullptr) setup_.generations->worker_offline(setup_.index);
    top_flows_.close();
    finished_.store(true, std::memory_order_release);
}

void Worker::update_state_bytes() noexcept {
    size_t bytes = 0;
    for (const auto& classifier : classifiers_)
        if (classifier) bytes += classifier->state_bytes_in_use();
    counters_.classifier_state_bytes.set(bytes);
}

void Worker::inspect_salvaged() noexcept {
    for (rte_mbuf* first = fragments_.take_salvaged(); first != nullptr;
         first = fragments_.take_salvaged()) {
        process(first, tsc_now_us(), /*salvaged=*/true);
        rte_pktmbuf_free(first);
    }
}

const uint8_t* Worker::frame_of(const rte_mbuf* mbuf, uint32_t& frame_length) noexcept {
    frame_length = rte_pktmbuf_data_len(mbuf);
    if (mbuf->nb_segs == 1) [[likely]]
        return rte_pktmbuf_mtod(mbuf, const uint8_t*);
    frame_length = std::min<uint32_t>(rte_pktmbuf_pkt_len(mbuf), kLinearBufferSize);
    return static_cast<const uint8_t*>(rte_pktmbuf_read(mbuf, 0, frame_length, linear_.get()));
}

void Worker::process_burst(rte_mbuf** mbufs, uint16_t count, uint64_t now_us) noexcept {
    if (!setup_.burst_lookup) {
        for (uint16_t i = 0; i < count; ++i) {
            if (i + 1 < count) rte_prefetch0(rte_pktmbuf_mtod(mbufs[i + 1], void*));
            process(mbufs[i], now_us);
        }
        return;
    }
    // First pass: decode and key every packet, then look all their flows up at once.
    std::array<const FlowKey*, kBurstSize> keys{};
    std::array<uint32_t, kBurstSize> hashes{};
    std::array<uint32_t, kBurstSize> slots{};
    std::array<uint8_t, kBurstSize> owners{};
    unsigned keyed = 0;
    for (uint16_t i = 0; i < count; ++i) {
        if (i + 1 < count) rte_prefetch0(rte_pktmbuf_mtod(mbufs[i + 1], void*));
        PreparedPacket& prepared = prepared_[i];
        prepared.decoded_here = false;
        prepared.keyed = false;
        // A chained mbuf is decoded from the one linear buffer, which the next chained
        // mbuf would overwrite: such packets are decoded when their turn comes.
        if (mbufs[i]->nb_segs != 1) [[unlikely]]
            continue;
        const PortView& port = setup_.ports[mbufs[i]->port < kMaxPorts ? mbufs[i]->port : 0];
        prepared.decoded = decode_packet(
            port.link, {rte_pktmbuf_mtod(mbufs[i], const uint8_t*), rte_pktmbuf_data_len(mbufs[i])},
            prepared.packet, FragmentPolicy::reassemble);
        prepared.decoded_here = true;
        if (prepared.decoded.status != DecodeStatus::ok) continue;
        const DecodedPacket& packet = prepared.packet;
        prepared.source_is_lower = make_flow_key(
            packet.source, packet.destination, packet.ip_protocol, packet.ip_version, packet.vlan,
            port.zone, prepared.key, tunnel_discriminator(packet.tunnel));
        prepared.hash = FlowTable::hash_key(prepared.key);
        prepared.keyed = true;
        keys[keyed] = &prepared.key;
        hashes[keyed] = prepared.hash;
        owners[keyed] = static_cast<uint8_t>(i);
        ++keyed;
    }
    table_.find_bulk(keys.data(), hashes.data(), keyed, slots.data());
    for (unsigned k = 0; k < keyed; ++k) prepared_[owners[k]].slot = slots[k];
    prepared_changes_ = table_.changes();
    for (uint16_t i = 0; i < count; ++i) process(mbufs[i], now_us, false, &prepared_[i]);
}

void Worker::process(rte_mbuf*& mbuf, uint64_t tsc_now_us_value, bool salvaged,
                     PreparedPacket* prepared) noexcept {
    if (!salvaged) counters_.packets.add();  // a salvaged fragment was counted on arrival
    const PortView& port = setup_.ports[mbuf->port < kMaxPorts ? mbuf->port : 0];
    uint64_t now_us = tsc_now_us_value;
    if (setup_.timestamp_offset >= 0 && (mbuf->ol_flags & setup_.timestamp_flag) != 0)
        now_us = *RTE_MBUF_DYNFIELD(mbuf, setup_.timestamp_offset, rte_mbuf_timestamp_t*);
    uint32_t frame_length = 0;
    const uint8_t* frame = nullptr;

    const bool predecoded = prepared != nullptr && prepared->decoded_here;
    DecodedPacket& packet = predecoded ? prepared->packet : unprepared_packet_;
    DecodeResult decoded;
    if (predecoded) {
        frame = rte_pktmbuf_mtod(mbuf, const uint8_t*);
        decoded = prepared->decoded;
    } else {
        frame = frame_of(mbuf, frame_length);
        decoded =
            decode_packet(port.link, {frame, frame_length}, packet,
                          salvaged ? FragmentPolicy::first_alone : FragmentPolicy::reassemble);
    }
    // --- IP reassembly (decoder area): a fragment either waits in the table, is dropped
    // under a fragment_* reason, or completes a datagram that stands for `represented`
    // received packets from here on.
    uint32_t represented = 1;
    // Fragments inside a tunnel take the same way: the outer headers in front of the inner
    // IP header play the part of link headers, and the fan-out or RSS already brought every
    // fragment of the tunnel's traffic to this worker.
    if ((decoded.status == DecodeStatus::ip_fragment ||
         decoded.status == DecodeStatus::tunnel_fragment) &&
        !salvaged) [[unlikely]] {
        const auto l2_length = static_cast<uint32_t>(packet.l3 - frame);
        mbuf = fragments_.add(mbuf, packet, l2_length, now_us, represented, counters_);
        if (mbuf == nullptr) return;
        frame = frame_of(mbuf, frame_length);
        decoded =
            decode_packet(port.link, {frame, frame_length}, packet, FragmentPolicy::reassembled);
        if (decoded.status == DecodeStatus::ip_fragment ||
            decoded.status == DecodeStatus::tunnel_fragment)  // reassembled, still a fragment
            decoded = DecodeResult::failed(DecodeError::bad_ip_fragment);
    }
    const uint32_t length = rte_pktmbuf_pkt_len(mbuf);
    switch (decoded.status) {
        case DecodeStatus::ok:
            break;
        case DecodeStatus::not_ip:
            counters_.drops[index_of(DropReason::not_ip)].add(represented);
            return;
        case DecodeStatus::ip_fragment:
            counters_.drops[index_of(DropReason::ip_fragment)].add(represented);
            return;
        case DecodeStatus::tunnel_fragment:
            counters_.drops[index_of(DropReason::tunnel_fragment)].add(represented);
            return;
        case DecodeStatus::error:
            counters_.drops[index_of(DropReason::decode_error)].add(represented);
            counters_.decode_errors[index_of(decoded.error)].add(represented);
            return;
    }
    // --- end of IP reassembly

    // The burst's first pass keyed whole packets; a reassembled datagram is keyed here.
    const bool prekeyed = prepared != nullptr && prepared->keyed && represented == 1;
    FlowKey local_key;
    const FlowKey& key = prekeyed ? prepared->key : local_key;
    bool source_is_lower = false;
    uint32_t hash = 0;
    uint32_t slot = kNoSlot;
    if (prekeyed) {
        source_is_lower = prepared->source_is_lower;
        hash = prepared->hash;
        slot = prepared->slot;
        // An earlier packet of the burst added or ended flows: a slot found may have been
        // freed (or reused), and a flow not found may have been created since.
        if (table_.changes() != prepared_changes_ &&
            (slot == kNoSlot || !table_.in_use(slot) || !(table_[slot].summary.key == key)))
            slot = table_.find(key, hash);
    } else {
        source_is_lower =
            make_flow_key(packet.source, packet.destination, packet.ip_protocol, packet.ip_version,
                          packet.vlan, port.zone, local_key, tunnel_discriminator(packet.tunnel));
        hash = FlowTable::hash_key(key);
        slot = table_.find(key, hash);
    }
    uint64_t& zone_now = zone_now_us_[port.zone % kMaxPorts];
    if (now_us > zone_now) {
        zone_now = now_us;
        latest_now_us_ = std::max(latest_now_us_, now_us);
    }

    if (slot != kNoSlot && starts_new_connection(table_[slot].tcp_state, packet.tcp_flags))
        [[unlikely]] {
        end_flow(slot, FlowEnd::idle_timeout);  // its TCP state names the real reason
        slot = kNoSlot;
    }
    if (slot == kNoSlot) {
        if (table_.full()) end_flow(table_.victim(), FlowEnd::table_full);
        slot = table_.insert(key, hash, now_us);
        Flow& created = table_[slot];
        // The first packet's sender is taken for the client, unless that packet is the
        // server's SYN-ACK (the SYN was missed, or came before the capture began).
        constexpr uint8_t kSynAck = tcp_flag::syn | tcp_flag::ack;
        const bool server_reply =
            packet.ip_protocol == ip_protocol::tcp && (packet.tcp_flags & kSynAck) == kSynAck;
        created.summary.client_is_lower = server_reply ? !source_is_lower : source_is_lower;
        start_classifiers(slot, created);
        counters_.flows_created.add();
    }
    Flow& flow = table_[slot];
    const uint8_t direction = source_is_lower == flow.summary.client_is_lower ? 0 : 1;
    if (flow.tcp_state != TcpState::none) {
        flow.tcp_state = next_tcp_state(flow.tcp_state, flow.tcp_seen, packet.tcp_flags, direction,
                                        packet.payload_length != 0);
        table_.touch(slot, now_us, timeout_class_of(flow.tcp_state));
    } else {
        table_.touch(slot, now_us);
    }
    flow.summary.packets[direction] += represented;
    flow.summary.bytes[direction] += length;
    flow.tunnel.note(packet.tunnel, direction);

    // A flow is credited to its app once decided, with every packet seen until then;
    // after that, packet by packet.
    const bool was_credited = flow.credited;
    if (flow.classifiers_pending != 0) classify(slot, flow, packet, direction, now_us);
    if (was_credited) {
        AppCounters& app = counters_.apps[flow.summary.verdict.app];
        app.packets[direction].add(represented);
        app.bytes[direction].add(length);
    }
}

void Worker::start_classifiers(uint32_t slot, Flow& flow) noexcept {
    void** states = slots_.states(slot);
    uint8_t* pending = slots_.pending(slot);
    for (size_t i = 0; i < classifiers_.size(); ++i) {
        states[i] = nullptr;
        pending[i] = classifiers_[i] != nullptr ? 1 : 0;
        flow.classifiers_pending += pending[i];
        flow.stream_readers_pending += reads_stream_[i];
    }
}

void Worker::classify(uint32_t slot, Flow& flow, const DecodedPacket& packet, uint8_t direction,
                      uint64_t now_us) noexcept {
    PacketView view;
    view.l3 = packet.l3;
    view.l3_length = packet.l3_length;
    view.payload = {packet.payload, packet.payload_length};
    view.direction = static_cast<Direction>(direction);
    view.ip_protocol = packet.ip_protocol;
    view.tcp_flags = packet.tcp_flags;
    view.tcp_seq = packet.tcp_seq;
    view.timestamp_ms = now_us / 1000;
    view.flow_packets = static_cast<uint32_t>(flow.summary.total_packets());
    const Endpoint& server = direction == 0 ? packet.destination : packet.source;
    view.server_address = server.address.data();
    view.server_port = server.port;
    view.rules = rules_;
    // Stream reassembly: only while a classifier that reads the stream is still undecided.
    const bool streaming = flow.stream_readers_pending != 0;
    if (streaming && packet.ip_protocol == ip_protocol::tcp) {
        const StreamDelivery stream =
            streams_.feed(flow.stream, direction, packet.tcp_seq, packet.tcp_flags, view.payload);
        view.stream = stream.stream;
        view.stream_new_offset = stream.new_offset;
        view.stream_flags = stream.flags;
    } else {
        view.stream_flags = stream_flag::unavailable;
    }
    const uint64_t flow_bytes = flow.summary.total_bytes();
    void** states = slots_.states(slot);
    uint8_t* pending = slots_.pending(slot);
    bool stream_wanted = false;
    for (size_t i = 0; i < classifiers_.size(); ++i) {
        if (pending[i] == 0) continue;
        const PacketBudget& budget = budgets_[i];
        view.last_offer =
            view.flow_packets > budget.packets_for(packet.ip_protocol) || flow_bytes > budget.bytes;
        Progress progress = classifiers_[i]->inspect(states[i], view, flow.summary.verdict);
        if (progress != Progress::done && view.last_offer) {
            conclude_classifier(i, states[i], flow);
            progress = Progress::done;
        }
        if (progress == Progress::done) {
            pending[i] = 0;
            --flow.classifiers_pending;
            flow.stream_readers_pending -= reads_stream_[i];
        } else if (progress == Progress::need_more && reads_stream_[i] != 0) {
            stream_wanted = true;
        }
    }
    // No classifier still reads the stream (decided, or reading packets only): free it.
    if (streaming && !stream_wanted) streams_.release(flow.stream);
    if (flow.classifiers_pending == 0) credit(flow);
}

void Worker::credit(Flow& flow) noexcept {
    FlowSummary& summary = flow.summary;
    if (summary.verdict.app >= kMaxApps) summary.verdict.app = 0;
    AppCounters& app = counters_.apps[summary.verdict.app];
    for (int d = 0; d < 2; ++d) {
        app.packets[d].add(summary.packets[d]);
        app.bytes[d].add(summary.bytes[d]);
    }
    app.flows.add();
    app.active_flows.add();
    counters_.verdict(summary.verdict.app, summary.verdict.classifier, summary.verdict.confidence)
        .add();
    flow.credited = true;
}

void Worker::end_flow(uint32_t slot, FlowEnd why) noexcept {
    Flow& flow = table_[slot];
    if (flow.classifiers_pending != 0) conclude_classifiers(slot, flow);
    streams_.release(flow.stream);
    if (!flow.credited) credit(flow);
    counters_.apps[flow.summary.verdict.app].active_flows.sub();
    if (flow.tcp_state == TcpState::closed) why = FlowEnd::tcp_fin;
    if (flow.tcp_state == TcpState::reset) why = FlowEnd::tcp_rst;
    counters_.evictions[index_of(why)].add();
    // Every classifier hands over (and frees) what it kept for the record, ring or not.
    annotations_ = FlowAnnotations{};
    void** states = slots_.states(slot);
    for (size_t i = 0; i < classifiers_.size(); ++i)
        if (classifiers_[i]) classifiers_[i]->annotate(states[i], annotations_);
    if (setup_.record_ring != nullptr) emit_record(flow, why);
    table_.remove(slot);
}

// What a classifier that settles without a packet sees: the flow's server end, the rules and
// the flow's rebuilt client headers in `l3` (see conclude()).
PacketView Worker::conclude_context(const Flow& flow) noexcept {
    const FlowSummary& summary = flow.summary;
    PacketView context;
    context.ip_protocol = summary.key.ip_protocol;
    context.server_address = summary.client_is_lower ? summary.key.upper_address.data()
                                                     : summary.key.lower_address.data();
    context.server_port = summary.client_is_lower ? summary.key.upper_port : summary.key.lower_port;
    context.rules = rules_;
    context.l3 = conclude_headers_.data();
    context.l3_length = static_cast<uint16_t>(
        rebuild_client_headers(summary.key, summary.client_is_lower, conclude_headers_));
    context.timestamp_ms = summary.last_seen_us / 1000;
    return context;
}

// The flow went over a classifier's budget before the classifier said done: it settles on
// what it saw.
void Worker::conclude_classifier(size_t index, void*& state, Flow& flow) noexcept {
    classifiers_[index]->conclude(state, conclude_context(flow), flow.summary.verdict);
}

void Worker::conclude_classifiers(uint32_t slot, Flow& flow) noexcept {
    // The flow ends with classifiers still pending: one context (headers rebuilt once) for all.
    const PacketView context = conclude_context(flow);
    void** states = slots_.states(slot);
    uint8_t* pending = slots_.pending(slot);
    for (size_t i = 0; i < classifiers_.size(); ++i) {
        if (pending[i] != 0) classifiers_[i]->conclude(states[i], context, flow.summary.verdict);
        pending[i] = 0;
    }
    flow.classifiers_pending = 0;
    flow.stream_readers_pending = 0;
}

void Worker::expire(unsigned budget) noexcept {
    for (unsigned i = 0; i < budget; ++i) {
        const uint32_t slot = table_.expired(zone_now_us_.data());
        if (slot == kNoSlot) return;
        end_flow(slot, FlowEnd::idle_timeout);
    }
}

void Worker::emit_record(const Flow& flow, FlowEnd why) noexcept {
    FlowRecord record;
    record.summary = flow.summary;
    record.tunnel = flow.tunnel;
    record.end = why;
    record.annotations = annotations_;
    // The worker never waits for whoever drains the ring: a full ring costs the record, counted.
    if (rte_ring_enqueue_elem(setup_.record_ring, &record, sizeof(record)) != 0) [[unlikely]]
        counters_.records_dropped.add();
}

}  // namespace ottscope
