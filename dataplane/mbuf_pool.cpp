#include "mbuf_pool.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>

namespace ottscope {
namespace {

constexpr uint16_t kDataRoom = RTE_MBUF_DEFAULT_BUF_SIZE;

// rte_pktmbuf_init takes a buffer's IO address from its pool object, which a pool that does
// not keep objects IO-contiguous leaves unknown; with IO addresses that are virtual ones the
// buffer's own address is its IO address, so a device that did read it would still be right.
void init_packed_mbuf(rte_mempool* pool, void* arg, void* object, unsigned index) {
    rte_pktmbuf_init(pool, arg, object, index);
    auto* mbuf = static_cast<rte_mbuf*>(object);
    rte_mbuf_iova_set(mbuf,
                      rte_eal_iova_mode() == RTE_IOVA_VA
                          ? static_cast<rte_iova_t>(reinterpret_cast<uintptr_t>(mbuf->buf_addr))
                          : RTE_BAD_IOVA);
}

rte_mempool* make_packed_pool(const char* name, const MbufPoolShape& shape) {
    rte_pktmbuf_pool_private layout{};
    layout.mbuf_data_room_size = kDataRoom;
    layout.mbuf_priv_size = 0;
    rte_mempool* pool = rte_mempool_create_empty(name, shape.count, sizeof(rte_mbuf) + kDataRoom,
                                                 shape.cache, sizeof(rte_pktmbuf_pool_private),
                                                 shape.socket, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
    if (pool == nullptr) return nullptr;
    int rc = rte_mempool_set_ops_byname(pool, rte_mbuf_best_mempool_ops(), nullptr);
    if (rc == 0) {
        rte_pktmbuf_pool_init(pool, &layout);
        rc = rte_mempool_populate_default(pool);
    }
    if (rc < 0) {
        rte_mempool_free(pool);
        rte_errno = -rc;
        return nullptr;
    }
    rte_mempool_obj_iter(pool, init_packed_mbuf, nullptr);
    return pool;
}

}  // namespace

rte_mempool* make_mbuf_pool(const char* name, const MbufPoolShape& shape) {
    if (shape.packed) return make_packed_pool(name, shape);
    return rte_pktmbuf_pool_create(name, shape.count, shape.cache, 0, kDataRoom, shape.socket);
}

}  // namespace ottscope
