#include "page_memory.h"

#include <sys/mman.h>

#include <new>
#include <utility>

namespace ottscope {

PageMemory::PageMemory(size_t bytes) : bytes_(bytes) {
    if (bytes == 0) return;
    void* mapped =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) throw std::bad_alloc();
    base_ = mapped;
}

PageMemory::~PageMemory() {
    if (base_ != nullptr) ::munmap(base_, bytes_);
}

PageMemory::PageMemory(PageMemory&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

PageMemory& PageMemory::operator=(PageMemory&& other) noexcept {
    if (this != &other) {
        if (base_ != nullptr) ::munmap(base_, bytes_);
        base_ = std::exchange(other.base_, nullptr);
        bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
}

}  // namespace ottscope
