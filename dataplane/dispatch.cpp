#include "dispatch.h"

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "flow_table.h"
#include "packet_decoder.h"

namespace ottscope {

RedirectionTable::RedirectionTable(std::span<const double> shares) : workers_(shares.size()) {
    if (shares.empty() || shares.size() > kRedirectionBuckets)
        throw std::invalid_argument("the redirection table has " +
                                    std::to_string(kRedirectionBuckets) + " buckets for " +
                                    std::to_string(shares.size()) + " workers");
    for (const double share : shares)
        if (!(share > 0) || !std::isfinite(share))
            throw std::invalid_argument("a worker's share must be above 0");
    const double total = std::accumulate(shares.begin(), shares.end(), 0.0);
    // Largest remainder: the counts add up to the table and are as close to the shares as
    // whole buckets allow; every worker keeps at least one bucket.
    std::vector<size_t> counts(workers_);
    std::vector<double> remainders(workers_);
    size_t given = 0;
    for (size_t w = 0; w < workers_; ++w) {
        const double exact = kRedirectionBuckets * shares[w] / total;
        counts[w] = std::max<size_t>(1, static_cast<size_t>(exact));
        remainders[w] = exact - std::floor(exact);
        given += counts[w];
    }
    while (given < kRedirectionBuckets) {
        const size_t w = static_cast<size_t>(
            std::max_element(remainders.begin(), remainders.end()) - remainders.begin());
        ++counts[w];
        remainders[w] = -1;
        ++given;
    }
    while (given > kRedirectionBuckets) {  // only from the at-least-one rule
        --*std::max_element(counts.begin(), counts.end());
        --given;
    }
    // Smooth weighted round-robin: each worker's buckets are spread over the whole table
    // rather than lying in one block, so a hash that favours a range does not favour a worker.
    std::vector<long> credit(workers_, 0);
    for (uint16_t& bucket : buckets_) {
        for (size_t w = 0; w < workers_; ++w) credit[w] += static_cast<long>(counts[w]);
        const size_t w =
            static_cast<size_t>(std::max_element(credit.begin(), credit.end()) - credit.begin());
        credit[w] -= static_cast<long>(kRedirectionBuckets);
        bucket = static_cast<uint16_t>(w);
    }
}

size_t RedirectionTable::buckets_of(uint16_t worker) const noexcept {
    return static_cast<size_t>(std::count(buckets_.begin(), buckets_.end(), worker));
}

std::vector<double> worker_shares(size_t workers, uint16_t receiver, double receiver_share) {
    std::vector<double> shares(workers, 1.0);
    if (receiver < workers) shares[receiver] = receiver_share;
    return shares;
}

uint32_t dispatch_hash(const rte_mbuf* mbuf, const PortView& port) noexcept {
    DecodedPacket packet;
    const auto* frame = rte_pktmbuf_mtod(mbuf, const uint8_t*);
    const DecodeResult decoded =
        decode_packet(port.link, {frame, rte_pktmbuf_data_len(mbuf)}, packet);
    if (decoded.status != DecodeStatus::ok && decoded.status != DecodeStatus::ip_fragment &&
        decoded.status != DecodeStatus::tunnel_fragment)
        return mbuf->port;
    // Fragments carry no ports (and IPv6 ones may not say the final protocol), so workers
    // are picked by addresses alone: all fragments of a datagram and the rest of its flow
    // meet in one worker, where the datagram is reassembled.
    packet.source.port = 0;
    packet.destination.port = 0;
    FlowKey key;
    make_flow_key(packet.source, packet.destination, 0, packet.ip_version, packet.vlan, port.zone,
                  key, tunnel_discriminator(packet.tunnel));
    return FlowTable::hash_key(key);
}

Dispatcher::Dispatcher(DispatchSetup setup)
    : setup_(std::move(setup)), poller_(setup_.queues, setup_.pool), batches_(setup_.rings.size()) {
    if (setup_.table.workers() != setup_.rings.size())
        throw std::invalid_argument("the redirection table and the worker rings disagree");
    for (size_t w = 0; w < setup_.rings.size(); ++w)
        if ((setup_.rings[w] == nullptr) != (w == setup_.self))
            throw std::invalid_argument("every worker but the receiving one needs a ring");
}

uint16_t Dispatcher::worker_of(const rte_mbuf* mbuf) const noexcept {
    const PortView& port = setup_.ports[mbuf->port < kMaxPorts ? mbuf->port : 0];
    return setup_.table.worker_of(dispatch_hash(mbuf, port));
}

bool Dispatcher::flush() noexcept {
    bool moved = false;
    for (size_t w = 0; w < batches_.size(); ++w) {
        Batch& batch = batches_[w];
        if (batch.sent == batch.count) continue;
        const unsigned sent = rte_ring_enqueue_burst(
            setup_.rings[w], reinterpret_cast<void**>(batch.mbufs.data() + batch.sent),
            batch.count - batch.sent, nullptr);
        if (sent == 0) continue;
        moved = true;
        held_ -= sent;
        batch.sent = static_cast<uint16_t>(batch.sent + sent);
        if (batch.sent == batch.count) batch.sent = batch.count = 0;
    }
    return moved;
}

void Dispatcher::discard(WorkerCounters& counters) noexcept {
    for (Batch& batch : batches_) {
        const unsigned left = batch.count - batch.sent;
        if (left == 0) continue;
        // Received (the port counted them), so they are counted here: nobody else will.
        counters.drops[index_of(DropReason::shutdown)].add(left);
        counters.packets.add(left);
        rte_pktmbuf_free_bulk(batch.mbufs.data() + batch.sent, left);
        batch.sent = batch.count = 0;
    }
    held_ = 0;
}

void Dispatcher::finish() noexcept {
    finished_ = true;
    // Orders every enqueue before it: a worker that sees `done` and an empty ring is through.
    setup_.done->store(true, std::memory_order_release);
}

uint16_t Dispatcher::poll(rte_mbuf** own, bool stopping, WorkerCounters& counters,
                          bool& moved) noexcept {
    moved = false;
    if (finished_) [[unlikely]]
        return 0;
    if (held_ != 0) {
        moved = flush();
        if (held_ != 0) {
            // Stopping: the packets were received and are counted, but not waited for.
            if (stopping) {
                discard(counters);
                finish();
            }
            return 0;
        }
    }
    if (stopping) [[unlikely]] {
        finish();
        return 0;
    }
    const uint16_t received = poller_.receive(own, kBurstSize);
    if (received == 0) {
        if (poller_.finished()) finish();
        return 0;
    }
    moved = true;
    uint16_t kept = 0;
    for (uint16_t i = 0; i < received; ++i) {
        rte_mbuf* mbuf = own[i];
        if (i + 1 < received) rte_prefetch0(rte_pktmbuf_mtod(own[i + 1], void*));
        const uint16_t w = worker_of(mbuf);
        if (w == setup_.self) {
            own[kept++] = mbuf;
        } else {
            Batch& batch = batches_[w];
            batch.mbufs[batch.count++] = mbuf;
            ++held_;
        }
    }
    if (held_ != 0) flush();
    return kept;
}

}  // namespace ottscope
