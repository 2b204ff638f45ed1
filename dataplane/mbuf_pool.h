#pragma once
// The packet-buffer pool. DPDK's rte_pktmbuf_pool_create keeps every buffer inside one page
// of the memory it comes from, in case a NIC reads it by physical address; on 4 KiB pages
// (--no-huge, virtual devices only) that is one 2,368-byte buffer per page, and as every
// buffer is touched when the pool is made, every page of the pool becomes resident. Virtual
// devices (pcap, af_packet, null, tap) copy packets with the CPU and never read a buffer by
// its IO address, so without hugepages the buffers are packed back to back: 40% less resident
// memory and page faults for the same pool (measured: see README, Performance).

#include <rte_mempool.h>

namespace ottscope {

struct MbufPoolShape {
    unsigned count = 0;
    unsigned cache = 0;
    int socket = 0;
    // Buffers packed across page boundaries: only where nothing reads them by IO address.
    bool packed = false;
};

// The pool, or nullptr with rte_errno set.
rte_mempool* make_mbuf_pool(const char* name, const MbufPoolShape& shape);

}  // namespace ottscope
