// The startup plan's arithmetic, figure by figure: the packet-buffer pool, DPDK's memory, the
// EAL's lcores and devices, the memory check, and who polls which queue. The figures are
// those the appliance has started with so far; a change here is a change of every run's sizes.
// They rest on sizeof(Flow) == 232 and sizeof(FlowRecord) == 712, checked first.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "control/run_command.h"
#include "control/startup/plan.h"
#include "dataplane/flow_record.h"
#include "dataplane/flow_table.h"
#include "dataplane/link_type.h"

namespace ottscope {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

// The message of the StartupError `f` throws, or "" when it throws none.
template <typename F>
std::string startup_error_of(F&& f) {
    try {
        f();
    } catch (const StartupError& e) {
        return e.what();
    }
    return {};
}

StartupFacts pcap_facts(unsigned workers) {
    StartupFacts facts;
    facts.workers = workers;
    facts.devices = {"net_pcap0,rx_pcap=/tmp/a.pcap"};
    return facts;
}

TEST(StartupPlan, FiguresRestOnTheseRecordSizes) {
    EXPECT_EQ(sizeof(Flow), 200u);
    EXPECT_EQ(sizeof(FlowRecord), 800u);
}

TEST(StartupPlan, OneWorkerReadingACapture) {
    const StartupPlan plan = plan_startup(default_config(), RunOptions{}, pcap_facts(1));
    EXPECT_EQ(plan.workers, 1u);
    EXPECT_EQ(plan.fanout_mode, FanoutMode::receiver);
    EXPECT_EQ(plan.eal.lcores, 1u);
    EXPECT_EQ(plan.mbufs.rx_descriptors, 0u);  // a vdev posts no descriptors
    EXPECT_EQ(plan.mbufs.fragments, 4096u);    // 512 datagrams of up to 8 fragments
    EXPECT_EQ(plan.mbufs.input_rings, 0u);     // one worker: no ring
    EXPECT_EQ(plan.mbufs.reserve, 2048u);
    EXPECT_EQ(plan.mbufs.replay, 0u);
    EXPECT_EQ(plan.mbufs.lcore_slack, 448u);  // 1 lcore * (384 cached + 32 * 2 in hand)
    EXPECT_EQ(plan.mbufs.total(), 6592u);
    EXPECT_EQ(plan.mbuf_cache, 256u);
    EXPECT_EQ(plan.memory.mbufs_mb, 25u);  // 6592 * 4 KiB = 25.75 MiB, rounded down
    EXPECT_EQ(plan.memory.flow_hashes_mb, 160u);
    EXPECT_EQ(plan.memory.per_worker_mb, 64u);
    EXPECT_EQ(plan.memory.base_mb, 512u);
    EXPECT_EQ(plan.memory.record_rings_mb, 0u);
    EXPECT_EQ(plan.memory.needed_mb(), 761u);
    EXPECT_EQ(plan.eal.memory_mb, 761u);
    EXPECT_EQ(plan.eal.vdevs, std::vector<std::string>{"net_pcap0,rx_pcap=/tmp/a.pcap"});
    EXPECT_TRUE(plan.eal.extra_args.empty());
    EXPECT_FALSE(plan.eal.hugepages);
    EXPECT_EQ(plan.flow_capacity, 1u << 20);
    EXPECT_EQ(plan.flow_slot_bytes, 244 * kMiB);
    EXPECT_EQ(plan.needed_bytes, (761 + 244) * kMiB);
    EXPECT_EQ(plan.input_ring_size, 4096u);
    EXPECT_EQ(plan.record_ring_size, 65536u);
    EXPECT_FALSE(plan.record_rings);
    EXPECT_TRUE(plan.burst_lookup);
    EXPECT_TRUE(plan.packed_mbufs);
}

// Only virtual devices run without hugepages; a NIC may read buffers by IO address.
TEST(StartupPlan, MbufsPackedOnlyWithoutHugepages) {
    Config config = default_config();
    RunOptions options;
    EXPECT_TRUE(plan_startup(config, options, pcap_facts(1)).packed_mbufs);
    options.without = {"packed-mbufs"};
    EXPECT_FALSE(plan_startup(config, options, pcap_facts(1)).packed_mbufs);
    config.hugepages = true;
    EXPECT_FALSE(plan_startup(config, RunOptions{}, pcap_facts(1)).packed_mbufs);
}

TEST(StartupPlan, TwoWorkersWithWorkerZeroAsReceiver) {
    const StartupPlan plan = plan_startup(default_config(), RunOptions{}, pcap_facts(2));
    EXPECT_EQ(plan.eal.lcores, 2u);
    EXPECT_EQ(plan.mbufs.fragments, 8192u);
    EXPECT_EQ(plan.mbufs.input_rings, 4096u);  // worker 1's ring only
    EXPECT_EQ(plan.mbufs.lcore_slack, 960u);   // 2 * (384 + 32 * 3)
    EXPECT_EQ(plan.mbufs.total(), 15296u);
    EXPECT_EQ(plan.memory.mbufs_mb, 59u);
    EXPECT_EQ(plan.memory.flow_hashes_mb, 320u);
    EXPECT_EQ(plan.memory.per_worker_mb, 128u);
    EXPECT_EQ(plan.eal.memory_mb, 1019u);
    EXPECT_EQ(plan.flow_slot_bytes, 488 * kMiB);
    EXPECT_EQ(plan.needed_bytes, (1019 + 488) * kMiB);
}

TEST(StartupPlan, TwoWorkersWithADedicatedFanoutTakeAnLcoreAndARingMore) {
    Config config = default_config();
    config.fanout = FanoutMode::dedicated;
    const StartupPlan plan = plan_startup(config, RunOptions{}, pcap_facts(2));
    EXPECT_EQ(plan.fanout_mode, FanoutMode::dedicated);
    EXPECT_EQ(plan.eal.lcores, 3u);
    EXPECT_EQ(plan.mbufs.input_rings, 8192u);
    EXPECT_EQ(plan.mbufs.lcore_slack, 1440u);
    EXPECT_EQ(plan.mbufs.total(), 19872u);
    EXPECT_EQ(plan.memory.mbufs_mb, 77u);
    EXPECT_EQ(plan.eal.memory_mb, 1037u);
}

TEST(StartupPlan, WithoutReceiverWorkerIsADedicatedFanout) {
    RunOptions options;
    options.without = {"receiver-worker", "burst-lookup"};
    const StartupPlan plan = plan_startup(default_config(), options, pcap_facts(2));
    EXPECT_EQ(plan.fanout_mode, FanoutMode::dedicated);
    EXPECT_EQ(plan.eal.lcores, 3u);
    EXPECT_FALSE(plan.burst_lookup);
}

TEST(StartupPlan, OneWorkerHasNoFanoutLcoreEvenWhenDedicated) {
    Config config = default_config();
    config.fanout = FanoutMode::dedicated;
    const StartupPlan plan = plan_startup(config, RunOptions{}, pcap_facts(1));
    EXPECT_EQ(plan.eal.lcores, 1u);
    EXPECT_EQ(plan.mbufs.input_rings, 0u);
    EXPECT_EQ(plan.mbufs.total(), 6592u);
}

TEST(StartupPlan, NicPortsPostDescriptorsPerWorkerAndAreAllowListed) {
    Config config = default_config();
    config.hugepages = true;
    config.eal_args = {"--log-level=7"};
    StartupFacts facts;
    facts.workers = 2;
    facts.devices = {"0000:3b:00.0", "net_af_packet0,iface=veth0"};
    const StartupPlan plan = plan_startup(config, RunOptions{}, facts);
    EXPECT_EQ(plan.mbufs.rx_descriptors, 2048u);  // 1024 a queue, a queue per worker
    EXPECT_EQ(plan.mbufs.total(), 17344u);
    EXPECT_EQ(plan.memory.mbufs_mb, 67u);
    EXPECT_EQ(plan.eal.memory_mb, 1027u);
    EXPECT_TRUE(plan.eal.hugepages);
    EXPECT_EQ(plan.eal.vdevs, std::vector<std::string>{"net_af_packet0,iface=veth0"});
    EXPECT_EQ(plan.eal.extra_args,
              (std::vector<std::string>{"--log-level=7", "-a", "0000:3b:00.0"}));
}

TEST(StartupPlan, FlowsOutAddsRecordRingsToTheMemory) {
    RunOptions options;
    options.flows_out = "/tmp/flows.jsonl";
    const StartupPlan plan = plan_startup(default_config(), options, pcap_facts(2));
    EXPECT_TRUE(plan.record_rings);
    EXPECT_EQ(plan.memory.record_rings_mb, 100u);  // 2 * 65536 * 800 bytes
    EXPECT_EQ(plan.eal.memory_mb, 1019u + 100u);
}

TEST(StartupPlan, IpfixAloneMakesRecordRingsWithoutCountingThem) {
    RunOptions options;
    options.ipfix = {"udp://127.0.0.1:4739"};
    const StartupPlan plan = plan_startup(default_config(), options, pcap_facts(2));
    EXPECT_TRUE(plan.record_rings);
    EXPECT_EQ(plan.memory.record_rings_mb, 0u);
    EXPECT_EQ(plan.eal.memory_mb, 1019u);
}

TEST(StartupPlan, LoopingCapturePreloadedWhole) {
    StartupFacts facts = pcap_facts(1);
    facts.replay_packets = 1'000'000;
    const StartupPlan plan = plan_startup(default_config(), RunOptions{}, facts);
    EXPECT_EQ(plan.mbufs.replay, 1'000'000u);
    EXPECT_EQ(plan.mbufs.total(), 1'006'592u);
    EXPECT_EQ(plan.memory.mbufs_mb, 3932u);
    EXPECT_EQ(plan.eal.memory_mb, 4668u);
}

TEST(StartupPlan, ConfiguredMemoryWinsWhenLarger) {
    Config config = default_config();
    config.memory_mb = 4096;
    const StartupPlan plan = plan_startup(config, RunOptions{}, pcap_facts(1));
    EXPECT_EQ(plan.memory.needed_mb(), 761u);
    EXPECT_EQ(plan.eal.memory_mb, 4096u);
    EXPECT_EQ(plan.needed_bytes, (4096 + 244) * kMiB);
}

TEST(StartupPlan, SmallestFlowTableTakesNoHashMemory) {
    Config config = default_config();
    config.flow_capacity = 16;
    const StartupPlan plan = plan_startup(config, RunOptions{}, pcap_facts(2));
    EXPECT_EQ(plan.memory.flow_hashes_mb, 0u);
    EXPECT_EQ(plan.eal.memory_mb, 699u);
    EXPECT_EQ(plan.flow_slot_bytes, 2u * 16 * 244);
}

TEST(StartupPlan, WorkerSettingsFromTheConfiguration) {
    Config config = default_config();
    config.tcp_idle_seconds = 7;
    config.udp_idle_seconds = 3;
    config.stream_depth_bytes = 1000;
    config.stream_max_flows = 10;
    config.stream_all_tcp = true;
    const StartupPlan plan = plan_startup(config, RunOptions{}, pcap_facts(1));
    EXPECT_EQ(plan.timeouts.tcp_us, 7'000'000u);
    EXPECT_EQ(plan.timeouts.udp_us, 3'000'000u);
    EXPECT_EQ(plan.timeouts.tcp_embryonic_us, 20'000'000u);
    EXPECT_EQ(plan.stream.depth_bytes, 1000u);
    EXPECT_EQ(plan.stream.max_flows, 10u);
    EXPECT_TRUE(plan.stream.all_tcp);
}

TEST(StartupPlan, MemoryThatJustFitsIsEnough) {
    StartupFacts facts = pcap_facts(1);
    facts.available_bytes = (761 + 244) * kMiB;
    EXPECT_EQ(startup_error_of([&] { plan_startup(default_config(), RunOptions{}, facts); }), "");
}

TEST(StartupPlan, MemoryOneByteShortIsRefusedWithTheFigures) {
    StartupFacts facts = pcap_facts(1);
    facts.available_bytes = (761 + 244) * kMiB - 1;
    EXPECT_EQ(startup_error_of([&] { plan_startup(default_config(), RunOptions{}, facts); }),
              "this run needs about 1005 MiB (761 MiB of DPDK memory for packet buffers and flow "
              "hashes, 244 MiB of flow slots) and the machine has 1004 MiB available; lower "
              "flow_table.capacity, the worker count or dataplane.memory_mb");
}

TEST(StartupPlan, MemoryTooSmallForTwoWorkers) {
    StartupFacts facts = pcap_facts(2);
    facts.available_bytes = uint64_t{1} << 30;
    EXPECT_EQ(startup_error_of([&] { plan_startup(default_config(), RunOptions{}, facts); }),
              "this run needs about 1507 MiB (1019 MiB of DPDK memory for packet buffers and "
              "flow hashes, 488 MiB of flow slots) and the machine has 1024 MiB available; lower "
              "flow_table.capacity, the worker count or dataplane.memory_mb");
}

TEST(StartupPlan, UnknownAvailableMemoryIsNotChecked) {
    StartupFacts facts = pcap_facts(64);
    facts.available_bytes.reset();
    EXPECT_EQ(startup_error_of([&] { plan_startup(default_config(), RunOptions{}, facts); }), "");
}

TEST(WorkerCount, CommandLineThenConfigurationThenMachine) {
    EXPECT_EQ(worker_count(3, 2, 7), 3u);
    EXPECT_EQ(worker_count(std::nullopt, 2, 7), 2u);
    EXPECT_EQ(worker_count(std::nullopt, 0, 7), 7u);
}

TEST(WorkerCount, ZeroWorkersOnTheCommandLineIsRefused) {
    EXPECT_EQ(startup_error_of([] { worker_count(0, 2, 7); }), "--workers must be at least 1");
}

TEST(StartupPorts, PciAddressesWithAndWithoutDomain) {
    EXPECT_TRUE(is_pci_address("0000:3b:00.0"));
    EXPECT_TRUE(is_pci_address("3b:00.7"));
    EXPECT_FALSE(is_pci_address("3b:00.8"));
    EXPECT_FALSE(is_pci_address("net_af_packet0,iface=veth0"));
    EXPECT_FALSE(is_pci_address("0000:3b:00.0,extra"));
}

TEST(StartupPorts, PcapVdevReplaysOnceOrForever) {
    EXPECT_EQ(pcap_vdev(0, {"/tmp/a.pcap"}, false), "net_pcap0,rx_pcap=/tmp/a.pcap");
    EXPECT_EQ(pcap_vdev(3, {"/tmp/a.pcap"}, true), "net_pcap3,rx_pcap=/tmp/a.pcap,infinite_rx=1");
}

// --pcap-queues: the pcap PMD makes one RX queue per rx_pcap, in order.
TEST(StartupPorts, PcapVdevWithAQueuePerFile) {
    EXPECT_EQ(pcap_vdev(1, {"/tmp/q0.pcap", "/tmp/q1.pcap"}, false),
              "net_pcap1,rx_pcap=/tmp/q0.pcap,rx_pcap=/tmp/q1.pcap");
    EXPECT_EQ(pcap_vdev(0, {"/tmp/q0.pcap", "/tmp/q1.pcap"}, true),
              "net_pcap0,rx_pcap=/tmp/q0.pcap,rx_pcap=/tmp/q1.pcap,infinite_rx=1");
    EXPECT_NE(startup_error_of([] { pcap_vdev(0, {"/tmp/q0.pcap", "/tmp/q=1.pcap"}, false); }), "");
}

TEST(StartupPorts, QueueFilesMustBeOnePerWorker) {
    EXPECT_EQ(startup_error_of([] { check_queue_files(2, 2); }), "");
    EXPECT_EQ(startup_error_of([] { check_queue_files(1, 1); }), "");
    EXPECT_EQ(startup_error_of([] { check_queue_files(2, 3); }),
              "--pcap-queues gives 2 files for 3 workers: it takes one file per worker, each read "
              "by its worker as a queue of its own (give --workers 2)");
    EXPECT_EQ(startup_error_of([] { check_queue_files(1, 2); }),
              "--pcap-queues gives 1 file for 2 workers: it takes one file per worker, each read "
              "by its worker as a queue of its own (give --workers 1)");
}

// Files split per queue (no fan-out) and preloaded whole for --loop: the pool holds them all.
TEST(StartupPlan, QueueFilesLoopingArePreloadedTogether) {
    StartupFacts facts = pcap_facts(2);
    facts.devices = {pcap_vdev(0, {"/tmp/q0.pcap", "/tmp/q1.pcap"}, true)};
    facts.replay_packets = 600'000 + 400'000;
    const StartupPlan plan = plan_startup(default_config(), RunOptions{}, facts);
    EXPECT_EQ(plan.mbufs.replay, 1'000'000u);
    EXPECT_EQ(plan.mbufs.rx_descriptors, 0u) << "a vdev posts no descriptors";
    EXPECT_GE(plan.memory.mbufs_mb, 1'000'000 * kMbufFootprint / kMiB);
    EXPECT_EQ(plan.eal.vdevs, facts.devices);
}

TEST(StartupPorts, CapturePathWithCommaOrEqualsIsRefused) {
    const std::string reason =
        ": capture paths with ',' or '=' cannot be passed to the pcap vdev; rename or link the "
        "file";
    EXPECT_EQ(startup_error_of([] { pcap_vdev(0, {"/tmp/a,b.pcap"}, false); }),
              "/tmp/a,b.pcap" + reason);
    EXPECT_EQ(startup_error_of([] { pcap_vdev(0, {"/tmp/rx_pcap=x"}, false); }),
              "/tmp/rx_pcap=x" + reason);
}

TEST(StartupPorts, ConfiguredPortsKeepTheirLinkAndZone) {
    Config config = default_config();
    config.ports = {PortSettings{"wan", "net_af_packet0,iface=veth0", "raw-ip", 2},
                    PortSettings{"lan", "net_null0", "ethernet", 0}};
    const std::vector<PortConfig> ports = configured_ports(config);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_EQ(ports[0].name, "wan");
    EXPECT_EQ(ports[0].device, "net_af_packet0,iface=veth0");
    EXPECT_EQ(ports[0].link, LinkType::raw_ip);
    EXPECT_EQ(ports[0].zone, 2);
    EXPECT_EQ(ports[1].link, LinkType::ethernet);
    EXPECT_FALSE(ports[1].replay_forever);
}

// The configuration's list of link names (config/ may not include dataplane/) is LinkType's.
TEST(StartupPorts, EveryLinkTypeCanBeConfiguredByItsName) {
    ASSERT_EQ(std::size(kPortLinkNames), kLinkTypeNames.size());
    size_t index = 0;
    for (const auto& [type, name] : kLinkTypeNames) {
        EXPECT_EQ(kPortLinkNames[index++], name);
        Config config = default_config();
        config.ports = {PortSettings{"nflog", "net_pcap0,rx_iface=nflog:5", std::string(name), 0}};
        EXPECT_EQ(configured_ports(config).at(0).link, type) << name;
    }
}

TEST(StartupPorts, NicWithoutHugepagesIsRefused) {
    Config config = default_config();
    config.ports = {PortSettings{"wan", "0000:3b:00.0", "ethernet", 0}};
    EXPECT_EQ(startup_error_of([&] { configured_ports(config); }),
              "port wan is the PCI device 0000:3b:00.0: NIC ports need hugepages (set "
              "dataplane.hugepages: true)");
    config.hugepages = true;
    EXPECT_EQ(configured_ports(config).size(), 1u);
}

TEST(StartupPorts, CapturesTakeZonesAfterTheConfiguredPorts) {
    Config config = default_config();
    EXPECT_EQ(capture_port(config, 0, {"/tmp/a.pcap"}, false).zone, 0);
    config.ports = {PortSettings{"wan", "net_null0", "ethernet", 3},
                    PortSettings{"lan", "net_null1", "ethernet", 1}};
    const PortConfig port = capture_port(config, 1, {"/tmp/b.pcap"}, true);
    EXPECT_EQ(port.name, "pcap1");
    EXPECT_EQ(port.device, "net_pcap1,rx_pcap=/tmp/b.pcap,infinite_rx=1");
    EXPECT_EQ(port.zone, 5);
    EXPECT_TRUE(port.replay_forever);
}

TEST(StartupPorts, NothingToReadAndTooManyPortsAreRefused) {
    EXPECT_EQ(startup_error_of([] { check_port_count(0); }),
              "nothing to read: give --pcap FILE or ports in the configuration");
    EXPECT_EQ(startup_error_of([] { check_port_count(32); }), "");
    EXPECT_EQ(startup_error_of([] { check_port_count(33); }),
              "33 ports or captures given; one run takes at most 32");
}

StartupPlan plan_of(unsigned workers, FanoutMode mode = FanoutMode::receiver) {
    Config config = default_config();
    config.fanout = mode;
    return plan_startup(config, RunOptions{}, pcap_facts(workers));
}

TEST(QueuePlan, OneWorkerPollsEverySingleQueuePortItself) {
    const std::vector<PortQueues> ports = {{1, true}, {1, false}};
    const QueuePlan queues = plan_queues(default_config(), plan_of(1), ports);
    ASSERT_EQ(queues.rx.size(), 2u);
    EXPECT_EQ(queues.rx[0].worker, 0);
    EXPECT_EQ(queues.rx[1].port, 1u);
    EXPECT_EQ(queues.rx[1].worker, 0);
    EXPECT_FALSE(queues.fanout_used);
    EXPECT_FALSE(queues.receiver);
    EXPECT_FALSE(queues.dedicated_fanout);
    EXPECT_STREQ(queues.fanout_mode_name(), "none");
    EXPECT_EQ(queues.receiver_share, 0.0);
    EXPECT_EQ(queues.shares, std::vector<double>{1.0});
    EXPECT_EQ(queues.input_ring, std::vector<bool>{false});
}

TEST(QueuePlan, ReceiverReadingCapturesKeepsOneBucket) {
    const std::vector<PortQueues> ports = {{1, true}};
    const QueuePlan queues = plan_queues(default_config(), plan_of(2), ports);
    ASSERT_EQ(queues.rx.size(), 1u);
    EXPECT_EQ(queues.rx[0].worker, kNoWorker);
    EXPECT_TRUE(queues.fanout_used);
    EXPECT_TRUE(queues.receiver);
    EXPECT_FALSE(queues.dedicated_fanout);
    EXPECT_STREQ(queues.fanout_mode_name(), "receiver");
    EXPECT_EQ(queues.receiver_share, 1.0 / 256);
    EXPECT_EQ(queues.shares, (std::vector<double>{1.0 / 256, 1.0}));
    EXPECT_EQ(queues.input_ring, (std::vector<bool>{false, true}));
}

TEST(QueuePlan, ReceiverReadingASingleQueueNicPortTakesThreeTenths) {
    const std::vector<PortQueues> ports = {{1, true}, {1, false}};
    const QueuePlan queues = plan_queues(default_config(), plan_of(2), ports);
    EXPECT_EQ(queues.receiver_share, 0.3);
    EXPECT_EQ(queues.shares, (std::vector<double>{0.3, 1.0}));
}

TEST(QueuePlan, ConfiguredReceiverShareWins) {
    Config config = default_config();
    config.receiver_share = 0.5;
    const std::vector<PortQueues> ports = {{1, true}};
    const QueuePlan queues = plan_queues(config, plan_of(3), ports);
    EXPECT_EQ(queues.receiver_share, 0.5);
    EXPECT_EQ(queues.shares, (std::vector<double>{0.5, 1.0, 1.0}));
    EXPECT_EQ(queues.input_ring, (std::vector<bool>{false, true, true}));
}

TEST(QueuePlan, DedicatedFanoutFeedsEveryWorkerThroughARing) {
    const std::vector<PortQueues> ports = {{1, true}};
    const QueuePlan queues =
        plan_queues(default_config(), plan_of(2, FanoutMode::dedicated), ports);
    EXPECT_TRUE(queues.fanout_used);
    EXPECT_FALSE(queues.receiver);
    EXPECT_TRUE(queues.dedicated_fanout);
    EXPECT_STREQ(queues.fanout_mode_name(), "dedicated");
    EXPECT_EQ(queues.receiver_share, 0.0);
    EXPECT_EQ(queues.shares, (std::vector<double>{1.0, 1.0}));
    EXPECT_EQ(queues.input_ring, (std::vector<bool>{true, true}));
}

TEST(QueuePlan, MultiQueuePortsGiveEachWorkerItsQueueAndNeedNoFanout) {
    const std::vector<PortQueues> ports = {{2, false}, {2, false}};
    const QueuePlan queues = plan_queues(default_config(), plan_of(2), ports);
    ASSERT_EQ(queues.rx.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(queues.rx[i].port, i / 2);
        EXPECT_EQ(queues.rx[i].queue, i % 2);
        EXPECT_EQ(queues.rx[i].worker, i % 2);
    }
    EXPECT_FALSE(queues.fanout_used);
    EXPECT_STREQ(queues.fanout_mode_name(), "none");
    EXPECT_EQ(queues.shares, (std::vector<double>{1.0, 1.0}));
    EXPECT_EQ(queues.input_ring, (std::vector<bool>{false, false}));
}

TEST(QueuePlan, MultiQueueBesideACaptureCountsAsFilesOnly) {
    const std::vector<PortQueues> ports = {{2, false}, {1, true}};
    const QueuePlan queues = plan_queues(default_config(), plan_of(2), ports);
    ASSERT_EQ(queues.rx.size(), 3u);
    EXPECT_EQ(queues.rx[0].worker, 0);
    EXPECT_EQ(queues.rx[1].worker, 1);
    EXPECT_EQ(queues.rx[2].worker, kNoWorker);
    EXPECT_EQ(queues.receiver_share, 1.0 / 256);
}

// --pcap-queues with 2 workers: one capture port whose 2 queues go to workers 0 and 1, with
// no fan-out, no rings and each worker's full share.
TEST(QueuePlan, CaptureSplitPerQueueGivesEachWorkerItsFile) {
    const std::vector<PortQueues> ports = {{2, true}};
    const QueuePlan queues = plan_queues(default_config(), plan_of(2), ports);
    ASSERT_EQ(queues.rx.size(), 2u);
    EXPECT_EQ(queues.rx[0].worker, 0);
    EXPECT_EQ(queues.rx[1].worker, 1);
    EXPECT_EQ(queues.rx[1].queue, 1);
    EXPECT_FALSE(queues.fanout_used);
    EXPECT_FALSE(queues.receiver);
    EXPECT_STREQ(queues.fanout_mode_name(), "none");
    EXPECT_EQ(queues.input_ring, (std::vector<bool>{false, false}));
}

TEST(QueuePlan, PortWithMoreQueuesThanWorkersIsRefused) {
    const std::vector<PortQueues> ports = {{4, false}};
    EXPECT_EQ(startup_error_of([&] { plan_queues(default_config(), plan_of(2), ports); }),
              "port 0 has 4 RX queues for 2 workers");
}

}  // namespace
}  // namespace ottscope
