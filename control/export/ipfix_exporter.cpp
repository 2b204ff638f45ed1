#include "ipfix_exporter.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <iterator>
#include <thread>

namespace ottscope {
namespace {

constexpr auto kRetryInterval = std::chrono::seconds(1);
// A message under construction leaves within this time even when records trickle in.
constexpr auto kFlushInterval = std::chrono::seconds(1);
// Messages encoded ahead of the socket: records wait in the queue (as records), not as bytes.
constexpr size_t kMaxOutbox = 8;
// Bound on encode-and-send rounds per pump (kMaxOutbox messages each), so that one pump
// leaves the control loop time for its other work.
constexpr int kMaxRoundsPerPump = 64;
// Largest IPFIX message over UDP: stays under a 1500-byte MTU with IPv6 and UDP headers.
constexpr size_t kUdpMessageBytes = 1400;
constexpr size_t kTcpMessageBytes = 65000;
// How long after a UDP datagram an ICMP refusal may still be reported for it (loopback and a
// LAN answer within a millisecond; a collector across a WAN may need a longer window).
constexpr auto kUdpConfirmWindow = std::chrono::milliseconds(200);

bool is_refusal(int error) {
    return error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH;
}

}  // namespace

IpfixExporter::IpfixExporter(IpfixCollector collector, const IpfixExportSettings& settings,
                             unsigned workers, const AppCatalog& catalog,
                             const std::vector<std::string>& classifier_names,
                             std::shared_ptr<ExportStats> stats)
    : collector_(std::move(collector)),
      settings_(settings),
      stats_(stats ? std::move(stats) : std::make_shared<ExportStats>()) {
    stats_->collector = collector_.url;
    for (unsigned w = 0; w < workers; ++w) {
        IpfixEncoderOptions options;
        options.observation_domain = settings_.domain_id * 256 + w;
        options.max_message_bytes =
            collector_.transport == IpfixTransport::udp ? kUdpMessageBytes : kTcpMessageBytes;
        options.app_names = settings_.app_names;
        options.enterprise_elements = settings_.enterprise_elements;
        options.tls_elements = settings_.tls_elements;
        options.record_form = settings_.record_form;
        encoders_.push_back(std::make_unique<IpfixEncoder>(options, catalog, classifier_names));
    }
    last_tokens_ = Clock::now();
    last_flush_ = last_tokens_;
}

IpfixExporter::~IpfixExporter() {
    if (fd_ >= 0) ::close(fd_);
}

void IpfixExporter::drop(ExportDrop reason, uint64_t records) {
    if (records != 0)
        stats_->dropped[static_cast<size_t>(reason)].fetch_add(records, std::memory_order_relaxed);
}

void IpfixExporter::set_queued() {
    if (owns_gauges_) stats_->queued.store(queued_records_, std::memory_order_relaxed);
}

void IpfixExporter::set_connected(bool connected) {
    if (owns_gauges_) stats_->connected.store(connected, std::memory_order_relaxed);
}

void IpfixExporter::offer(const FlowRecord& record, unsigned worker) {
    const uint32_t records = ipfix_data_records(record, settings_.record_form);
    if (queue_.size() >= settings_.buffer_records) {
        drop(ExportDrop::buffer_full, records);
        return;
    }
    queue_.push_back(Queued{record, static_cast<uint16_t>(worker % encoders_.size())});
    queued_records_ += records;
    set_queued();
}

void IpfixExporter::connect(Clock::time_point now) {
    if (now < retry_at_) return;
    retry_at_ = now + kRetryInterval;
    addrinfo hints{};
    hints.ai_socktype = collector_.transport == IpfixTransport::udp ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(collector_.port);
    if (getaddrinfo(collector_.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr)
        return;
    const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                            found->ai_protocol);
    if (fd < 0) {
        freeaddrinfo(found);
        return;
    }
    const int result = ::connect(fd, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    if (result != 0 && errno != EINPROGRESS) {
        ::close(fd);
        return;
    }
    fd_ = fd;
    retry_at_ = now;
    connecting_ = result != 0;
    if (collector_.transport == IpfixTransport::udp) {
        // Nothing tells whether a UDP collector listens: the templates go first, alone, and
        // data follows once no refusal came back for them.
        probing_ = true;
        probe_sent_at_ = {};
        stats_->connects.fetch_add(1, std::memory_order_relaxed);
    } else if (!connecting_) {
        set_connected(true);
        stats_->connects.fetch_add(1, std::memory_order_relaxed);
    }
    templates_due_ = true;
}

void IpfixExporter::disconnect(Clock::time_point now, bool lost) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    connecting_ = false;
    set_connected(false);
    retry_at_ = now + kRetryInterval;
    // Half a message is gone with the connection; whole ones wait for the next.
    if (lost && front_offset_ > 0 && !outbox_.empty()) {
        drop(ExportDrop::connection_lost, outbox_.front().records);
        outbox_.pop_front();
    }
    front_offset_ = 0;
    templates_due_ = true;
}

void IpfixExporter::queue_templates() {
    // Open messages leave first (behind what is already waiting), then the templates go to
    // the front so that a new connection or a restarted collector learns them before data.
    scratch_.clear();
    for (auto& encoder : encoders_) encoder->flush(scratch_);
    for (IpfixMessage& message : scratch_) outbox_.push_back(std::move(message));
    scratch_.clear();
    for (auto& encoder : encoders_) encoder->announce_templates(scratch_);
    outbox_.insert(outbox_.begin(), std::make_move_iterator(scratch_.begin()),
                   std::make_move_iterator(scratch_.end()));
    scratch_.clear();
    templates_due_ = false;
}

bool IpfixExporter::send_front() {
    IpfixMessage& message = outbox_.front();
    const size_t remaining = message.bytes.size() - front_offset_;
    const ssize_t sent =
        ::send(fd_, message.bytes.data() + front_offset_, remaining, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) {
        if (static_cast<size_t>(sent) < remaining) {  // TCP took part of it
            front_offset_ += static_cast<size_t>(sent);
            return false;
        }
        if (collector_.transport == IpfixTransport::udp) {
            const auto now = Clock::now();
            if (message.records != 0) unconfirmed_.push_back(Unconfirmed{now, message.records});
            if (probing_) probe_sent_at_ = now;
        } else {
            stats_->records.fetch_add(message.records, std::memory_order_relaxed);
        }
        stats_->messages.fetch_add(1, std::memory_order_relaxed);
        stats_->bytes.fetch_add(message.bytes.size(), std::memory_order_relaxed);
        outbox_.pop_front();
        front_offset_ = 0;
        return true;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS || error == EINTR) return false;
    const auto now = Clock::now();
    if (collector_.transport == IpfixTransport::tcp) {
        disconnect(now, true);
        return false;
    }
    if (is_refusal(error)) {
        // An ICMP refusal of an earlier datagram: this one was not sent and waits.
        refused(now);
        return false;
    }
    drop(ExportDrop::send_error, message.records);
    outbox_.pop_front();
    return true;
}

void IpfixExporter::refused(Clock::time_point now) {
    // The kernel keeps one pending error per socket: it cannot tell which datagram of the
    // window was refused, so all of them count as undelivered.
    for (const Unconfirmed& datagram : unconfirmed_)
        drop(ExportDrop::collector_unreachable, datagram.records);
    unconfirmed_.clear();
    retry_at_ = now + kRetryInterval;
    templates_due_ = true;
    probing_ = true;
    probe_sent_at_ = {};
    set_connected(false);
}

void IpfixExporter::confirm(Clock::time_point now, bool all) {
    while (!unconfirmed_.empty() &&
           (all || now - unconfirmed_.front().sent_at >= kUdpConfirmWindow)) {
        stats_->records.fetch_add(unconfirmed_.front().records, std::memory_order_relaxed);
        unconfirmed_.pop_front();
    }
}

void IpfixExporter::check_refusal(Clock::time_point now) {
    if (fd_ < 0 || collector_.transport != IpfixTransport::udp) return;
    int error = 0;
    socklen_t length = sizeof(error);
    // Reading SO_ERROR also clears it: a refusal is acted on once.
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && is_refusal(error)) {
        refused(now);
        return;
    }
    confirm(now, false);
    if (probing_ && probe_sent_at_ != Clock::time_point{} &&
        now - probe_sent_at_ >= kUdpConfirmWindow) {
        probing_ = false;  // the probe was not refused: the collector is back
        set_connected(true);
    }
}

void IpfixExporter::pump(Clock::time_point now) {
    if (fd_ < 0) connect(now);
    check_refusal(now);
    if (fd_ >= 0 && connecting_) {
        pollfd entry{fd_, POLLOUT, 0};
        if (::poll(&entry, 1, 0) > 0) {
            int error = 0;
            socklen_t length = sizeof(error);
            getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error != 0) {
                disconnect(now, false);
            } else {
                connecting_ = false;
                set_connected(true);
                stats_->connects.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }
    const bool ready = fd_ >= 0 && !connecting_ && now >= retry_at_;
    if (collector_.transport == IpfixTransport::udp && settings_.template_refresh_seconds > 0 &&
        now - last_templates_ >= std::chrono::seconds(settings_.template_refresh_seconds))
        templates_due_ = true;
    if (ready && templates_due_ && front_offset_ == 0) {
        queue_templates();
        last_templates_ = now;
    }

    const double rate = settings_.max_records_per_second;
    if (rate > 0) {
        tokens_ = std::min(
            rate, tokens_ + rate * std::chrono::duration<double>(now - last_tokens_).count());
        last_tokens_ = now;
    }
    // Rounds of encoding a few messages and sending them, until the queue is empty or the
    // socket takes no more: the outbox stays small and a backlog drains at socket speed.
    for (int round = 0; round < kMaxRoundsPerPump; ++round) {
        size_t encoded = 0;
        while (outbox_.size() < kMaxOutbox && !queue_.empty() && (rate == 0 || tokens_ >= 1)) {
            const Queued& next = queue_.front();
            const uint32_t records = ipfix_data_records(next.record, settings_.record_form);
            queued_records_ -= records;
            IpfixEncoder& encoder = *encoders_[next.worker];
            try {
                encoder.add(next.record, scratch_);
            } catch (const std::exception& e) {
                // A record libfixbuf refuses is counted and reported once; the others go on.
                drop(ExportDrop::send_error, records - encoder.last_add_records());
                if (!encode_error_reported_)
                    fmt::print(stderr, "ottscope: IPFIX export to {}: {}\n", collector_.url,
                               e.what());
                encode_error_reported_ = true;
            }
            queue_.pop_front();
            ++encoded;
            if (rate > 0) tokens_ -= records;
            for (IpfixMessage& message : scratch_) outbox_.push_back(std::move(message));
            scratch_.clear();
        }
        set_queued();
        if ((queue_.empty() && finishing_) || now - last_flush_ >= kFlushInterval) {
            for (auto& encoder : encoders_) encoder->flush(scratch_);
            for (IpfixMessage& message : scratch_) outbox_.push_back(std::move(message));
            scratch_.clear();
            last_flush_ = now;
        }
        if (!ready) return;
        // While probing, only the front message (the templates) goes, then data waits for
        // the probe's window to pass without a refusal.
        if (probing_) {
            if (probe_sent_at_ == Clock::time_point{} && !outbox_.empty()) send_front();
            return;
        }
        while (!outbox_.empty() && fd_ >= 0 && send_front()) {
        }
        if (!outbox_.empty() || queue_.empty() || fd_ < 0 || encoded == 0) return;
    }
}

bool IpfixExporter::idle() const noexcept {
    if (!queue_.empty() || !outbox_.empty() || !unconfirmed_.empty()) return false;
    for (const auto& encoder : encoders_)
        if (encoder->records_open() != 0) return false;
    return true;
}

bool IpfixExporter::finish(Clock::time_point deadline) {
    finishing_ = true;
    for (auto now = Clock::now(); !idle() && now < deadline; now = Clock::now()) {
        pump(now);
        if (!idle()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const bool complete = idle();
    close_counting(ExportDrop::shutdown);
    return complete;
}

void IpfixExporter::close_counting(ExportDrop reason) {
    // Datagrams still inside their window: one last look for a refusal, then they count as
    // sent (nothing more can be known about them).
    check_refusal(Clock::now());
    confirm(Clock::now(), true);
    uint64_t left = queued_records_;
    for (const IpfixMessage& message : outbox_) left += message.records;
    for (const auto& encoder : encoders_) left += encoder->records_open();
    drop(reason, left);
    queue_.clear();
    queued_records_ = 0;
    outbox_.clear();
    scratch_.clear();
    set_queued();
    set_connected(false);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void IpfixExporter::retire() {
    finishing_ = true;
}

bool IpfixExporter::retire_step(Clock::time_point now, Clock::time_point deadline,
                                ExportDrop reason) {
    if (!idle() && now < deadline) pump(now);
    if (!idle() && now < deadline) return false;
    close_counting(reason);
    return true;
}

void IpfixExporter::hand_over_queue(IpfixExporter& successor) {
    for (Queued& queued : queue_) successor.offer(queued.record, queued.worker);
    queue_.clear();
    queued_records_ = 0;
    owns_gauges_ = false;
}

}  // namespace ottscope
