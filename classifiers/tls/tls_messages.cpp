#include "tls_messages.h"

namespace ottscope::tls {
namespace {

// Bounds-checked big-endian reads; once a read fails every later read fails too, so callers
// check ok() once at the end of a structure.
class Reader {
public:
    explicit Reader(std::span<const uint8_t> bytes) noexcept : bytes_(bytes) {}

    uint32_t read(size_t width) noexcept {
        if (!ok_ || bytes_.size() - at_ < width) {
            ok_ = false;
            return 0;
        }
        uint32_t value = 0;
        for (size_t i = 0; i < width; ++i) value = value << 8 | bytes_[at_ + i];
        at_ += width;
        return value;
    }
    uint8_t u8() noexcept { return static_cast<uint8_t>(read(1)); }
    uint16_t u16() noexcept { return static_cast<uint16_t>(read(2)); }

    // The next `length` bytes as a sub-reader; fails (empty) past the end.
    Reader sub(size_t length) noexcept {
        if (!ok_ || bytes_.size() - at_ < length) {
            ok_ = false;
            Reader failed({});
            failed.ok_ = false;
            return failed;
        }
        Reader inner(bytes_.subspan(at_, length));
        at_ += length;
        return inner;
    }
    Reader sub_u8() noexcept { return sub(u8()); }
    Reader sub_u16() noexcept { return sub(u16()); }
    void skip(size_t length) noexcept { (void)sub(length); }

    [[nodiscard]] std::span<const uint8_t> rest() const noexcept { return bytes_.subspan(at_); }
    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] bool empty() const noexcept { return at_ >= bytes_.size(); }

private:
    std::span<const uint8_t> bytes_;
    size_t at_ = 0;
    bool ok_ = true;
};

std::string_view as_text(std::span<const uint8_t> bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

template <size_t N>
void read_u16_list(Reader list, ValueList<N>& out) noexcept {
    while (list.ok() && !list.empty()) {
        const uint16_t value = list.u16();
        if (list.ok() && !is_grease(value)) out.push(value);
    }
}

void parse_client_extension(uint16_t type, Reader data, ClientHello& out) noexcept {
    switch (type) {
        case ext::server_name: {
            Reader names = data.sub_u16();
            while (names.ok() && !names.empty()) {
                const uint8_t name_type = names.u8();
                Reader name = names.sub_u16();
                if (names.ok() && name_type == 0 && out.sni.empty()) out.sni = as_text(name.rest());
            }
            return;
        }
        case ext::supported_groups:
            read_u16_list(data.sub_u16(), out.groups);
            return;
        case ext::ec_point_formats: {
            Reader formats = data.sub_u8();
            while (formats.ok() && !formats.empty()) {
                const uint8_t value = formats.u8();
                if (formats.ok()) out.point_formats.push(value);
            }
            return;
        }
        case ext::signature_algorithms:
            read_u16_list(data.sub_u16(), out.signature_algorithms);  // message order
            return;
        case ext::alpn: {
            Reader protocols = data.sub_u16();
            while (protocols.ok() && !protocols.empty()) {
                Reader name = protocols.sub_u8();
                if (protocols.ok() && out.alpn_count < out.alpn.size())
                    out.alpn[out.alpn_count++] = as_text(name.rest());
            }
            return;
        }
        case ext::supported_versions:
            read_u16_list(data.sub_u8(), out.versions);
            return;
        default:
            return;
    }
}

}  // namespace

bool parse_client_hello(std::span<const uint8_t> body, ClientHello& out) noexcept {
    Reader hello(body);
    out.legacy_version = hello.u16();
    hello.skip(32);        // random
    (void)hello.sub_u8();  // session id
    read_u16_list(hello.sub_u16(), out.ciphers);
    (void)hello.sub_u8();  // compression methods
    if (!hello.ok()) return false;
    if (hello.empty()) return true;  // no extensions (SSL 3.0 style)
    Reader extensions = hello.sub_u16();
    while (extensions.ok() && !extensions.empty()) {
        const uint16_t type = extensions.u16();
        Reader data = extensions.sub_u16();
        if (!extensions.ok()) break;
        if (is_grease(type)) continue;
        out.extensions.push(type);
        if (type == ext::server_name) out.has_sni = true;
        parse_client_extension(type, data, out);
    }
    return extensions.ok() && hello.ok();
}

bool parse_server_hello(std::span<const uint8_t> body, ServerHello& out) noexcept {
    Reader hello(body);
    out.legacy_version = hello.u16();
    hello.skip(32);
    (void)hello.sub_u8();
    out.cipher = hello.u16();
    (void)hello.u8();  // compression method
    if (!hello.ok()) return false;
    if (hello.empty()) return true;
    Reader extensions = hello.sub_u16();
    while (extensions.ok() && !extensions.empty()) {
        const uint16_t type = extensions.u16();
        Reader data = extensions.sub_u16();
        if (!extensions.ok()) break;
        out.extensions.push(type);
        if (type == ext::supported_versions) {
            out.selected_version = data.u16();
        } else if (type == ext::alpn) {
            Reader protocols = data.sub_u16();
            Reader name = protocols.sub_u8();
            if (protocols.ok()) out.alpn = as_text(name.rest());
        }
    }
    return extensions.ok() && hello.ok();
}

}  // namespace ottscope::tls
