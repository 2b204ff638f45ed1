#include "dataplane/mbuf_pool.h"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <cstring>
#include <vector>

namespace ottscope {
namespace {

// The memory a pool took from DPDK, summed over its chunks.
size_t pool_bytes(rte_mempool* pool) {
    size_t bytes = 0;
    rte_mempool_mem_iter(
        pool,
        [](rte_mempool*, void* total, rte_mempool_memhdr* chunk, unsigned) {
            *static_cast<size_t*>(total) += chunk->len;
        },
        &bytes);
    return bytes;
}

TEST(MbufPool, PackedBuffersAreWholeAndUsable) {
    constexpr unsigned kCount = 1000;
    rte_mempool* pool =
        make_mbuf_pool("test_packed", MbufPoolShape{kCount, 0, SOCKET_ID_ANY, true});
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(rte_mempool_avail_count(pool), kCount);
    std::vector<rte_mbuf*> mbufs(kCount);
    ASSERT_EQ(rte_pktmbuf_alloc_bulk(pool, mbufs.data(), kCount), 0);
    for (rte_mbuf* mbuf : mbufs) {
        EXPECT_EQ(mbuf->pool, pool);
        EXPECT_EQ(mbuf->buf_len, RTE_MBUF_DEFAULT_BUF_SIZE);
        EXPECT_EQ(rte_pktmbuf_tailroom(mbuf), RTE_MBUF_DEFAULT_DATAROOM);
        if (rte_eal_iova_mode() == RTE_IOVA_VA) {
            EXPECT_EQ(rte_mbuf_iova_get(mbuf),
                      static_cast<rte_iova_t>(reinterpret_cast<uintptr_t>(mbuf->buf_addr)));
        }
        // The whole data room is the buffer's own: filling it touches no other buffer.
        std::memset(rte_pktmbuf_mtod(mbuf, void*), static_cast<int>(mbuf->buf_len & 0xff),
                    rte_pktmbuf_tailroom(mbuf));
        ASSERT_NE(rte_pktmbuf_append(mbuf, RTE_MBUF_DEFAULT_DATAROOM), nullptr);
    }
    for (size_t i = 1; i < mbufs.size(); ++i) {
        const auto* a = static_cast<const char*>(mbufs[i - 1]->buf_addr);
        const auto* b = static_cast<const char*>(mbufs[i]->buf_addr);
        EXPECT_GE(a < b ? b - a : a - b, RTE_MBUF_DEFAULT_BUF_SIZE);
    }
    rte_pktmbuf_free_bulk(mbufs.data(), kCount);
    EXPECT_EQ(rte_mempool_avail_count(pool), kCount);
    rte_mempool_free(pool);
}

// Without hugepages (as the tests run) the default pool keeps one buffer per 4 KiB page;
// the packed one about 2.4 KiB per buffer.
TEST(MbufPool, PackedPoolTakesLessMemory) {
    constexpr unsigned kCount = 2000;
    rte_mempool* packed =
        make_mbuf_pool("test_dense", MbufPoolShape{kCount, 0, SOCKET_ID_ANY, true});
    rte_mempool* paged =
        make_mbuf_pool("test_paged", MbufPoolShape{kCount, 0, SOCKET_ID_ANY, false});
    ASSERT_NE(packed, nullptr);
    ASSERT_NE(paged, nullptr);
    EXPECT_LT(pool_bytes(packed), size_t{kCount} * 2560);
    if (!rte_eal_has_hugepages()) {
        EXPECT_GE(pool_bytes(paged), size_t{kCount} * 4096);
    }
    rte_mempool_free(packed);
    rte_mempool_free(paged);
}

}  // namespace
}  // namespace ottscope
